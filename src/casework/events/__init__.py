"""Event types: pure data, one module per area. The append-only store that keeps them is
``casework.events.store`` (imported on its own: importing an event type loads no database code)."""

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

__all__ = [
    "ConcurrencyError",
    "DomainEvent",
    "DuplicateEventError",
    "Metadata",
    "NewEvent",
    "SchemaOutOfDate",
    "StoreError",
    "StoreUnavailable",
    "UnknownEventType",
    "command_event_id",
    "decode",
    "registered_types",
    "to_new_event",
    "upcaster",
]
