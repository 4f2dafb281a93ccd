"""Event types and the append-only event store."""

from casework.events.base import (
    DomainEvent,
    Metadata,
    NewEvent,
    command_event_id,
    decode,
    registered_types,
    to_new_event,
    upcaster,
)
from casework.events.errors import (
    ConcurrencyError,
    DuplicateEventError,
    SchemaOutOfDate,
    StoreError,
    StoreUnavailable,
    UnknownEventType,
)
from casework.events.store import AppendRequest, EventStore, StoredEvent, VerifyReport

__all__ = [
    "AppendRequest",
    "ConcurrencyError",
    "DomainEvent",
    "DuplicateEventError",
    "EventStore",
    "Metadata",
    "NewEvent",
    "SchemaOutOfDate",
    "StoreError",
    "StoreUnavailable",
    "StoredEvent",
    "UnknownEventType",
    "VerifyReport",
    "command_event_id",
    "decode",
    "registered_types",
    "to_new_event",
    "upcaster",
]
