"""Building histories for workflow tests: typed events in, stored events out."""

from __future__ import annotations

import uuid
from datetime import datetime

from casework.events import DomainEvent, Metadata, to_new_event
from casework.events.store import EventStore, StoredEvent


class History:
    """An in-memory log (no database) for pure derivation tests."""

    def __init__(self) -> None:
        self.events: list[StoredEvent] = []
        self._versions: dict[str, int] = {}

    def record(self, stream: str, event: DomainEvent, at: datetime, actor: str = "mia") -> StoredEvent:
        version = self._versions.get(stream, 0) + 1
        self._versions[stream] = version
        stored = StoredEvent(
            position=len(self.events) + 1, event_id=str(uuid.uuid4()), stream=stream, version=version,
            type=event.type_name, schema_version=event.schema_version, data=event.to_data(),
            metadata={"actor": actor, "provider_id": getattr(event, "provider_id", None)},
            provider_id=getattr(event, "provider_id", None), occurred_at=at, recorded_at=at, hash="",
        )
        self.events.append(stored)
        return stored


def record(
    store: EventStore, stream: str, event: DomainEvent, at: datetime, actor: str = "mia"
) -> StoredEvent:
    """Append one event to ``stream`` of a real store."""
    new = to_new_event(
        event, metadata=Metadata(actor=actor, provider_id=getattr(event, "provider_id", None)), occurred_at=at
    )
    return store.append(stream, [new])[0]
