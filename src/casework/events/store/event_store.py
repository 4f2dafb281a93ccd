"""``EventStore``: the reads of ``LogReader`` plus append and verification, over the writer
chosen once for the engine's dialect."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from casework.clock import Clock, SystemClock
from casework.events.base import NewEvent
from casework.events.errors import ConcurrencyError, DuplicateEventError
from casework.events.hashing import dumps, iso
from casework.events.store import verify as verification
from casework.events.store.errors import Conflict, UniqueViolation, translate_db_error
from casework.events.store.heads import Head
from casework.events.store.postgres_driver import PostgresDriver
from casework.events.store.postgres_writer import PostgresWriter
from casework.events.store.reading import LogReader
from casework.events.store.rows import stored_events
from casework.events.store.sqlite_writer import SqliteWriter
from casework.events.store.verify import VerifyReport
from casework.events.store.writing import TransactionHook, Writer
from casework.events.stored import AppendRequest, StoredEvent

log = structlog.get_logger("casework.store")

# ``EventStore.timers``: (streams, events, seconds) of each committed append, its transaction
# from the first statement to the commit (not the listeners that run after it).
AppendTimer = Callable[[int, int, float], None]

STREAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,199}$")


class EventStore(LogReader):
    """The append-only log. Build one per process with ``EventStore(engine, clock)``."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.clock = clock or SystemClock()
        self.postgres = engine.dialect.name == "postgresql"
        self._writer: Writer
        if self.postgres:
            driver = PostgresDriver(engine)
            self._writer = PostgresWriter(engine, driver)
            super().__init__(engine, fetch=driver.fetch)
        else:
            self._writer = SqliteWriter(engine)
            super().__init__(engine)
        # Called in-process after every commit with the events it stored (projections use it).
        self.listeners: list[Callable[[list[StoredEvent]], None]] = []
        # Run inside each append's transaction, before its commit (the transactional outbox).
        self.in_transaction: list[TransactionHook] = []
        # Told how long each committed append transaction took (an upper layer's metrics): the
        # store stays free of any monitoring library.
        self.timers: list[AppendTimer] = []

    # ----------------------------------------------------------------------------- writing
    def append(
        self, stream: str, events: Sequence[NewEvent], expected_version: int | None = None
    ) -> list[StoredEvent]:
        """Append ``events`` to ``stream`` atomically; see the package docstring for guarantees."""
        return self.append_batch([AppendRequest(stream, events, expected_version)])

    def append_batch(self, requests: Sequence[AppendRequest]) -> list[StoredEvent]:
        """Append to several streams in one transaction and one round trip per 1000 rows."""
        requests = [r for r in requests if r.events]
        if not requests:
            return []
        _check_requests(requests)
        recorded_at = self.clock.now().astimezone(UTC)
        recorded_iso = iso(recorded_at)  # once per batch: it is the same for every event
        started = time.perf_counter()
        try:
            rows, positions = self._writer.write(
                requests, recorded_at, recorded_iso, self.in_transaction
            )
        except (Conflict, UniqueViolation, IntegrityError) as exc:
            stored = self._resolve_conflict(requests, exc)
            log.info("append_was_retry", streams=len(requests), events=len(stored))
            return stored
        except DBAPIError as exc:
            raise translate_db_error(exc) from exc
        elapsed = time.perf_counter() - started
        for timer in self.timers:
            timer(len(requests), len(rows), elapsed)
        stored = stored_events(requests, rows, positions, recorded_at)
        for listener in self.listeners:
            listener(stored)
        return stored

    def _resolve_conflict(
        self, requests: Sequence[AppendRequest], exc: Exception
    ) -> list[StoredEvent]:
        """After a refused append: an exact retry returns what is stored; anything else raises."""
        wanted = {str(ev.event_id): (req.stream, ev) for req in requests for ev in req.events}
        existing = self.get_events(wanted)
        for event_id, stored in existing.items():
            stream, ev = wanted[event_id]
            if not _same_content(stored, stream, ev):
                raise DuplicateEventError(event_id) from None
        if existing and len(existing) == len(wanted):
            return sorted(existing.values(), key=lambda e: e.position)
        if existing:
            raise DuplicateEventError(next(iter(existing))) from None
        if isinstance(exc, Conflict):
            raise ConcurrencyError(exc.stream, exc.expected, exc.actual) from None
        # A unique (stream, version) violation: another writer got there first.
        req = requests[0]
        actual = self.stream_version(req.stream)
        raise ConcurrencyError(req.stream, req.expected_version or 0, actual) from None

    # ----------------------------------------------------------------------------- reading
    def read_stream(
        self, stream: str, from_version: int = 1, to_version: int | None = None
    ) -> list[StoredEvent]:
        """One stream's events, from ``from_version`` (1 = the first) in version order."""
        stored = super().read_stream(stream, from_version, to_version)
        if stored and to_version is None:
            self._writer.saw_head(stream, stored[-1].version, stored[-1].hash)
        return stored

    # ----------------------------------------------------------------------------- integrity
    def verify(
        self,
        against: dict[str, Head] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> VerifyReport:
        """Recompute every stream's hash chain, in position order, streaming the log.

        Finds edited rows (hash mismatch, or a ``provider_id`` that is not the one its hashed
        metadata names), deleted rows (a version gap or a broken link), reordered rows (a
        stream's versions out of position order, a position below 1) and, given ``against``
        (stream -> (version, hash) exported earlier), a log cut short (a restored backup that
        lost events). ``verify.link_problem`` lists the checks.
        """
        return verification.verify(self, against, progress)

    def export_heads(self) -> dict[str, Head]:
        """Every stream's last version and hash, to keep outside the database (see verify)."""
        return verification.export_heads(self)


def _check_requests(requests: Sequence[AppendRequest]) -> None:
    seen_streams: set[str] = set()
    seen_ids: set[uuid.UUID] = set()
    for req in requests:
        if not STREAM_NAME.match(req.stream):
            raise ValueError(f"invalid stream name {req.stream!r}")
        if req.stream in seen_streams:
            raise ValueError(f"stream {req.stream!r} appears twice in one batch")
        seen_streams.add(req.stream)
        for ev in req.events:
            if ev.event_id in seen_ids:
                raise ValueError(f"event id {ev.event_id} appears twice in one batch")
            seen_ids.add(ev.event_id)


def _same_content(stored: StoredEvent, stream: str, ev: NewEvent) -> bool:
    return (
        stored.stream == stream
        and stored.type == ev.type
        and stored.schema_version == ev.schema_version
        and dumps(stored.data) == dumps(ev.data)
        and dumps(stored.metadata) == dumps(ev.metadata)
        and iso(stored.occurred_at) == iso(ev.occurred_at)
    )
