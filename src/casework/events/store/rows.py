"""The row format of the ``events`` table, both ways: stored rows decoded into ``StoredEvent``,
new events encoded into hash-chained rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from casework.events.base import NewEvent
from casework.events.hashing import dumps, event_hash, provider_of
from casework.events.schema import events as T
from casework.events.stored import AppendRequest, StoredEvent

COLUMNS = (
    T.c.position,
    T.c.event_id,
    T.c.stream,
    T.c.version,
    T.c.type,
    T.c.schema_version,
    T.c.data,
    T.c.metadata,
    T.c.provider_id,
    T.c.occurred_at,
    T.c.recorded_at,
    T.c.hash,
)


def aware(instant: datetime) -> datetime:
    if instant.tzinfo is UTC:  # PostgreSQL sessions run in UTC (store/database.py)
        return instant
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def row_to_event(row: Any) -> StoredEvent:
    """A row of ``COLUMNS`` (a driver's tuple or SQLAlchemy's Row) as a ``StoredEvent``: the
    one decoding of a stored event, for every read of the log, a rebuild's included (once per
    event: unpacked once into ``_make``, 0.45 us besides the JSON; indexed twelve times into
    keywords, 1.0 us)."""
    (position, event_id, stream, version, type_, schema_version, data, metadata, provider_id,
     occurred_at, recorded_at, hash_) = row
    return StoredEvent._make((
        position, event_id, stream, version, type_, schema_version, orjson.loads(data),
        orjson.loads(metadata), provider_id, aware(occurred_at), aware(recorded_at), hash_,
    ))


def new_rows(
    req: AppendRequest, version: int, previous: str, recorded_at: datetime, recorded_iso: str
) -> list[dict[str, Any]]:
    """The rows of one stream's new events, chained to the head (version, previous)."""
    rows = []
    for ev in req.events:
        version += 1
        rows.append(_row(req.stream, version, previous, ev, recorded_at, recorded_iso))
        previous = rows[-1]["hash"]
    return rows


def _row(
    stream: str, version: int, previous: str, ev: NewEvent, recorded_at: datetime,
    recorded_iso: str,
) -> dict[str, Any]:
    data = dumps(ev.data)
    meta = dumps(ev.metadata)
    occurred_at = aware(ev.occurred_at)
    event_id = str(ev.event_id)
    return {
        "event_id": event_id,
        "stream": stream,
        "version": version,
        "type": ev.type,
        "schema_version": ev.schema_version,
        "data": data,
        "metadata": meta,
        "provider_id": provider_of(ev.metadata),
        "occurred_at": occurred_at,
        "recorded_at": recorded_at,
        "hash": event_hash(
            previous,
            event_id=event_id,
            stream=stream,
            version=version,
            type=ev.type,
            schema_version=ev.schema_version,
            data=data,
            metadata=meta,
            occurred_at=occurred_at,
            recorded_at=recorded_iso,
        ),
    }


def stored_events(
    requests: Sequence[AppendRequest], rows: list[dict[str, Any]], positions: dict[str, int],
    recorded_at: datetime,
) -> list[StoredEvent]:
    """The written rows as ``StoredEvent``s, without decoding the JSON written a moment ago."""
    return [
        StoredEvent(
            position=positions[row["event_id"]],
            event_id=row["event_id"],
            stream=row["stream"],
            version=row["version"],
            type=row["type"],
            schema_version=row["schema_version"],
            data=ev.data,
            metadata=ev.metadata,
            provider_id=row["provider_id"],
            occurred_at=row["occurred_at"],
            recorded_at=recorded_at,
            hash=row["hash"],
        )
        for row, ev in zip(rows, (e for r in requests for e in r.events), strict=True)
    ]


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
