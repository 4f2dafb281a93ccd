"""Event types and the append-only event store.

``EventStore`` and ``VerifyReport`` load the store (SQLAlchemy, psycopg) on first use, so that
importing an event module or ``StoredEvent`` keeps domain code free of database libraries.
"""

from typing import TYPE_CHECKING, Any

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
from casework.events.stored import AppendRequest, StoredEvent

if TYPE_CHECKING:
    from casework.events.store import EventStore, VerifyReport

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


def __getattr__(name: str) -> Any:
    if name in ("EventStore", "VerifyReport"):
        from casework.events import store

        return getattr(store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
