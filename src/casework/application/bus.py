"""The Application (command bus): the one way casework changes.

    app = Application(store, clock, vault=vault, frameworks=frameworks)   # bootstrap builds it
    result = app.execute(LogIntelligence(provider_id=..., source="cqc", ...), actor,
                         command_id="idempotency-key", expected_version=None)
    result.aggregate_id, result.stream, result.version, result.events, result.replayed
    app.load(INTELLIGENCE, result.aggregate_id)        # the folded state (NotFound if none)
    app.allowed_actions(INTELLIGENCE, record_id)       # for 409 details and page buttons

``execute`` checks the actor's role against the command's ``permitted`` roles (Forbidden),
returns the first result when ``command_id`` was already executed (``replayed=True``, nothing
appended), checks ``occurred_at`` is not in the future, refuses an unknown provider, reads the
stream, runs the aggregate's pure ``decide`` and appends its events with the version it read (or
the caller's ``expected_version``: a stale one raises ``ConcurrencyError`` and appends nothing).
Without ``expected_version``, losing a race to another writer re-reads the stream and decides
again (up to ``CONFLICT_ATTEMPTS`` times), so independent updates to one record both land.
Each ``RecordsLinked`` event is mirrored to the linked record's stream in the same transaction.
New aggregates are added with ``app.register(aggregate)`` (see ``casework.domain.aggregate``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import structlog

from casework.clock import Clock
from casework.domain.actors import Actor
from casework.domain.aggregate import Aggregate, Context, Route, with_version
from casework.domain.errors import Forbidden, InvalidInput, NotAllowed, NotFound
from casework.events.base import DomainEvent, Metadata, command_event_id, to_new_event
from casework.events.errors import ConcurrencyError
from casework.events.links import RecordsLinked
from casework.events.personal_data import SealedPerson
from casework.events.store import AppendRequest, EventStore, StoredEvent

log = structlog.get_logger("casework.application")

# How many times a command without ``expected_version`` is decided again after another writer
# got to its stream first (each attempt re-reads the stream).
CONFLICT_ATTEMPTS = 5

# The most events one command may append (a retry is recognised by looking up their ids).
MAX_EVENTS_PER_COMMAND = 200
_ID_NAMESPACE = uuid.UUID("7c0f3f7e-2b7e-4a53-9a51-6a3c8f1f0c11")


@dataclass(frozen=True)
class CommandResult:
    aggregate_id: str
    stream: str
    version: int  # of the stream, after the command
    events: list[StoredEvent]  # those appended (or, when replayed, appended the first time)
    replayed: bool = False


@dataclass(frozen=True)
class Loaded:
    state: Any
    version: int


AggregateRef = Aggregate | str  # an Aggregate or its stream prefix ("intelligence")


class Application:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        *,
        vault: Any = None,
        frameworks: Any = None,
        aggregates: Iterable[Aggregate] = (),
    ) -> None:
        self.store = store
        self.clock = clock
        self.vault = vault  # casework.domain.personal_data.PersonVault
        self.frameworks = frameworks  # casework.domain.frameworks.FrameworkRegistry
        self._aggregates: dict[str, Aggregate] = {}
        self._routes: dict[type, Aggregate] = {}
        for aggregate in aggregates:
            self.register(aggregate)

    # ----------------------------------------------------------------------------- registry
    def register(self, aggregate: Aggregate) -> None:
        """Make ``aggregate``'s commands executable and its state loadable."""
        if aggregate.stream_prefix in self._aggregates:
            raise ValueError(f"aggregate with stream prefix {aggregate.stream_prefix!r} registered twice")
        for command_type in aggregate.routes:
            if command_type in self._routes:
                raise ValueError(f"{command_type.__name__} is already routed")
            self._routes[command_type] = aggregate
        self._aggregates[aggregate.stream_prefix] = aggregate

    def aggregate(self, ref: AggregateRef) -> Aggregate:
        if isinstance(ref, Aggregate):
            return ref
        try:
            return self._aggregates[str(ref).replace("_", "-")]
        except KeyError:
            raise ValueError(f"no aggregate registered for {ref!r}") from None

    def aggregate_for(self, command_type: type) -> Aggregate:
        try:
            return self._routes[command_type]
        except KeyError:
            raise TypeError(f"no aggregate handles {command_type.__name__}") from None

    # ----------------------------------------------------------------------------- reading
    def read(self, ref: AggregateRef, ident: str) -> Loaded:
        """The folded state and the stream version (0 and the initial state when no events)."""
        aggregate = self.aggregate(ref)
        stored = self.store.read_stream(aggregate.stream(ident))
        version = stored[-1].version if stored else 0
        state = aggregate.fold(ident, (e.event for e in stored))
        return Loaded(with_version(state, version), version)

    def load(self, ref: AggregateRef, ident: str) -> Any:
        """The current state; ``NotFound`` when the record does not exist."""
        aggregate = self.aggregate(ref)
        loaded = self.read(aggregate, ident)
        if loaded.version == 0 and not aggregate.exists_without_events:
            raise NotFound(aggregate.kind, ident)
        return loaded.state

    def exists(self, ref: AggregateRef, ident: str) -> bool:
        aggregate = self.aggregate(ref)
        return bool(self.store.streams_exist([aggregate.stream(ident)]))

    def allowed_actions(self, ref: AggregateRef, ident: str) -> set[str]:
        aggregate = self.aggregate(ref)
        return aggregate.allowed_actions(self.load(aggregate, ident))

    def _lookup(self, prefix: str, ident: str) -> Any:
        aggregate = self._aggregates.get(prefix.replace("_", "-"))
        if aggregate is None:
            return None
        loaded = self.read(aggregate, ident)
        if loaded.version == 0 and not aggregate.exists_without_events:
            return None
        return loaded.state

    # ----------------------------------------------------------------------------- writing
    def execute(
        self,
        command: Any,
        actor: Actor,
        *,
        command_id: str | None = None,
        expected_version: int | None = None,
    ) -> CommandResult:
        """Execute ``command`` for ``actor``; see the module docstring. Raises a DomainError or
        ``ConcurrencyError`` to refuse, having appended nothing."""
        aggregate = self.aggregate_for(type(command))
        route = aggregate.route(type(command))
        permitted = getattr(command, "permitted", frozenset())
        if actor.role not in permitted:
            describe = getattr(command, "describe", None)
            raise Forbidden(str(actor.role), describe() if describe else type(command).__name__)
        if command_id is not None:
            first = self._first_result(aggregate, command_id)
            if first is not None:
                return first

        now = self.clock.now()
        occurred_at = getattr(command, "occurred_at", None) or now
        if occurred_at > now:
            raise InvalidInput("occurred_at", f"{occurred_at.isoformat()} is in the future")
        ident = route.id_of(command) or self._new_id(route, command_id)
        self._check_provider(route, command)

        # Without the caller's ``expected_version`` a command is about the record as it is now:
        # when another writer appended to the stream between our read and our append, read it
        # again and decide again (the lifecycle may now refuse). With one, a conflict is the
        # caller's to resolve (409).
        attempts = 1 if expected_version is not None else CONFLICT_ATTEMPTS
        for attempt in range(1, attempts + 1):
            try:
                return self._decide_and_append(
                    aggregate, route, command, actor, ident, command_id, expected_version, now,
                    occurred_at,
                )
            except ConcurrencyError as exc:
                if attempt == attempts:
                    raise
                log.info("command_conflict_retried", stream=exc.stream, attempt=attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _decide_and_append(
        self, aggregate: Aggregate, route: Route, command: Any, actor: Actor, ident: str,
        command_id: str | None, expected_version: int | None, now: Any, occurred_at: Any,
    ) -> CommandResult:
        stream = aggregate.stream(ident)
        stored = self.store.read_stream(stream)
        version = stored[-1].version if stored else 0
        state = with_version(aggregate.fold(ident, (e.event for e in stored)), version)
        self._check_existence(aggregate, route, ident, state, version, command)
        if expected_version is not None and expected_version != version:
            raise ConcurrencyError(stream, expected_version, version)

        sealed: list[SealedPerson] = []
        ctx = Context(
            actor=actor,
            now=now,
            occurred_at=occurred_at,
            lookup=self._lookup,
            seal=lambda clear: self._seal(clear, sealed),
            frameworks=self.frameworks,
        )
        try:
            new_events = aggregate.run_decide(state, command, ctx)
            if not new_events:
                return CommandResult(ident, stream, version, [], replayed=False)
            after = aggregate.fold(ident, new_events, state)
            requests = self._requests(
                stream, version, new_events, after, actor, command, command_id, occurred_at
            )
            appended = self.store.append_batch(requests)
        except BaseException:
            self._forget(sealed)
            raise
        own = [e for e in appended if e.stream == stream]
        log.info(
            "command_executed",
            command=type(command).__name__,
            stream=stream,
            version=own[-1].version,
            events=len(appended),
            actor=actor.name,
        )
        return CommandResult(ident, stream, own[-1].version, appended, replayed=False)

    def _requests(
        self,
        stream: str,
        version: int,
        new_events: list[DomainEvent],
        after: Any,
        actor: Actor,
        command: Any,
        command_id: str | None,
        occurred_at: Any,
    ) -> list[AppendRequest]:
        cid = command_id or str(uuid.uuid4())
        provider_id = getattr(after, "provider_id", None)
        reason = getattr(command, "reason", None)
        metadata = Metadata(
            actor=actor.name,
            provider_id=provider_id,
            command_id=cid,
            reason=reason if isinstance(reason, str) and reason else None,
            command=type(command).__name__,
        )
        index = 0
        own = []
        for event in new_events:
            own.append(to_new_event(event, metadata=metadata, occurred_at=occurred_at,
                                    event_id=command_event_id(cid, index)))
            index += 1
        requests = [AppendRequest(stream, own, expected_version=version)]
        mirrored: dict[str, list] = {}
        for event in new_events:
            if not isinstance(event, RecordsLinked):
                continue
            other = event.linked.stream
            other_state = self._lookup(event.linked.kind.stream_prefix, event.linked.id)
            if other_state is None and not self.store.streams_exist([other]):
                raise InvalidInput("linked", f"no {event.linked.kind.value} with id {event.linked.id!r}")
            other_provider = getattr(other_state, "provider_id", None) or provider_id
            mirror_meta = metadata.model_copy(update={"provider_id": other_provider})
            mirrored.setdefault(other, []).append(
                to_new_event(event.mirror(), metadata=mirror_meta, occurred_at=occurred_at,
                             event_id=command_event_id(cid, index))
            )
            index += 1
        requests += [AppendRequest(s, events) for s, events in mirrored.items()]
        return requests

    def _first_result(self, aggregate: Aggregate, command_id: str) -> CommandResult | None:
        found = self.store.get_events([command_event_id(command_id, 0)])
        if not found:  # the usual case: a new command (so derive the other ids only on a retry)
            return None
        ids = [str(command_event_id(command_id, i)) for i in range(MAX_EVENTS_PER_COMMAND)]
        found = self.store.get_events(ids)
        events = [found[i] for i in ids if i in found]
        stream = events[0].stream
        owner = self._aggregates.get(_prefix_of(stream, self._aggregates), aggregate)
        version = max(e.version for e in events if e.stream == stream)
        log.info("command_replayed", stream=stream, events=len(events))
        return CommandResult(owner.ident(stream), stream, version, events, replayed=True)

    @staticmethod
    def _new_id(route: Route, command_id: str | None) -> str:
        if not route.creates:
            raise InvalidInput("id", "say which record this is for")
        if command_id:  # a retry after a lost answer names the same record
            return str(uuid.uuid5(_ID_NAMESPACE, command_id))
        return str(uuid.uuid4())

    def _check_provider(self, route: Route, command: Any) -> None:
        if route.provider_of is None:
            return
        provider_id = route.provider_of(command)
        if not provider_id or not self.store.streams_exist([f"provider-{provider_id}"]):
            raise InvalidInput("provider_id", f"unknown provider {provider_id!r}")

    @staticmethod
    def _check_existence(
        aggregate: Aggregate, route: Route, ident: str, state: Any, version: int, command: Any
    ) -> None:
        if route.creates and version > 0:
            current = aggregate.state_of(state) if aggregate.state_of else "existing"
            raise NotAllowed(
                aggregate.kind, ident, str(current), getattr(command, "describe", lambda: "create")(),
                aggregate.allowed_actions(state), "it already exists",
            )
        if not route.creates and version == 0 and not aggregate.exists_without_events:
            raise NotFound(aggregate.kind, ident)

    def _seal(self, clear: str, sealed: list[SealedPerson]) -> SealedPerson:
        if self.vault is None:
            raise RuntimeError("personal data given but the Application has no PersonVault")
        person = self.vault.seal(clear)
        sealed.append(person)
        return person

    def _forget(self, sealed: list[SealedPerson]) -> None:
        """A refused command keeps no keys for the people it sealed."""
        for person in sealed:
            self.vault.erase(person.person_id)


def _prefix_of(stream: str, aggregates: dict[str, Aggregate]) -> str:
    """The longest registered prefix of ``stream`` ("provider-failure-x" is not "provider")."""
    matches = [p for p in aggregates if stream.startswith(f"{p}-")]
    return max(matches, key=len) if matches else ""
