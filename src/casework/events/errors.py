"""The store's own errors. Driver exceptions are translated into these at the store boundary."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every error the event store raises."""


class ConcurrencyError(StoreError):
    """The stream moved on since it was read: ``expected_version`` is stale. Nothing was written."""

    def __init__(self, stream: str, expected: int, actual: int) -> None:
        self.stream = stream
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"stream {stream!r} is at version {actual}, not {expected}: "
            "it changed since you read it; read it again and retry"
        )


class DuplicateEventError(StoreError):
    """An ``event_id`` is already stored with different content. Nothing was written."""

    def __init__(self, event_id: str) -> None:
        self.event_id = event_id
        super().__init__(f"event {event_id} is already stored with different content")


class StoreUnavailable(StoreError):
    """The database could not be reached; the operation may be retried later."""


class UnknownEventType(StoreError):
    """A stored event type (or schema version) that this code cannot read."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name
        super().__init__(f"unknown event type {type_name}")


class SchemaOutOfDate(StoreError):
    """The database schema is older or newer than this code expects."""
