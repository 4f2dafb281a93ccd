"""Integrity: recompute every stream's hash chain (or only the links of the events after a
position), export the heads, compare with exported ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, select, tuple_

from casework.events.errors import StoreError
from casework.events.hashing import GENESIS, event_hash, provider_of
from casework.events.schema import events as T
from casework.events.store.heads import Head
from casework.events.store.reading import LogReader
from casework.events.store.rows import COLUMNS, aware, chunks

# (stream, version) -> (position, event_id) of that event, if it is stored.
Find = Callable[[str, int], tuple[int, str] | None]


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
    report = _verify_pages(reader, None, None, progress=progress)
    if report.ok and against:
        report.broken = _compare_heads(report.heads, against, reader)
    return report


def verify_after(
    reader: LogReader, after: int, upto: int, seen: Callable[[int, str], None]
) -> VerifyReport:
    """``verify`` of the events at positions in (``after``, ``upto``] only, reading only them:
    each is checked against its stream's previous event wherever that is (one indexed read per
    page for the streams whose previous event is at or before ``after``). ``seen(position,
    hash)`` is called for each event found intact, in position order, up to the first break.

    What is at or before ``after`` is trusted, not read: a rewrite there (a recomputed chain)
    is found by a full ``verify`` and by the log digest of a checkpoint (``seals``). ``after``
    0 reads from the lowest position, as ``verify`` does."""
    return _verify_pages(reader, after if after > 0 else None, upto, seen=seen)


def _verify_pages(
    reader: LogReader,
    after: int | None,
    upto: int | None,
    *,
    progress: Callable[[int], None] | None = None,
    seen: Callable[[int, str], None] | None = None,
) -> VerifyReport:
    report = VerifyReport()
    heads = report.heads
    trusted = after  # streams' events at or before it are not read (verify_after)
    query = select(*COLUMNS).order_by(T.c.position).limit(5000)
    if upto is not None:
        query = query.where(T.c.position <= upto)

    def find(stream: str, version: int) -> tuple[int, str] | None:
        found = reader.read_stream(stream, version, version)
        return (found[0].position, found[0].event_id) if found else None

    with reader.connection() as conn:
        while True:
            # from the lowest position when after is None: one below 1 is itself a break
            page = query if after is None else query.where(T.c.position > after)
            rows = conn.execute(page).all()
            if not rows:
                break
            if trusted is not None:
                heads.update(_heads_before(conn, rows, heads, trusted))
            for row in rows:
                broken = _check_row(row, heads, find)
                report.events_checked += 1
                if broken:
                    report.broken = broken
                    return report
                if seen is not None:
                    seen(row[0], row[11])
            after = rows[-1][0]
            if progress:
                progress(len(rows))
    report.streams_checked = len(heads)
    return report


def _heads_before(
    conn: Connection, rows: Sequence[Any], heads: dict[str, Head], trusted: int
) -> dict[str, Head]:
    """The head (version, hash) at position ``trusted`` of each stream first met in ``rows``:
    the event before its first version here, read by (stream, version) in one query per page.
    A stream whose previous event is missing or after ``trusted`` (a broken log) gets its last
    event at or before ``trusted``, for ``link_problem`` to say what is wrong."""
    first: dict[str, int] = {}
    for row in rows:
        if row[2] not in heads and row[2] not in first:
            first[row[2]] = row[3]
    found: dict[str, Head] = {s: (0, GENESIS) for s, v in first.items() if v <= 1}
    wanted = [(s, v - 1) for s, v in first.items() if v > 1]
    for chunk in chunks(wanted, 500):
        query = select(T.c.stream, T.c.version, T.c.hash).where(
            tuple_(T.c.stream, T.c.version).in_(chunk), T.c.position <= trusted)
        found.update((s, (v, h)) for s, v, h in conn.execute(query))
    for stream in first.keys() - found.keys():
        last = conn.execute(
            select(T.c.version, T.c.hash)
            .where(T.c.stream == stream, T.c.position <= trusted)
            .order_by(T.c.version.desc()).limit(1)
        ).first()
        found[stream] = (0, GENESIS) if last is None else (last[0], last[1])
    return found


def export_heads(reader: LogReader) -> dict[str, Head]:
    """See ``EventStore.export_heads``."""
    report = verify(reader)
    if not report.ok:
        raise StoreError(f"cannot export heads of a broken log: {report.broken}")
    return report.heads


def link_problem(row: Sequence[Any], head: Head, find: Find) -> str | None:
    """Why ``row`` (``COLUMNS`` order) does not follow ``head``, its stream's last version and
    hash met so far in position order; None when it does. ``find(stream, version)`` gives the
    (position, event_id) of another event of the stream, to tell a moved event from a deleted
    one. Covers every column a read depends on (see ``casework.events.hashing``)."""
    position, stream, version = row[0], row[2], row[3]
    if position < 1:
        return (
            f"position {position} is below 1, outside the log's feed (read models never see "
            "it): its position was changed"
        )
    last_version, previous = head
    if version != last_version + 1:
        moved = find(stream, last_version + 1)
        if moved is not None:
            return (
                f"version {version} comes before version {last_version + 1} (event {moved[1]}, "
                f"at position {moved[0]}): positions were changed"
            )
        return (
            f"version {version} follows version {last_version}: event(s) "
            f"{last_version + 1}..{version - 1} were deleted (or this event's stream or version "
            "was changed)"
        )
    expected = event_hash(
        previous,
        event_id=row[1],
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
        return (
            "hash does not match its content and predecessor: the row was altered "
            "(or its predecessor was deleted)"
        )
    metadata = orjson.loads(row[7])
    hashed = provider_of(metadata) if isinstance(metadata, dict) else None
    if row[8] != hashed:
        return (
            f"provider_id is {row[8]!r} but the hashed metadata says {hashed!r}: the column was "
            "changed (it moves the event between providers' histories)"
        )
    return None


def _check_row(row: Any, heads: dict[str, Head], find: Find) -> BrokenLink | None:
    problem = link_problem(row, heads.get(row[2], (0, GENESIS)), find)
    if problem:
        return BrokenLink(row[0], row[1], row[2], row[3], problem)
    heads[row[2]] = (row[3], row[11])
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
