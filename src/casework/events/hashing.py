"""Tamper evidence: each event's hash covers its canonical content and its predecessor's hash.

What a read of the ``events`` table depends on, and how each column is protected (the checks are
``casework.events.store.verify.link_problem``, run by ``casework verify`` and by a provider's
history):

- ``event_id``, ``stream``, ``version``, ``type``, ``schema_version``, ``occurred_at``,
  ``recorded_at``, ``data``, ``metadata``: in ``event_hash``, chained per stream.
- ``provider_id`` (which selects a provider's history): not in the formula, which is unchanged
  since the first event was written, but a copy of ``metadata.provider_id`` (``provider_of``),
  and every check requires the column to equal it. An edited column is therefore found in every
  event, however old, with no second hash format to support.
- ``position`` (the database's, allocated at insert, so no hash can include it): each stream's
  events must come in version order along positions, and every position must be at least 1
  (``read_all(after=0)`` starts there). The interleaving of different streams is not protected.
- ``hash``: recomputed from the above.
"""

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


def provider_of(metadata: dict[str, Any]) -> Any:
    """What the ``provider_id`` column must hold for an event with this metadata."""
    return metadata.get("provider_id")


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
