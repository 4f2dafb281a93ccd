"""Tamper evidence: each event's hash covers its canonical content and its predecessor's hash."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson

GENESIS = ""


def iso(instant: datetime) -> str:
    """The one textual form of a timestamp used in hashes and answers: UTC, microseconds."""
    if instant.tzinfo is UTC:
        return instant.isoformat(timespec="microseconds")
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def dumps(value: Any) -> str:
    """Canonical JSON text (sorted keys, no whitespace) as stored in the log."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def event_hash(
    previous: str,
    *,
    event_id: str,
    stream: str,
    version: int,
    type: str,
    schema_version: int,
    data: str,
    metadata: str,
    occurred_at: datetime | str,
    recorded_at: datetime | str,
) -> str:
    """SHA-256 over the previous hash and the event's canonical content.

    ``data`` and ``metadata`` are the canonical JSON texts exactly as stored; the times are
    datetimes or their ``iso()`` text (a batch formats its one ``recorded_at`` once).
    """
    content = "\n".join(
        (
            previous,
            event_id,
            stream,
            str(version),
            type,
            str(schema_version),
            occurred_at if isinstance(occurred_at, str) else iso(occurred_at),
            recorded_at if isinstance(recorded_at, str) else iso(recorded_at),
            data,
            metadata,
        )
    )
    return hashlib.sha256(content.encode()).hexdigest()
