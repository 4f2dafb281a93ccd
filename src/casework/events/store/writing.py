"""The append path both dialects share: one transaction that reads the heads of the streams,
checks the expected versions, chains the new rows' hashes and inserts them.

Hooks (``TransactionHook``) given to ``write`` run inside that transaction, after the insert and
before the commit, with the stored events of the types they name: what they write (the
transactional outbox's messages) commits with the events or not at all.

A ``Writer`` subclass per dialect (``SqliteWriter``, ``PostgresWriter``) supplies what differs:
how the transaction orders appends, how many streams' heads are read at once, how rows are
inserted, and any faster path it tries first. The store picks one writer when it is built.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Engine

from casework.events.hashing import GENESIS
from casework.events.store.errors import Conflict
from casework.events.store.heads import Head
from casework.events.store.rows import new_rows, stored_events
from casework.events.stored import AppendRequest, StoredEvent

# The rows written (as dicts of the events table's columns) and event_id -> position.
Written = tuple[list[dict[str, Any]], dict[str, int]]


class TransactionHook(Protocol):
    """Writes rows of its own in the append's transaction, for events of ``event_types``.

    An upper layer builds it and adds it to ``EventStore.in_transaction`` (the store imports
    nothing above it). A hook that raises rolls the whole append back."""

    event_types: frozenset[str]

    def __call__(self, conn: Connection, events: list[StoredEvent]) -> None: ...


def hooked(hooks: Sequence[TransactionHook], requests: Sequence[AppendRequest]) -> bool:
    """Whether some hook wants an event of these requests (so the append needs a transaction)."""
    return any(ev.type in h.event_types for h in hooks for r in requests for ev in r.events)


def run_hooks(
    conn: Connection, hooks: Sequence[TransactionHook], requests: Sequence[AppendRequest],
    written: Written, recorded_at: datetime,
) -> None:
    if not hooked(hooks, requests):
        return
    stored = stored_events(requests, written[0], written[1], recorded_at)
    for hook in hooks:
        wanted = [e for e in stored if e.type in hook.event_types]
        if wanted:
            hook(conn, wanted)


class Writer(ABC):
    """Appends batches. Raises ``Conflict`` for a stale expected version and lets unique
    violations through (the store resolves both: a retry, or a ConcurrencyError)."""

    head_sql: str  # one stream's head in the driver's parameter style (heads.head_sql)

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def write(
        self, requests: Sequence[AppendRequest], recorded_at: datetime, recorded_iso: str,
        hooks: Sequence[TransactionHook] = (),
    ) -> Written:
        """Any batch: one transaction holding the append lock (five statements at least), with
        the ``hooks`` run in it."""
        with self._transaction() as conn:
            heads = self.heads(conn, [r.stream for r in requests])
            rows: list[dict[str, Any]] = []
            for req in requests:
                version, previous = heads.get(req.stream, (0, GENESIS))
                if req.expected_version is not None and req.expected_version != version:
                    raise Conflict(req.stream, req.expected_version, version)
                rows += new_rows(req, version, previous, recorded_at, recorded_iso)
                heads[req.stream] = (rows[-1]["version"], rows[-1]["hash"])
            positions = self.insert(conn, rows)
            run_hooks(conn, hooks, requests, (rows, positions), recorded_at)
        return rows, positions

    @abstractmethod
    def saw_head(self, stream: str, version: int, digest: str) -> None:
        """A read saw this stream's head; a writer that remembers heads keeps it."""

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(casework_write=True) as conn:
            with conn.begin():
                self.lock(conn)
                yield conn

    @abstractmethod
    def lock(self, conn: Connection) -> None:
        """Order this append with every other, before positions are allocated."""

    def heads(self, conn: Connection, streams: Sequence[str]) -> dict[str, Head]:
        """Each stream's last version and hash (absent streams are left out)."""
        if len(streams) == 1:
            row = conn.exec_driver_sql(self.head_sql, {"s": streams[0]}).first()
            return {streams[0]: (row[0], row[1])} if row else {}
        return self.many_heads(conn, streams)

    @abstractmethod
    def many_heads(self, conn: Connection, streams: Sequence[str]) -> dict[str, Head]:
        """``heads`` of two streams or more."""

    @abstractmethod
    def insert(self, conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
        """Insert rows; returns event_id -> position."""
