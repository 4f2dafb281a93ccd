"""The steps every command goes through, whether alone (``Application.execute``) or with
thousands of others in one transaction (``CommandBatch``): defined once, so a check added here
holds for both.

    admitted = admit(app, command, actor, command_id=command_id)
    # the caller recognises a command already executed: the bus replays it, a batch skips it
    decision = decide(app, admitted, view, expected_version=None)
    # the caller stores decision.writes: the bus appends them, a batch queues them

``admit`` needs no reads: the actor's role may give the command (``Forbidden``), its
``occurred_at`` is not in the future, and it names the record it acts on (a creating command
that names none gets a new id, derived from the command id so that a retry names the same
record). ``decide`` reads through a ``View``: the provider the command names exists, the record
exists (or, for a creating command, does not yet), the stream is at ``expected_version`` when
one is given; then the aggregate's pure ``decide`` runs with a ``Context``, and its events become
``NewEvent``s carrying the command's metadata and ids derived from the command id, each
``RecordsLinked`` mirrored to the linked record's stream.

A ``View`` is where the steps read the world: the store (the bus) or the store plus the
commands already queued in a batch.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from casework.clock import Clock
from casework.domain.actors import Actor
from casework.domain.aggregate import Aggregate, Context, Route
from casework.domain.errors import Forbidden, InvalidInput, NotAllowed, NotFound
from casework.events.base import DomainEvent, Metadata, NewEvent, command_event_id, to_new_event
from casework.events.errors import ConcurrencyError
from casework.events.links import RecordsLinked
from casework.events.personal_data import SealedPerson
from casework.events.store import AppendRequest

_ID_NAMESPACE = uuid.UUID("7c0f3f7e-2b7e-4a53-9a51-6a3c8f1f0c11")


@dataclass(frozen=True)
class Loaded:
    state: Any  # with ``version`` set when the state has one
    version: int  # 0 when the stream has no events


class Registry(Protocol):
    """What the pipeline needs from the Application."""

    clock: Clock
    frameworks: Any
    sanctions: Any

    def aggregate(self, ref: Aggregate | str) -> Aggregate: ...

    def aggregate_for(self, command_type: type) -> Aggregate: ...


class View(Protocol):
    """Where the pipeline reads the records a command touches."""

    def read(self, aggregate: Aggregate, ident: str) -> Loaded: ...

    def provider_exists(self, provider_id: str) -> bool: ...

    def lookup(self, prefix: str, ident: str) -> Any:
        """The state of an existing record (``Context.lookup``), None when there is none."""

    def seal(self, clear: str) -> SealedPerson: ...


@dataclass(frozen=True)
class Admitted:
    """A command its actor may give, at a time not in the future, aimed at one record."""

    command: Any
    actor: Actor
    aggregate: Aggregate
    route: Route
    ident: str
    made_id: bool  # the id was made here (a creating command that named no record)
    command_id: str  # the caller's, or a new one: every event's metadata carries one
    now: datetime
    occurred_at: datetime

    @property
    def stream(self) -> str:
        return self.aggregate.stream(self.ident)


@dataclass(frozen=True)
class Write:
    """What a command appends to one stream, and the record's state after it."""

    aggregate: Aggregate
    ident: str
    state: Any
    events: tuple[NewEvent, ...]

    @property
    def stream(self) -> str:
        return self.aggregate.stream(self.ident)


@dataclass(frozen=True)
class Decision:
    admitted: Admitted
    version: int  # of the command's stream, as read
    state: Any  # of the command's record after its events
    writes: tuple[Write, ...]  # the command's stream first, then linked records'; () if no events

    def requests(self) -> list[AppendRequest]:
        """The writes as store requests: the command's stream at the version read."""
        return [
            AppendRequest(w.stream, list(w.events), expected_version=self.version if i == 0 else None)
            for i, w in enumerate(self.writes)
        ]


# ----------------------------------------------------------------------------- admit
def admit(app: Registry, command: Any, actor: Actor, *, command_id: str | None = None) -> Admitted:
    """Check what needs no reads; raises ``Forbidden`` or ``InvalidInput``."""
    aggregate = app.aggregate_for(type(command))
    route = aggregate.route(type(command))
    authorise(command, actor)
    now = app.clock.now()
    occurred_at = getattr(command, "occurred_at", None) or now
    if occurred_at > now:
        raise InvalidInput("occurred_at", f"{occurred_at.isoformat()} is in the future")
    given = route.id_of(command)
    return Admitted(
        command=command,
        actor=actor,
        aggregate=aggregate,
        route=route,
        ident=given or new_id(route, command_id),
        made_id=given is None,
        command_id=command_id or str(uuid.uuid4()),
        now=now,
        occurred_at=occurred_at,
    )


