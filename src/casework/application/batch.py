"""Many commands, one transaction: the batch path of the Application, for importers and
demonstration scenarios that write thousands of commands.

    batch = CommandBatch(app, SYSTEM)
    pid = batch.execute(RegisterProvider(...), command_id="cqc:1-100:registered")
    batch.execute(PublishCqcRating(provider_id=pid, ...), command_id="cqc:1-100:rating:abc")
    stored = batch.commit()          # one store.append_batch for everything above

Each command goes through ``casework.application.pipeline``, the steps ``Application.execute``
takes too (role, ``occurred_at`` not in the future, unknown provider, create vs existing, the
aggregate's lifecycle, metadata, event ids, links), with the batch as the pipeline's ``View``:
the state as it stands *including the commands already in the batch*. Event ids and metadata
are therefore those ``execute`` gives, so a command already executed (by either path: its id is
in its stream's metadata) is recognised and skipped, and running a whole batch again appends
nothing twice. A refused command raises its
``DomainError`` and leaves the batch as it was before that command; ``savepoint`` and
``rollback`` undo a group of commands (an importer's one location). ``commit`` appends one
request per stream with the version read, so a concurrent writer makes the whole batch fail
with ``ConcurrencyError`` rather than interleave.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from casework.application.bus import Application
from casework.application.pipeline import Decision, Loaded, admit, decide
from casework.domain.actors import Actor
from casework.domain.aggregate import Aggregate, with_version
from casework.events.base import NewEvent
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
        admitted = admit(self.app, command, actor or self.actor, command_id=command_id)
        stream = admitted.stream
        if admitted.made_id and self.trust_new_ids and stream not in self._streams:
            aggregate = admitted.aggregate
            self._streams[stream] = _Stream(aggregate, admitted.ident, aggregate.initial(admitted.ident), 0)
        current = self._stream(admitted.aggregate, admitted.ident)
        if command_id in self._done or command_id in current.done:
            self.skipped += 1
            return admitted.ident
        mark = len(self._sealed)
        try:
            decision = decide(self.app, admitted, self)
        except BaseException:
            self._forget(mark)
            raise
        if decision.writes:
            self._queue(decision)
            self.executed += 1
        self._done.add(command_id)
        return admitted.ident

    def _queue(self, decision: Decision) -> None:
        # Every stream written was read by ``decide`` (the command's, and linked ones through
        # ``lookup``), so it is in ``self._streams``.
        for write in decision.writes:
            self._streams[write.stream] = _with(self._streams[write.stream], write.state, write.events)
            self.pending_events += len(write.events)

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
            name: replace(s, base_version=s.version, pending=(), done=s.done | _command_ids(s.pending))
            for name, s in self._streams.items()
        }
        self._sealed = []
        self.executed = 0
        self.pending_events = 0
        return stored

    # ----------------------------------------------------------------------------- reading
    def state(self, ref: Any, ident: str) -> Any:
        """A record's state as the batch sees it (pending commands included)."""
        return self.read(self.app.aggregate(ref), ident).state

    # The pipeline's View: the store plus the commands queued in this batch.
    def read(self, aggregate: Aggregate, ident: str) -> Loaded:
        current = self._stream(aggregate, ident)
        return Loaded(with_version(current.state, current.version), current.version)

    def provider_exists(self, provider_id: str) -> bool:
        return self._stream(self.app.aggregate("provider"), provider_id).exists

    def lookup(self, prefix: str, ident: str) -> Any:
        try:
            aggregate = self.app.aggregate(prefix)
        except ValueError:
            return None
        current = self._stream(aggregate, ident)
        return with_version(current.state, current.version) if current.exists else None

    def seal(self, clear: str) -> SealedPerson:
        if self.app.vault is None:
            raise RuntimeError("personal data given but the Application has no PersonVault")
        person = self.app.vault.seal(clear)
        self._sealed.append(person)
        return person

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
                done=_command_ids(stored),
            )
            self._streams[name] = found
        return found

    def _forget(self, keep: int) -> None:
        for person in self._sealed[keep:]:
            self.app.vault.erase(person.person_id)
        del self._sealed[keep:]


def _with(s: _Stream, state: Any, events: tuple[NewEvent, ...]) -> _Stream:
    return _Stream(s.aggregate, s.ident, state, s.base_version, s.pending + events, s.done)


def deterministic_id(*parts: str) -> str:
    """A stable uuid for a record named by outside identifiers (e.g. a CQC location id)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "casework:" + ":".join(parts)))


def _command_ids(events: Iterable[NewEvent | StoredEvent]) -> frozenset[str]:
    """The ids of the commands that wrote ``events`` (imported events may carry none)."""
    return frozenset(cid for e in events if (cid := e.metadata.get("command_id")))
