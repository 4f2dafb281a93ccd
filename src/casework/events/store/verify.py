"""Integrity: recompute every stream's hash chain, export the heads, compare with exported ones."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from casework.events.errors import StoreError
from casework.events.hashing import GENESIS, event_hash
from casework.events.schema import events as T
from casework.events.store.heads import Head
from casework.events.store.reading import LogReader
from casework.events.store.rows import COLUMNS, aware


@dataclass
class BrokenLink:
    position: int
    event_id: str
    stream: str
    version: int
    reason: str

    def __str__(self) -> str:
        return (
            f"event {self.event_id} (position {self.position}, stream {self.stream} "
            f"version {self.version}): {self.reason}"
        )


@dataclass
class VerifyReport:
    events_checked: int = 0
    streams_checked: int = 0
    broken: BrokenLink | None = None
    heads: dict[str, Head] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify(
    reader: LogReader,
    against: dict[str, Head] | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """See ``EventStore.verify``."""
    report = VerifyReport()
    heads = report.heads
    after = 0
    query = select(*COLUMNS).order_by(T.c.position)
    with reader.connection() as conn:
        while True:
            rows = conn.execute(query.where(T.c.position > after).limit(5000)).all()
            if not rows:
                break
            for row in rows:
                broken = _check_row(row, heads)
                report.events_checked += 1
                if broken:
                    report.broken = broken
                    return report
            after = rows[-1][0]
            if progress:
                progress(len(rows))
    report.streams_checked = len(heads)
    if against:
        report.broken = _compare_heads(heads, against, reader)
    return report


def export_heads(reader: LogReader) -> dict[str, Head]:
    """See ``EventStore.export_heads``."""
    report = verify(reader)
    if not report.ok:
        raise StoreError(f"cannot export heads of a broken log: {report.broken}")
    return report.heads


def _check_row(row: Any, heads: dict[str, Head]) -> BrokenLink | None:
    position, event_id, stream, version = row[0], row[1], row[2], row[3]
    last_version, previous = heads.get(stream, (0, GENESIS))
    if version != last_version + 1:
        return BrokenLink(
            position, event_id, stream, version,
            f"version {version} follows version {last_version}: "
            f"event(s) {last_version + 1}..{version - 1} were deleted",
        )
    expected = event_hash(
        previous,
        event_id=event_id,
        stream=stream,
        version=version,
        type=row[4],
        schema_version=row[5],
        data=row[6],
        metadata=row[7],
        occurred_at=aware(row[9]),
        recorded_at=aware(row[10]),
    )
    if expected != row[11]:
        return BrokenLink(
            position, event_id, stream, version,
            "hash does not match its content and predecessor: the row was altered "
            "(or its predecessor was deleted)",
        )
    heads[stream] = (version, row[11])
    return None


def _compare_heads(
    heads: dict[str, Head], against: dict[str, Head], reader: LogReader
) -> BrokenLink | None:
    for stream, (version, digest) in sorted(against.items()):
        have_version, _ = heads.get(stream, (0, GENESIS))
        if have_version < version:
            return BrokenLink(
                0, "-", stream, version,
                f"the exported heads say this stream reached version {version} but the log "
                f"ends at {have_version}: events were lost (restored from an older backup?)",
            )
        event = reader.read_stream(stream, version, version)[0]
        if event.hash != digest:
            return BrokenLink(
                event.position, event.event_id, stream, version,
                "hash differs from the exported head: the history was rewritten",
            )
    return None
