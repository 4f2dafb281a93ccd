"""Typed domain events: declared once, registered by type name, upcast on read.

A domain event is a frozen pydantic model that names a fact in the past tense::

    class IntelligenceLogged(DomainEvent, type_name="IntelligenceLogged", version=1):
        record_id: str
        source: IntelligenceSource
        ...

Declaring the class registers it. ``to_new_event`` wraps it in the envelope the store appends;
``StoredEvent.event`` turns stored JSON back into the typed event, running any upcasters that
lift an older ``schema_version`` to the current one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from casework.events.errors import UnknownEventType

JsonDict = dict[str, Any]
Upcaster = Callable[[JsonDict], JsonDict]

_REGISTRY: dict[str, type[DomainEvent]] = {}
# (type name, from version) -> function lifting data of that version to version + 1
_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


class DomainEvent(BaseModel):
    """Base of every domain event. Subclasses pass ``type_name`` (and ``version`` when > 1)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type_name: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1

    def __init_subclass__(cls, *, type_name: str | None = None, version: int = 1, **kw: Any):
        super().__init_subclass__(**kw)
        if type_name is None:
            return  # an intermediate base class, not a concrete event
        if type_name in _REGISTRY and _REGISTRY[type_name].__qualname__ != cls.__qualname__:
            raise TypeError(f"event type {type_name!r} is declared twice")
        cls.type_name = type_name
        cls.schema_version = version
        _REGISTRY[type_name] = cls

    def to_data(self) -> JsonDict:
        """The event's fields as JSON-ready data (what the store keeps in ``data``)."""
        return self.model_dump(mode="json")


def upcaster(type_name: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register a function that turns ``data`` of ``from_version`` into ``from_version + 1``."""

    def register(fn: Upcaster) -> Upcaster:
        _UPCASTERS[(type_name, from_version)] = fn
        return fn

    return register


def event_class(type_name: str) -> type[DomainEvent]:
    try:
        return _REGISTRY[type_name]
    except KeyError:
        raise UnknownEventType(type_name) from None


def registered_types() -> dict[str, type[DomainEvent]]:
    return dict(_REGISTRY)


def upcast(type_name: str, schema_version: int, data: JsonDict) -> JsonDict:
    """Lift stored ``data`` to the current schema version of its event class."""
    current = event_class(type_name).schema_version
    version = schema_version
    while version < current:
        step = _UPCASTERS.get((type_name, version))
        if step is None:
            raise UnknownEventType(f"{type_name} v{version} (no upcaster to v{version + 1})")
        data = step(data)
        version += 1
    return data


def decode(type_name: str, schema_version: int, data: JsonDict) -> DomainEvent:
    """Stored JSON -> typed event, upcast to the current schema."""
    cls = event_class(type_name)
    return cls.model_validate(upcast(type_name, schema_version, data))


class Metadata(BaseModel):
    """Who caused an event and why; stored beside the data, never inside it."""

    model_config = ConfigDict(frozen=True, extra="allow")

    actor: str
    provider_id: str | None = None
    reason: str | None = None
    command_id: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None


class NewEvent(BaseModel):
    """The envelope appended to the store. ``occurred_at`` is when it happened in the world."""

    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID
    type: str
    schema_version: int
    data: JsonDict
    metadata: JsonDict
    occurred_at: datetime

    @property
    def provider_id(self) -> str | None:
        return self.metadata.get("provider_id")


def to_new_event(
    event: DomainEvent,
    *,
    metadata: Metadata,
    occurred_at: datetime,
    event_id: uuid.UUID | None = None,
) -> NewEvent:
    """Wrap a typed event in the store's envelope."""
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    return NewEvent(
        event_id=event_id or uuid.uuid4(),
        type=event.type_name,
        schema_version=event.schema_version,
        data=event.to_data(),
        metadata=metadata.model_dump(mode="json", exclude_none=True),
        occurred_at=occurred_at,
    )


def command_event_id(command_id: str, index: int) -> uuid.UUID:
    """Deterministic event ids for a command, so that a retried command is recognised."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"casework:command:{command_id}:{index}")