def authorise(command: Any, actor: Actor) -> None:
    """``Forbidden`` unless the actor's role is among the command's ``permitted`` roles."""
    if actor.role not in getattr(command, "permitted", frozenset()):
        describe = getattr(command, "describe", None)
        raise Forbidden(str(actor.role), describe() if describe else type(command).__name__)


def new_id(route: Route, command_id: str | None) -> str:
    """The id of the record a creating command makes; from ``command_id`` when given."""
    if not route.creates:
        raise InvalidInput("id", "say which record this is for")
    if command_id:  # a retry after a lost answer names the same record
        return str(uuid.uuid5(_ID_NAMESPACE, command_id))
    return str(uuid.uuid4())


# ----------------------------------------------------------------------------- decide
def decide(
    app: Registry, admitted: Admitted, view: View, *, expected_version: int | None = None
) -> Decision:
    """Read, check and decide; raises a ``DomainError`` (or ``ConcurrencyError`` for a stale
    ``expected_version``) to refuse. Stores nothing."""
    aggregate, ident = admitted.aggregate, admitted.ident
    check_provider(admitted, view)
    loaded = view.read(aggregate, ident)
    check_existence(admitted, loaded)
    if expected_version is not None and expected_version != loaded.version:
        raise ConcurrencyError(admitted.stream, expected_version, loaded.version)
    ctx = Context(
        actor=admitted.actor,
        now=admitted.now,
        occurred_at=admitted.occurred_at,
        lookup=view.lookup,
        seal=view.seal,
        frameworks=app.frameworks,
        sanctions=app.sanctions,
    )
    events = aggregate.run_decide(loaded.state, admitted.command, ctx)
    if not events:
        return Decision(admitted, loaded.version, loaded.state, ())
    after = aggregate.fold(ident, events, loaded.state)
    return Decision(admitted, loaded.version, after, writes(app, admitted, after, events, view))


def check_provider(admitted: Admitted, view: View) -> None:
    """``InvalidInput`` naming ``provider_id`` when the command's route names an unknown one."""
    if admitted.route.provider_of is None:
        return
    provider_id = admitted.route.provider_of(admitted.command)
    if not provider_id or not view.provider_exists(provider_id):
        raise InvalidInput("provider_id", f"unknown provider {provider_id!r}")


def check_existence(admitted: Admitted, loaded: Loaded) -> None:
    """A creating command needs a new record, any other an existing one."""
    aggregate, route, ident = admitted.aggregate, admitted.route, admitted.ident
    if route.creates and loaded.version > 0:
        current = aggregate.state_of(loaded.state) if aggregate.state_of else "existing"
        describe = getattr(admitted.command, "describe", lambda: "create")
        raise NotAllowed(
            aggregate.kind, ident, str(current), describe(),
            aggregate.allowed_actions(loaded.state), "it already exists",
        )
    if not route.creates and loaded.version == 0 and not aggregate.exists_without_events:
        raise NotFound(aggregate.kind, ident)


def writes(
    app: Registry, admitted: Admitted, after: Any, events: list[DomainEvent], view: View
) -> tuple[Write, ...]:
    """``events`` as ``NewEvent``s: metadata from the command, ids ``command_event_id(command_id,
    0..n)``, then one mirror per ``RecordsLinked`` on the linked record's stream."""
    cid, occurred_at = admitted.command_id, admitted.occurred_at
    reason = getattr(admitted.command, "reason", None)
    metadata = Metadata(
        actor=admitted.actor.name,
        provider_id=getattr(after, "provider_id", None),
        command_id=cid,
        reason=reason if isinstance(reason, str) and reason else None,
        command=type(admitted.command).__name__,
    )
    own = tuple(
        to_new_event(e, metadata=metadata, occurred_at=occurred_at, event_id=command_event_id(cid, i))
        for i, e in enumerate(events)
    )
    out = {admitted.stream: Write(admitted.aggregate, admitted.ident, after, own)}
    index = len(events)
    for event in events:
        if not isinstance(event, RecordsLinked):
            continue
        linked = event.linked
        other = out.get(linked.stream)
        state = other.state if other else view.lookup(linked.kind.stream_prefix, linked.id)
        if state is None:
            raise InvalidInput("linked", f"no {linked.kind.value} with id {linked.id!r}")
        aggregate = app.aggregate(linked.kind.stream_prefix)
        mirror = event.mirror()
        state = aggregate.fold(linked.id, [mirror], state)
        mirror_meta = metadata.model_copy(
            update={"provider_id": getattr(state, "provider_id", None) or metadata.provider_id}
        )
        new = to_new_event(mirror, metadata=mirror_meta, occurred_at=occurred_at,
                           event_id=command_event_id(cid, index))
        index += 1
        out[linked.stream] = Write(aggregate, linked.id, state, (other.events if other else ()) + (new,))
    return tuple(out.values())
