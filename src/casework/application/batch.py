"""Many commands, one transaction: the batch path of the Application, for importers and
demonstration scenarios that write thousands of commands.

    batch = CommandBatch(app, SYSTEM)
    pid = batch.execute(RegisterProvider(...), command_id="cqc:1-100:registered")
    batch.execute(PublishCqcRating(provider_id=pid, ...), command_id="cqc:1-100:rating:abc")
    stored = batch.commit()          # one store.append_batch for everything above

Each command goes through the same checks and the same pure ``decide`` as
``Application.execute`` (role, ``occurred_at`` not in the future, unknown provider, create vs
existing, the aggregate's lifecycle), against the state as it stands *including the commands
already in the batch*. Event ids and metadata are those ``execute`` gives, so a command already
executed (by either path: its id is in its stream's metadata) is recognised and skipped, and
running a whole batch again appends nothing twice. A refused command raises its
``DomainError`` and leaves the batch as it was before that command; ``savepoint`` and
``rollback`` undo a group of commands (an importer's one location). ``commit`` appends one
request per stream with the version read, so a concurrent writer makes the whole batch fail
with ``ConcurrencyError`` rather than interleave.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any

from casework.application.bus import Application
from casework.domain.actors import Actor
from casework.domain.aggregate import Aggregate, Context, with_version
from casework.domain.errors import Forbidden, InvalidInput
from casework.events.base import DomainEvent, Metadata, NewEvent, command_event_id, to_new_event
from casework.events.links import RecordsLinked
from casework.events.personal_data import SealedPerson
from casework.events.store import AppendRequest, StoredEvent


@dataclass(frozen=True)
class _Stream:
    """One stream as the batch sees it: state after pending events, version read, pending."""

    aggregate: Aggregate
    ident: str
    state: Any
    base_version: int
    pending: tuple[NewEvent, ...] = ()
    done: frozenset[str] = frozenset()  # ids of the commands already stored in this stream

    @property
    def version(self) -> int:
        return self.base_version + len(self.pending)

    @property
    def exists(self) -> bool:
        return self.version > 0 or self.aggregate.exists_without_events


@dataclass(frozen=True)
class Savepoint:
    streams: dict[str, _Stream]
    sealed: int
    executed: int
    pending: int


class CommandBatch:
    def __init__(self, app: Application, actor: Actor, *, trust_new_ids: bool = False) -> None:
        """``trust_new_ids``: a record created with an id derived from a command id that this
        batch has not seen is taken to be new without reading its stream (a writer of fresh
        data, e.g. a demonstration scenario, saves a query per record). It stays safe: were the
        stream there after all, ``commit`` would fail with ``ConcurrencyError``, appending
        nothing."""
        self.app = app
        self.actor = actor
        self.trust_new_ids = trust_new_ids
        self.pending_events = 0
        self._streams: dict[str, _Stream] = {}
        self._sealed: list[SealedPerson] = []
        self._done: set[str] = set()  # command ids executed in this batch
        self.executed = 0  # commands that produced events in this batch
        self.skipped = 0  # commands recognised as already executed

    # ----------------------------------------------------------------------------- writing
    def execute(self, command: Any, *, command_id: str, actor: Actor | None = None) -> str:
        """Decide ``command`` against the batch's view and queue its events; returns the id of
        the record it acted on (also when it had already been executed: nothing is queued).
        ``actor`` overrides the batch's actor for this command."""
        app = self.app
        actor = actor or self.actor
        aggregate = app.aggregate_for(type(command))
        route = aggregate.route(type(command))
        if actor.role not in getattr(command, "permitted", frozenset()):
            describe = getattr(command, "describe", None)
            raise Forbidden(str(actor.role), describe() if describe else type(command).__name__)
        given = route.id_of(command)
        ident = given or app._new_id(route, command_id)
        if given is None and self.trust_new_ids and aggregate.stream(ident) not in self._streams:
            self._streams[aggregate.stream(ident)] = _Stream(aggregate, ident, aggregate.initial(ident), 0)
        current = self._stream(aggregate, ident)
        if command_id in self._done or command_id in current.done:
            self.skipped += 1
            return ident
        now = app.clock.now()
        occurred_at = getattr(command, "occurred_at", None) or now
        if occurred_at > now:
            raise InvalidInput("occurred_at", f"{occurred_at.isoformat()} is in the future")
        if route.provider_of is not None:
            provider_id = route.provider_of(command)
            if not provider_id or not self._stream(app.aggregate("provider"), provider_id).exists:
                raise InvalidInput("provider_id", f"unknown provider {provider_id!r}")
        state = with_version(current.state, current.version)
        app._check_existence(aggregate, route, ident, state, current.version, command)

        ctx = Context(
            actor=actor,
            now=now,
            occurred_at=occurred_at,
            lookup=self._lookup,
            seal=self._seal,
            frameworks=app.frameworks,
        )
        mark = len(self._sealed)
        try:
            events = aggregate.run_decide(state, command, ctx)
        except BaseException:
            self._forget(mark)
            raise
        if events:
            self._queue(current, events, command, command_id, occurred_at, actor)
            self.executed += 1
        self._done.add(command_id)
        return ident

    def _queue(
        self,
        current: _Stream,
        events: list[DomainEvent],
        command: Any,
        command_id: str,
        occurred_at: Any,
        actor: Actor,
    ) -> None:
        after = current.aggregate.fold(current.ident, events, current.state)
        reason = getattr(command, "reason", None)
        metadata = Metadata(
            actor=actor.name,
            provider_id=getattr(after, "provider_id", None),
            command_id=command_id,
            reason=reason if isinstance(reason, str) and reason else None,
            command=type(command).__name__,
        )
        own = tuple(
            to_new_event(e, metadata=metadata, occurred_at=occurred_at,
                         event_id=command_event_id(command_id, i))
            for i, e in enumerate(events)
        )
        updates = {self._key(current): _with(current, after, own)}
        index = len(events)
        for event in events:
            if not isinstance(event, RecordsLinked):
                continue
            other_aggregate = self.app.aggregate(event.linked.kind.stream_prefix)
            other = updates.get(event.linked.stream) or self._stream(other_aggregate, event.linked.id)
            if not other.exists:
                raise InvalidInput("linked", f"no {event.linked.kind.value} with id {event.linked.id!r}")
            mirror = event.mirror()
            other_after = other_aggregate.fold(other.ident, [mirror], other.state)
            mirror_meta = metadata.model_copy(
                update={"provider_id": getattr(other_after, "provider_id", None) or metadata.provider_id}
            )
            new = to_new_event(mirror, metadata=mirror_meta, occurred_at=occurred_at,
                               event_id=command_event_id(command_id, index))
            index += 1
            updates[self._key(other)] = _with(other, other_after, (new,))
        self.pending_events += sum(len(u.pending) - len(self._streams[k].pending)
                                   if k in self._streams else len(u.pending) for k, u in updates.items())
        self._streams.update(updates)

    def savepoint(self) -> Savepoint:
        return Savepoint(dict(self._streams), len(self._sealed), self.executed, self.pending_events)

    def rollback(self, point: Savepoint) -> None:
        """Forget every command queued since ``point`` (their sealed people too)."""
        self._streams = dict(point.streams)
        self._forget(point.sealed)
        self.executed = point.executed
        self.pending_events = point.pending

    def commit(self) -> list[StoredEvent]:
        """Append everything queued in one transaction; the batch is then empty again."""
        requests = [
            AppendRequest(stream, list(s.pending), expected_version=s.base_version)
            for stream, s in self._streams.items()
            if s.pending
        ]
        try:
            stored = self.app.store.append_batch(requests)
        except BaseException:
            self._forget(0)
            raise
        # Keep what we know: the streams' states stay valid, their events now stored.
        self._streams = {
            name: replace(s, base_version=s.version, pending=(),
                          done=s.done | {e.metadata.get("command_id") for e in s.pending})
            for name, s in self._streams.items()
        }
        self._sealed = []
        self.executed = 0
        self.pending_events = 0
        return stored

    # ----------------------------------------------------------------------------- reading
    def state(self, ref: Any, ident: str) -> Any:
        """A record's state as the batch sees it (pending commands included)."""
        current = self._stream(self.app.aggregate(ref), ident)
        return with_version(current.state, current.version)

    def _stream(self, aggregate: Aggregate, ident: str) -> _Stream:
        name = aggregate.stream(ident)
        found = self._streams.get(name)
        if found is None:
            stored = self.app.store.read_stream(name)
            found = _Stream(
                aggregate,
                ident,
                aggregate.fold(ident, (e.event for e in stored)),
                stored[-1].version if stored else 0,
                done=frozenset(e.metadata.get("command_id") for e in stored),
            )
            self._streams[name] = found
        return found

    def _lookup(self, prefix: str, ident: str) -> Any:
        try:
            aggregate = self.app.aggregate(prefix)
        except ValueError:
            return None
        current = self._stream(aggregate, ident)
        return with_version(current.state, current.version) if current.exists else None

    @staticmethod
    def _key(s: _Stream) -> str:
        return s.aggregate.stream(s.ident)

    def _seal(self, clear: str) -> SealedPerson:
        if self.app.vault is None:
            raise RuntimeError("personal data given but the Application has no PersonVault")
        person = self.app.vault.seal(clear)
        self._sealed.append(person)
        return person

    def _forget(self, keep: int) -> None:
        for person in self._sealed[keep:]:
            self.app.vault.erase(person.person_id)
        del self._sealed[keep:]


def _with(s: _Stream, state: Any, events: tuple[NewEvent, ...]) -> _Stream:
    return _Stream(s.aggregate, s.ident, state, s.base_version, s.pending + events, s.done)


def deterministic_id(*parts: str) -> str:
    """A stable uuid for a record named by outside identifiers (e.g. a CQC location id)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "casework:" + ":".join(parts)))
