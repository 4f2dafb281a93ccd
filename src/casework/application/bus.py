"""The Application (command bus): the one way casework changes.

    app = Application(store, clock, vault=vault, frameworks=frameworks)   # bootstrap builds it
    result = app.execute(LogIntelligence(provider_id=..., source="cqc", ...), actor,
                         command_id="idempotency-key", expected_version=None)
    result.aggregate_id, result.stream, result.version, result.events, result.replayed
    app.load(INTELLIGENCE, result.aggregate_id)        # the folded state (NotFound if none)
    app.allowed_actions(INTELLIGENCE, record_id)       # for 409 details and page buttons

``execute`` takes the command through ``casework.application.pipeline`` (the steps it shares
with ``CommandBatch``): it checks the actor's role against the command's ``permitted`` roles
(Forbidden) and that ``occurred_at`` is not in the future, returns the first result when
``command_id`` was already executed (``replayed=True``, nothing appended), refuses an unknown
provider, reads the stream, runs the aggregate's pure ``decide`` and appends its events with the
version it read (or the caller's ``expected_version``: a stale one raises ``ConcurrencyError``
and appends nothing).
Without ``expected_version``, losing a race to another writer re-reads the stream and decides
again (up to ``CONFLICT_ATTEMPTS`` times), so independent updates to one record both land.
Each ``RecordsLinked`` event is mirrored to the linked record's stream in the same transaction.
New aggregates are added with ``app.register(aggregate)`` (see ``casework.domain.aggregate``).
Callables in ``app.timers`` (``CommandTimer``) are told each ``execute``'s command class name,
its ``Outcome`` and its seconds (metrics, given by an upper layer).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import structlog

from casework.application.pipeline import Admitted, Loaded, admit, decide
from casework.clock import Clock
from casework.domain.actors import Actor, Role
from casework.domain.aggregate import Aggregate, Context, with_version
from casework.domain.errors import DomainError, NotFound
from casework.events.base import command_event_id
from casework.events.errors import ConcurrencyError
from casework.events.personal_data import SealedPerson
from casework.events.store import EventStore, StoredEvent

log = structlog.get_logger("casework.application")

# How many times a command without ``expected_version`` is decided again after another writer
# got to its stream first (each attempt re-reads the stream).
CONFLICT_ATTEMPTS = 5

# How many providers the Application remembers to exist (see ``_providers_seen``).
PROVIDERS_REMEMBERED = 100_000

# The most events one command may append (a retry is recognised by looking up their ids).
MAX_EVENTS_PER_COMMAND = 200


@dataclass(frozen=True)
class CommandResult:
    aggregate_id: str
    stream: str
    version: int  # of the stream, after the command
    events: list[StoredEvent]  # those appended (or, when replayed, appended the first time)
    replayed: bool = False


AggregateRef = Aggregate | str  # an Aggregate or its stream prefix ("intelligence")


class Outcome(StrEnum):
    """How an ``execute`` ended."""

    ok = "ok"  # appended, or nothing to append, or a retry answered with the first result
    refused = "refused"  # a DomainError: not permitted, not allowed now, invalid, not found
    conflict = "conflict"  # ConcurrencyError: a stale expected version, or races lost
    error = "error"  # anything else (the store unreachable, a bug)


# ``Application.timers``: (command class name, outcome, seconds) of each ``execute``, the
# read models' in-process catch-up after the append included (it runs before execute returns).
CommandTimer = Callable[[str, Outcome, float], None]


class Application:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        *,
        vault: Any = None,
        frameworks: Any = None,
        sanctions: Any = None,
        aggregates: Iterable[Aggregate] = (),
    ) -> None:
        self.store = store
        self.clock = clock
        self.vault = vault  # casework.domain.personal_data.PersonVault
        self.frameworks = frameworks  # casework.domain.frameworks.FrameworkRegistry
        self.sanctions = sanctions  # casework.domain.sanction_policy.SanctionPolicy
        self._aggregates: dict[str, Aggregate] = {}
        self._routes: dict[type, Aggregate] = {}
        # Providers seen to exist: events are never deleted, so a provider once there stays
        # there and most commands need no query to check theirs (bounded: cleared when full).
        self._providers_seen: set[str] = set()
        self.timers: list[CommandTimer] = []
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

    def allowed_actions(self, ref: AggregateRef, ident: str, actor: Actor | None = None) -> set[str]:
        """What ``decide`` would accept now: the lifecycle's actions from the record's state, or
        where the aggregate has guards beyond it (``allowed_now``), theirs for ``actor`` (None:
        someone of the permitted roles who did nothing to the record yet)."""
        aggregate = self.aggregate(ref)
        state = self.load(aggregate, ident)
        if aggregate.allowed_now is None:
            return aggregate.allowed_actions(state)
        now = self.clock.now()
        ctx = Context(actor=actor or Actor("", Role.manager), now=now, occurred_at=now,
                      frameworks=self.frameworks, sanctions=self.sanctions)
        return aggregate.allowed_now(state, ctx)

    def lookup(self, prefix: str, ident: str) -> Any:
        """The state of an existing record, None when there is none (``Context.lookup``)."""
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
        started = time.perf_counter()
        outcome = Outcome.error
        try:
            result = self._execute(command, actor, command_id, expected_version)
            outcome = Outcome.ok
            return result
        except DomainError:
            outcome = Outcome.refused
            raise
        except ConcurrencyError:
            outcome = Outcome.conflict
            raise
        finally:
            elapsed = time.perf_counter() - started
            for timer in self.timers:
                timer(type(command).__name__, outcome, elapsed)

    def _execute(
        self, command: Any, actor: Actor, command_id: str | None, expected_version: int | None
    ) -> CommandResult:
        admitted = admit(self, command, actor, command_id=command_id)
        # A retry of a command already executed answers with its first result. A creating
        # command needs no look-up first: its record (named by the caller, or derived from the
        # command id) exists once it has run, so its retry is refused, and only then looked up.
        lazily = admitted.route.creates
        if command_id is not None and not lazily:
            first = self._first_result(admitted.aggregate, command_id)
            if first is not None:
                return first
        try:
            return self._decide_and_append_retrying(admitted, expected_version)
        except (DomainError, ConcurrencyError):
            if command_id is not None and lazily:
                first = self._first_result(admitted.aggregate, command_id)
                if first is not None:
                    return first
            raise

    def _decide_and_append_retrying(
        self, admitted: Admitted, expected_version: int | None
    ) -> CommandResult:
        # Without the caller's ``expected_version`` a command is about the record as it is now:
        # when another writer appended to the stream between our read and our append, read it
        # again and decide again (the lifecycle may now refuse). With one, a conflict is the
        # caller's to resolve (409).
        attempts = 1 if expected_version is not None else CONFLICT_ATTEMPTS
        for attempt in range(1, attempts + 1):
            try:
                return self._decide_and_append(admitted, expected_version)
            except ConcurrencyError as exc:
                if attempt == attempts:
                    raise
                log.info("command_conflict_retried", stream=exc.stream, attempt=attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _decide_and_append(self, admitted: Admitted, expected_version: int | None) -> CommandResult:
        view = _StoreView(self)
        try:
            decision = decide(self, admitted, view, expected_version=expected_version)
            if not decision.writes:
                return CommandResult(admitted.ident, admitted.stream, decision.version, [])
            appended = self.store.append_batch(decision.requests())
        except BaseException:
            view.forget()
            raise
        stream = admitted.stream
        version = max(e.version for e in appended if e.stream == stream)
        log.info(
            "command_executed",
            command=type(admitted.command).__name__,
            stream=stream,
            version=version,
            events=len(appended),
            actor=admitted.actor.name,
        )
        return CommandResult(admitted.ident, stream, version, appended, replayed=False)

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


class _StoreView:
    """The pipeline's ``View`` for one command: the store as it is, and the people it seals."""

    def __init__(self, app: Application) -> None:
        self.app = app
        self.sealed: list[SealedPerson] = []

    def read(self, aggregate: Aggregate, ident: str) -> Loaded:
        return self.app.read(aggregate, ident)

    def provider_exists(self, provider_id: str) -> bool:
        seen = self.app._providers_seen  # noqa: SLF001 (the Application's own view)
        if provider_id in seen:
            return True
        stream = self.app.aggregate("provider").stream(provider_id)
        if not self.app.store.streams_exist([stream]):
            return False
        if len(seen) >= PROVIDERS_REMEMBERED:
            seen.clear()
        seen.add(provider_id)
        return True

    def lookup(self, prefix: str, ident: str) -> Any:
        return self.app.lookup(prefix, ident)

    def seal(self, clear: str) -> SealedPerson:
        if self.app.vault is None:
            raise RuntimeError("personal data given but the Application has no PersonVault")
        person = self.app.vault.seal(clear)
        self.sealed.append(person)
        return person

    def forget(self) -> None:
        """A refused command keeps no keys for the people it sealed."""
        for person in self.sealed:
            self.app.vault.erase(person.person_id)


def _prefix_of(stream: str, aggregates: dict[str, Aggregate]) -> str:
    """The longest registered prefix of ``stream`` ("provider-failure-x" is not "provider")."""
    matches = [p for p in aggregates if stream.startswith(f"{p}-")]
    return max(matches, key=len) if matches else ""
