"""The event store: one narrow port (append, read_stream, read_history, read_all, verify) over
SQLite and PostgreSQL, with the same behaviour on both.

Guarantees
- ``append`` is all or nothing. A stale ``expected_version`` raises ``ConcurrencyError`` and
  writes nothing. Re-appending an ``event_id`` already stored with the same content is a no-op
  that returns the stored events (safe retries); the same id with other content is an error.
- Positions are handed out in commit order, so a reader tailing ``read_all(after=p)`` never
  skips an event. On PostgreSQL a sequence value is taken before commit, so two transactions
  could otherwise commit out of order; every append therefore takes one transaction-scoped
  advisory lock before it allocates positions and holds it until commit. On SQLite the
  database lock (``BEGIN IMMEDIATE``) gives the same order.
- Each event's ``hash`` chains it to the previous event of its stream (``casework.events.hashing``),
  and ``verify`` recomputes every chain.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import Any

import orjson
import psycopg
import structlog
from sqlalchemy import Connection, Dialect, Engine, Select, and_, bindparam, func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from casework.clock import Clock, SystemClock
from casework.db import reading
from casework.events.base import DomainEvent, NewEvent, decode
from casework.events.errors import (
    ConcurrencyError,
    DuplicateEventError,
    StoreError,
    StoreUnavailable,
)
from casework.events.hashing import GENESIS, dumps, event_hash, iso
from casework.events.schema import events as T

log = structlog.get_logger("casework.store")

APPEND_LOCK_KEY = 0x6361_7365_0002
NOTIFY_CHANNEL = "casework_events"
STREAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:\-]{0,199}$")

_PG_LOCK_AND_NOTIFY = (
    f"SELECT pg_advisory_xact_lock({APPEND_LOCK_KEY}), pg_notify('{NOTIFY_CHANNEL}', '')"
)
_PG_INSERT = (
    "INSERT INTO events (event_id, stream, version, type, schema_version, data, metadata, "
    "provider_id, occurred_at, recorded_at, hash) VALUES (%(event_id)s, %(stream)s, "
    "%(version)s, %(type)s, %(schema_version)s, %(data)s, %(metadata)s, %(provider_id)s, "
    "%(occurred_at)s, %(recorded_at)s, %(hash)s) RETURNING position, event_id"
)

_PG_HEADS = (
    "SELECT s.stream, e.version, e.hash FROM unnest(%s::text[]) AS s(stream) "
    "CROSS JOIN LATERAL (SELECT version, hash FROM events WHERE events.stream = s.stream "
    "ORDER BY version DESC LIMIT 1) AS e"
)

# One stream, one round trip: lock, head check, insert and NOTIFY in the server-side function of
# migration 0004, run in autocommit (EventStore._append_one_stream). Its arrays hold one element
# per event, built by the server from scalar parameters (psycopg's dumping of text arrays costs
# more than the rest of the call). A stale head comes back as one row with no position and the
# actual head.
_ONE_STREAM_ARRAYS = (
    ("event_id", "text"), ("type", "text"), ("schema_version", "smallint"), ("data", "text"),
    ("metadata", "text"), ("provider_id", "text"), ("occurred_at", "timestamptz"),
    ("hash", "text"),
)


@lru_cache(maxsize=64)
def _one_stream_sql(n: int) -> str:
    arrays = [f"ARRAY[{', '.join(['%s'] * n)}]::{kind}[]" for _, kind in _ONE_STREAM_ARRAYS]
    return (
        "SELECT o_position, o_event_id, o_head_version, o_head_hash FROM casework_append("
        f"%s, %s, %s, {', '.join(arrays[:-1])}, %s, {arrays[-1]})"
    )


# Tries of that function when the head moved under an append with no expected version, before
# the locked path (which cannot miss) takes over.
_ONE_STREAM_TRIES = 3
# Stream heads remembered from this process's own reads and appends (a hint: the function checks
# it under the lock); forgotten wholesale past this many streams.
_HEAD_HINTS = 50_000

# Batches of at least this many rows are written with COPY (EventStore._copy).
_PG_COPY_FROM = 64
_PG_COPY_COLUMNS = (
    "event_id", "stream", "version", "type", "schema_version", "data", "metadata",
    "provider_id", "occurred_at", "recorded_at", "hash",
)
_PG_POSITIONS = (
    "SELECT nextval(pg_get_serial_sequence('events', 'position')) "
    "FROM generate_series(1, %s) ORDER BY 1"
)
_PG_COPY = f"COPY events (position, {', '.join(_PG_COPY_COLUMNS)}) FROM STDIN"

_COLUMNS = (
    T.c.position,
    T.c.event_id,
    T.c.stream,
    T.c.version,
    T.c.type,
    T.c.schema_version,
    T.c.data,
    T.c.metadata,
    T.c.provider_id,
    T.c.occurred_at,
    T.c.recorded_at,
    T.c.hash,
)


# The hot reads, built once (building a statement costs more than SQLAlchemy running it).
_READ_STREAM = (
    select(*_COLUMNS)
    .where(T.c.stream == bindparam("s"), T.c.version >= bindparam("v"))
    .order_by(T.c.version)
)
_READ_STREAM_TO = (
    select(*_COLUMNS)
    .where(T.c.stream == bindparam("s"), T.c.version >= bindparam("v"), T.c.version <= bindparam("to"))
    .order_by(T.c.version)
)
_HISTORY = select(*_COLUMNS).where(T.c.provider_id == bindparam("p")).order_by(T.c.position)
_HISTORY_AS_OF = (
    select(*_COLUMNS)
    .where(T.c.provider_id == bindparam("p"), T.c.recorded_at <= bindparam("as_of"))
    .order_by(T.c.position)
)
_GET_EVENTS = select(*_COLUMNS).where(T.c.event_id.in_(bindparam("ids", expanding=True)))
_STREAMS_EXIST = select(T.c.stream).where(
    T.c.stream.in_(bindparam("streams", expanding=True)), T.c.version == 1
)


@cache
def _driver_sql(query: Select, dialect: Dialect) -> str:
    """A prepared read as the driver's SQL text, compiled once (named parameters)."""
    return str(query.compile(dialect=dialect))


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is UTC:  # PostgreSQL sessions run in UTC (casework.db): nothing to do
        return instant
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as the store holds it. ``event`` decodes it into its typed domain event."""

    position: int
    event_id: str
    stream: str
    version: int
    type: str
    schema_version: int
    data: dict[str, Any]
    metadata: dict[str, Any]
    provider_id: str | None
    occurred_at: datetime
    recorded_at: datetime
    hash: str

    @property
    def event(self) -> DomainEvent:
        return decode(self.type, self.schema_version, self.data)

    @property
    def actor(self) -> str | None:
        return self.metadata.get("actor")

    def to_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "event_id": self.event_id,
            "stream": self.stream,
            "version": self.version,
            "type": self.type,
            "schema_version": self.schema_version,
            "occurred_at": iso(self.occurred_at),
            "recorded_at": iso(self.recorded_at),
            "actor": self.actor,
            "provider_id": self.provider_id,
            "data": self.data,
            "metadata": self.metadata,
            "hash": self.hash,
        }


def _row_to_event(row: Any) -> StoredEvent:
    return StoredEvent(
        position=row[0],
        event_id=row[1],
        stream=row[2],
        version=row[3],
        type=row[4],
        schema_version=row[5],
        data=orjson.loads(row[6]),
        metadata=orjson.loads(row[7]),
        provider_id=row[8],
        occurred_at=_aware(row[9]),
        recorded_at=_aware(row[10]),
        hash=row[11],
    )


@dataclass(frozen=True)
class AppendRequest:
    """Events for one stream. ``expected_version``: the version read (0 = new stream); None = any."""

    stream: str
    events: Sequence[NewEvent]
    expected_version: int | None = None


@dataclass
class BrokenLink:
    position: int
    event_id: str
    stream: str
    version: int
    reason: str

    def __str__(self) -> str:
        return (
            f"event {self.event_id} (position {self.position}, stream {self.stream} "
            f"version {self.version}): {self.reason}"
        )


@dataclass
class VerifyReport:
    events_checked: int = 0
    streams_checked: int = 0
    broken: BrokenLink | None = None
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.broken is None


class _UniqueViolation(Exception):
    """A unique constraint refused the insert (event id or stream version already taken)."""


class _Conflict(Exception):
    def __init__(self, stream: str, expected: int, actual: int) -> None:
        self.stream, self.expected, self.actual = stream, expected, actual


class EventStore:
    """The append-only log. Build one per process with ``EventStore(engine, clock)``."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock = clock or SystemClock()
        self.postgres = engine.dialect.name == "postgresql"
        marker = "%(s)s" if self.postgres else ":s"
        self._head_sql = (
            f"SELECT version, hash FROM events WHERE stream = {marker} "
            "ORDER BY version DESC LIMIT 1"
        )
        # Called in-process after every commit with the events it stored (projections use it).
        self.listeners: list[Callable[[list[StoredEvent]], None]] = []
        # PostgreSQL: the last (version, hash) this process saw of each stream; see _head_hint.
        self._head_hints: dict[str, tuple[int, str]] = {}

    # ----------------------------------------------------------------------------- writing
    def append(
        self, stream: str, events: Sequence[NewEvent], expected_version: int | None = None
    ) -> list[StoredEvent]:
        """Append ``events`` to ``stream`` atomically; see the module docstring for guarantees."""
        return self.append_batch([AppendRequest(stream, events, expected_version)])

    def append_batch(self, requests: Sequence[AppendRequest]) -> list[StoredEvent]:
        """Append to several streams in one transaction and one round trip per 1000 rows."""
        requests = [r for r in requests if r.events]
        if not requests:
            return []
        self._check_requests(requests)
        recorded_at = self.clock.now().astimezone(UTC)
        try:
            stored = self._append_once(requests, recorded_at)
        except (_Conflict, _UniqueViolation, IntegrityError) as exc:
            stored = self._resolve_conflict(requests, exc)
            log.info("append_was_retry", streams=len(requests), events=len(stored))
            return stored
        except DBAPIError as exc:
            raise _translate(exc) from exc
        for listener in self.listeners:
            listener(stored)
        return stored

    @staticmethod
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

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(casework_write=True) as conn:
            with conn.begin():
                if self.postgres:
                    # Serialise position allocation with commit order so no reader ever skips
                    # an event; the notification is delivered at commit, to other processes.
                    conn.exec_driver_sql(_PG_LOCK_AND_NOTIFY)
                yield conn

    def _append_once(
        self, requests: Sequence[AppendRequest], recorded_at: datetime
    ) -> list[StoredEvent]:
        recorded_iso = iso(recorded_at)  # once per batch: it is the same for every event
        written = None
        if self.postgres and len(requests) == 1 and len(requests[0].events) < _PG_COPY_FROM:
            written = self._append_one_stream(requests[0], recorded_at, recorded_iso)
        if written is None:
            written = self._append_locked(requests, recorded_at, recorded_iso)
        rows, positions = written
        return [
            StoredEvent(
                position=positions[row["event_id"]],
                event_id=row["event_id"],
                stream=row["stream"],
                version=row["version"],
                type=row["type"],
                schema_version=row["schema_version"],
                data=ev.data,
                metadata=ev.metadata,
                provider_id=row["provider_id"],
                occurred_at=row["occurred_at"],
                recorded_at=recorded_at,
                hash=row["hash"],
            )
            for row, ev in zip(rows, (e for r in requests for e in r.events), strict=True)
        ]

    def _append_locked(
        self, requests: Sequence[AppendRequest], recorded_at: datetime, recorded_iso: str
    ) -> tuple[list[dict[str, Any]], dict[str, int]]:
        """Any batch: one transaction holding the append lock (five statements at least)."""
        with self._write() as conn:
            heads = self._heads(conn, [r.stream for r in requests])
            rows: list[dict[str, Any]] = []
            for req in requests:
                version, previous = heads.get(req.stream, (0, GENESIS))
                if req.expected_version is not None and req.expected_version != version:
                    raise _Conflict(req.stream, req.expected_version, version)
                rows += self._rows(req, version, previous, recorded_at, recorded_iso)
                heads[req.stream] = (rows[-1]["version"], rows[-1]["hash"])
            positions = self._insert(conn, rows)
        if self.postgres and len(requests) == 1:  # batches (imports) are not appended to again soon
            self._remember_head(requests[0].stream, *heads[requests[0].stream])
        return rows, positions

    def _append_one_stream(
        self, req: AppendRequest, recorded_at: datetime, recorded_iso: str
    ) -> tuple[list[dict[str, Any]], dict[str, int]] | None:
        """PostgreSQL, one stream: one statement in autocommit, so one round trip and one commit
        (``casework_append``, migration 0004). The hashes are chained to the head this process
        last saw of the stream (or reads it); the function re-checks that head under the append
        lock and writes nothing if it moved, so a stale hint costs a retry, never a wrong link.
        None when the head kept moving under an append with no expected version: the caller
        then takes the locked path."""
        with self._autocommit() as pooled:
            head = self._head_hints.get(req.stream)
            if head is None or (req.expected_version is not None and head[0] != req.expected_version):
                found = self._call(pooled, self._head_sql, {"s": req.stream})
                head = (found[0][0], found[0][1]) if found else (0, GENESIS)
            for _ in range(_ONE_STREAM_TRIES):
                if req.expected_version is not None and req.expected_version != head[0]:
                    raise _Conflict(req.stream, req.expected_version, head[0])
                rows = self._rows(req, head[0], head[1], recorded_at, recorded_iso)
                params = [req.stream, head[0], head[1]]
                for column, _ in _ONE_STREAM_ARRAYS[:-1]:
                    params += [r[column] for r in rows]
                params.append(recorded_at)
                params += [r["hash"] for r in rows]
                result = self._call(pooled, _one_stream_sql(len(rows)), params)
                if result[0][0] is not None:
                    self._remember_head(req.stream, rows[-1]["version"], rows[-1]["hash"])
                    return rows, {event_id: position for position, event_id, _, _ in result}
                head = (result[0][2], result[0][3])
                self._remember_head(req.stream, *head)
        return None

    @contextmanager
    def _autocommit(self) -> Iterator[Any]:
        """A pooled connection in autocommit, without SQLAlchemy's Connection: its isolation
        level option costs a fifth of a one-round-trip append (set on checkout, reset on
        checkin). The pool's reset on return is a local no-op outside a transaction."""
        pooled = self.engine.raw_connection()
        try:
            try:
                pooled.driver_connection.autocommit = True
            except psycopg.Error as exc:  # closed while it waited in the pool
                pooled.invalidate(exc)
                raise StoreUnavailable(f"the database is unavailable: {exc}") from exc
            yield pooled
        finally:
            if pooled.is_valid:  # not invalidated by a lost connection
                pooled.driver_connection.autocommit = False
            pooled.close()

    @staticmethod
    def _call(pooled: Any, sql: str, params: Any, *, binary: bool = False) -> list[Any]:
        """One statement through the driver's cursor (SQLAlchemy's result layer costs a fifth
        of a one-round-trip append), its errors mapped as SQLAlchemy would map them."""
        try:
            with pooled.driver_connection.cursor(binary=binary) as cursor:
                return cursor.execute(sql, params).fetchall()
        except psycopg.errors.UniqueViolation as exc:
            raise _UniqueViolation() from exc
        except psycopg.OperationalError as exc:
            pooled.invalidate(exc)  # never handed out again
            raise StoreUnavailable(f"the database is unavailable: {exc}") from exc
        except psycopg.Error as exc:
            raise StoreError(f"database error: {exc}") from exc

    def _rows(
        self, req: AppendRequest, version: int, previous: str, recorded_at: datetime,
        recorded_iso: str,
    ) -> list[dict[str, Any]]:
        """The rows of one stream's new events, chained to the head (version, previous)."""
        rows = []
        for ev in req.events:
            version += 1
            rows.append(self._row(req.stream, version, previous, ev, recorded_at, recorded_iso))
            previous = rows[-1]["hash"]
        return rows

    def _remember_head(self, stream: str, version: int, digest: str) -> None:
        if len(self._head_hints) >= _HEAD_HINTS:
            self._head_hints.clear()
        self._head_hints[stream] = (version, digest)

    def _insert(self, conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
        """Insert rows in one pipelined round trip; returns event_id -> position."""
        if self.postgres and len(rows) >= _PG_COPY_FROM:
            return self._copy(conn, rows)
        if self.postgres:
            # psycopg's executemany pipelines every row in one network round trip, and the
            # statement text never changes, so it is prepared once per connection.
            cursor = conn.connection.driver_connection.cursor()
            try:
                if len(rows) == 1:  # one round trip without entering pipeline mode
                    position, event_id = cursor.execute(_PG_INSERT, rows[0]).fetchone()
                    return {event_id: position}
                cursor.executemany(_PG_INSERT, rows, returning=True)
                positions: dict[str, int] = {}
                while True:
                    for position, event_id in cursor.fetchall():
                        positions[event_id] = position
                    if not cursor.nextset():
                        break
                return positions
            except psycopg.errors.UniqueViolation as exc:
                raise _UniqueViolation() from exc
            finally:
                cursor.close()
        result = conn.execute(
            insert(T).returning(T.c.position, T.c.event_id, sort_by_parameter_order=True), rows
        )
        return {event_id: position for position, event_id in result}

    @staticmethod
    def _copy(conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
        """Large batches: take their positions from the identity sequence in one statement, then
        COPY the rows with those positions (about twice as fast as one INSERT per row; see
        benchmarks/README.md). Safe for commit order because the caller holds the append lock,
        so no other append takes positions until this transaction ends."""
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.execute(_PG_POSITIONS, (len(rows),))
            positions = [p for (p,) in cursor.fetchall()]
            with cursor.copy(_PG_COPY) as copy:
                for position, row in zip(positions, rows, strict=True):
                    copy.write_row((position, *(row[c] for c in _PG_COPY_COLUMNS)))
            return {row["event_id"]: p for p, row in zip(positions, rows, strict=True)}
        except psycopg.errors.UniqueViolation as exc:
            raise _UniqueViolation() from exc
        finally:
            cursor.close()

    @staticmethod
    def _row(
        stream: str, version: int, previous: str, ev: NewEvent, recorded_at: datetime,
        recorded_iso: str,
    ) -> dict[str, Any]:
        data = dumps(ev.data)
        meta = dumps(ev.metadata)
        occurred_at = _aware(ev.occurred_at)
        event_id = str(ev.event_id)
        return {
            "event_id": event_id,
            "stream": stream,
            "version": version,
            "type": ev.type,
            "schema_version": ev.schema_version,
            "data": data,
            "metadata": meta,
            "provider_id": ev.metadata.get("provider_id"),
            "occurred_at": occurred_at,
            "recorded_at": recorded_at,
            "hash": event_hash(
                previous,
                event_id=event_id,
                stream=stream,
                version=version,
                type=ev.type,
                schema_version=ev.schema_version,
                data=data,
                metadata=meta,
                occurred_at=occurred_at,
                recorded_at=recorded_iso,
            ),
        }

    def _heads(self, conn: Connection, streams: Sequence[str]) -> dict[str, tuple[int, str]]:
        """Each stream's last version and hash (absent streams are left out)."""
        if len(streams) == 1:
            row = conn.exec_driver_sql(self._head_sql, {"s": streams[0]}).first()
            return {streams[0]: (row[0], row[1])} if row else {}
        heads: dict[str, tuple[int, str]] = {}
        if self.postgres:
            # One backward index probe per stream, whatever the planner's statistics say (the
            # grouped join below was planned as a sequential scan of the whole log once the
            # table had grown faster than ANALYZE ran: ~1 s per batch at a million events).
            for chunk in _chunks(streams, 5000):
                for stream, version, digest in conn.exec_driver_sql(_PG_HEADS, (list(chunk),)):
                    heads[stream] = (version, digest)
            return heads
        for chunk in _chunks(streams, 500):
            latest = (
                select(T.c.stream, func.max(T.c.version).label("v"))
                .where(T.c.stream.in_(chunk))
                .group_by(T.c.stream)
                .subquery()
            )
            query = select(T.c.stream, T.c.version, T.c.hash).join(
                latest, and_(T.c.stream == latest.c.stream, T.c.version == latest.c.v)
            )
            for stream, version, digest in conn.execute(query):
                heads[stream] = (version, digest)
        return heads

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
        if isinstance(exc, _Conflict):
            raise ConcurrencyError(exc.stream, exc.expected, exc.actual) from None
        # A unique (stream, version) violation: another writer got there first.
        req = requests[0]
        actual = self.stream_version(req.stream)
        raise ConcurrencyError(req.stream, req.expected_version or 0, actual) from None

    # ----------------------------------------------------------------------------- reading
    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with reading(self.engine) as conn:
                yield conn
        except DBAPIError as exc:
            raise _translate(exc) from exc

    def read_stream(
        self, stream: str, from_version: int = 1, to_version: int | None = None
    ) -> list[StoredEvent]:
        """One stream's events, from ``from_version`` (1 = the first) in version order."""
        query, params = _READ_STREAM, {"s": stream, "v": from_version}
        if to_version is not None:
            query, params["to"] = _READ_STREAM_TO, to_version
        stored = [_row_to_event(r) for r in self._rows_of(query, params)]
        if self.postgres and stored and to_version is None:
            # The stream's head as of this read: the next append to it can skip its head read.
            self._remember_head(stream, stored[-1].version, stored[-1].hash)
        return stored

    def stream_version(self, stream: str) -> int:
        """The stream's current version; 0 when it does not exist."""
        with self._read() as conn:
            v = conn.execute(select(func.max(T.c.version)).where(T.c.stream == stream)).scalar()
        return v or 0

    def read_history(self, provider_id: str, as_of: datetime | None = None) -> list[StoredEvent]:
        """Everything recorded about one provider, across all its streams, in recorded order.

        ``as_of`` keeps only what had been recorded by that instant (what the system knew then).
        """
        if as_of is None:
            rows = self._rows_of(_HISTORY, {"p": provider_id})
        else:
            rows = self._rows_of(_HISTORY_AS_OF, {"p": provider_id, "as_of": _aware(as_of)})
        return [_row_to_event(r) for r in rows]

    def _rows_of(self, query: Select, params: dict[str, Any]) -> list[Any]:
        """The rows of a prepared read. On PostgreSQL through the pooled driver connection in
        autocommit and binary format: SQLAlchemy's row layer and its isolation-level switch
        cost about a third of reading a provider's history, and the server formats no
        timestamps. Elsewhere through SQLAlchemy."""
        if not self.postgres:
            with self._read() as conn:
                return list(conn.execute(query, params))
        with self._autocommit() as pooled:
            return self._call(pooled, _driver_sql(query, self.engine.dialect), params, binary=True)

    def read_all(
        self, after: int = 0, limit: int = 1000, types: Iterable[str] | None = None
    ) -> list[StoredEvent]:
        """One page of the whole log after position ``after``, in position order. Gap-free."""
        query = select(*_COLUMNS).where(T.c.position > after)
        if types is not None:
            query = query.where(T.c.type.in_(list(types)))
        query = query.order_by(T.c.position).limit(limit)
        with self._read() as conn:
            return [_row_to_event(r) for r in conn.execute(query)]

    def iter_all(
        self, after: int = 0, page: int = 5000, until: int | None = None
    ) -> Iterator[list[StoredEvent]]:
        """Pages of the whole log after ``after`` (up to ``until`` if given), streamed."""
        while True:
            batch = self.read_all(after, page)
            if until is not None:
                batch = [e for e in batch if e.position <= until]
            if not batch:
                return
            yield batch
            after = batch[-1].position
            if len(batch) < page:
                return

    def head_position(self) -> int:
        """The position of the last event stored (0 for an empty log)."""
        with self._read() as conn:
            return conn.execute(select(func.max(T.c.position))).scalar() or 0

    def count(self) -> int:
        with self._read() as conn:
            return conn.execute(select(func.count()).select_from(T)).scalar() or 0

    def get_events(self, event_ids: Iterable[str | uuid.UUID]) -> dict[str, StoredEvent]:
        ids = [str(i) for i in event_ids]
        found: dict[str, StoredEvent] = {}
        with self._read() as conn:
            for chunk in _chunks(ids, 500):
                for row in conn.execute(_GET_EVENTS, {"ids": list(chunk)}):
                    ev = _row_to_event(row)
                    found[ev.event_id] = ev
        return found

    def streams_exist(self, streams: Iterable[str]) -> set[str]:
        names = list(streams)
        found: set[str] = set()
        with self._read() as conn:
            for chunk in _chunks(names, 500):
                found.update(r[0] for r in conn.execute(_STREAMS_EXIST, {"streams": list(chunk)}))
        return found

    def ping(self) -> None:
        with self._read() as conn:
            conn.execute(select(1))

    # ----------------------------------------------------------------------------- integrity
    def verify(
        self,
        against: dict[str, tuple[int, str]] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> VerifyReport:
        """Recompute every stream's hash chain, in position order, streaming the log.

        Finds edited rows (hash mismatch), deleted rows (a version gap or a broken link) and,
        given ``against`` (stream -> (version, hash) exported earlier), a log cut short
        (a restored backup that lost events).
        """
        report = VerifyReport()
        heads = report.heads
        after = 0
        query = select(*_COLUMNS).order_by(T.c.position)
        with self._read() as conn:
            while True:
                rows = conn.execute(query.where(T.c.position > after).limit(5000)).all()
                if not rows:
                    break
                for row in rows:
                    broken = self._check_row(row, heads)
                    report.events_checked += 1
                    if broken:
                        report.broken = broken
                        return report
                after = rows[-1][0]
                if progress:
                    progress(len(rows))
        report.streams_checked = len(heads)
        if against:
            report.broken = _compare_heads(heads, against, self)
        return report

    @staticmethod
    def _check_row(row: Any, heads: dict[str, tuple[int, str]]) -> BrokenLink | None:
        position, event_id, stream, version = row[0], row[1], row[2], row[3]
        last_version, previous = heads.get(stream, (0, GENESIS))
        if version != last_version + 1:
            return BrokenLink(
                position, event_id, stream, version,
                f"version {version} follows version {last_version}: "
                f"event(s) {last_version + 1}..{version - 1} were deleted",
            )
        expected = event_hash(
            previous,
            event_id=event_id,
            stream=stream,
            version=version,
            type=row[4],
            schema_version=row[5],
            data=row[6],
            metadata=row[7],
            occurred_at=_aware(row[9]),
            recorded_at=_aware(row[10]),
        )
        if expected != row[11]:
            return BrokenLink(
                position, event_id, stream, version,
                "hash does not match its content and predecessor: the row was altered "
                "(or its predecessor was deleted)",
            )
        heads[stream] = (version, row[11])
        return None

    def export_heads(self) -> dict[str, tuple[int, str]]:
        """Every stream's last version and hash, to keep outside the database (see verify)."""
        report = self.verify()
        if not report.ok:
            raise StoreError(f"cannot export heads of a broken log: {report.broken}")
        return report.heads


def _compare_heads(
    heads: dict[str, tuple[int, str]], against: dict[str, tuple[int, str]], store: EventStore
) -> BrokenLink | None:
    for stream, (version, digest) in sorted(against.items()):
        have_version, _ = heads.get(stream, (0, GENESIS))
        if have_version < version:
            return BrokenLink(
                0, "-", stream, version,
                f"the exported heads say this stream reached version {version} but the log "
                f"ends at {have_version}: events were lost (restored from an older backup?)",
            )
        event = store.read_stream(stream, version, version)[0]
        if event.hash != digest:
            return BrokenLink(
                event.position, event.event_id, stream, version,
                "hash differs from the exported head: the history was rewritten",
            )
    return None


_SQLITE_UNAVAILABLE = ("unable to open", "disk i/o", "database is locked", "readonly database")


def _translate(exc: DBAPIError) -> Exception:
    """Driver errors become the store's own: a lost or refused connection is StoreUnavailable."""
    message = str(exc.orig).lower()
    if exc.connection_invalidated:
        return StoreUnavailable(f"the database connection was lost: {exc.orig}")
    if isinstance(exc, OperationalError):
        if exc.orig.__class__.__module__.startswith("sqlite3"):
            if any(m in message for m in _SQLITE_UNAVAILABLE):
                return StoreUnavailable(f"the database is unavailable: {exc.orig}")
            return StoreError(f"database error: {exc.orig}")
        return StoreUnavailable(f"the database is unavailable: {exc.orig}")
    return StoreError(f"database error: {exc.orig}")


def _same_content(stored: StoredEvent, stream: str, ev: NewEvent) -> bool:
    return (
        stored.stream == stream
        and stored.type == ev.type
        and stored.schema_version == ev.schema_version
        and dumps(stored.data) == dumps(ev.data)
        and dumps(stored.metadata) == dumps(ev.metadata)
        and iso(stored.occurred_at) == iso(ev.occurred_at)
    )


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


__all__ = [
    "AppendRequest",
    "BrokenLink",
    "EventStore",
    "StoredEvent",
    "VerifyReport",
    "NOTIFY_CHANNEL",
]
