"""PostgreSQL appends: three write paths, each chosen for its batch.

- One stream, fewer than ``_PG_COPY_FROM`` events: the server-side function of migration 0004
  in one round trip (``_append_one_stream``).
- Otherwise the shared locked path (``Writer.write``) under the append lock, inserting with a
  pipelined INSERT, or with COPY from ``_PG_COPY_FROM`` rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine

from casework.events.hashing import GENESIS
from casework.events.store.database import driver_connection
from casework.events.store.errors import Conflict, UniqueViolation
from casework.events.store.heads import Head, HeadHints, head_sql
from casework.events.store.postgres_driver import PostgresDriver
from casework.events.store.rows import chunks, new_rows
from casework.events.store.writing import TransactionHook, Writer, Written, hooked
from casework.events.stored import AppendRequest

APPEND_LOCK_KEY = 0x6361_7365_0002
NOTIFY_CHANNEL = "casework_events"

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
# migration 0004, run in autocommit (PostgresWriter._append_one_stream). Its arrays hold one
# element per event, built by the server from scalar parameters (psycopg's dumping of text arrays
# costs more than the rest of the call). A stale head comes back as one row with no position and
# the actual head.
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

# Batches of at least this many rows are written with COPY (PostgresWriter._copy).
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


class PostgresWriter(Writer):
    head_sql = head_sql("%(s)s")

    def __init__(self, engine: Engine, driver: PostgresDriver) -> None:
        super().__init__(engine)
        self.driver = driver
        self.hints = HeadHints()

    def write(
        self, requests: Sequence[AppendRequest], recorded_at: datetime, recorded_iso: str,
        hooks: Sequence[TransactionHook] = (),
    ) -> Written:
        # The one-statement path commits on its own: an append a hook wants takes the locked
        # path, so the hook's rows commit with it.
        fast = len(requests) == 1 and len(requests[0].events) < _PG_COPY_FROM
        if fast and not hooked(hooks, requests):
            written = self._append_one_stream(requests[0], recorded_at, recorded_iso)
            if written is not None:
                return written
        rows, positions = super().write(requests, recorded_at, recorded_iso, hooks)
        if len(requests) == 1:  # batches (imports) are not appended to again soon
            self.hints.remember(requests[0].stream, rows[-1]["version"], rows[-1]["hash"])
        return rows, positions

    def saw_head(self, stream: str, version: int, digest: str) -> None:
        # The stream's head as of a read: the next append to it can skip its head read.
        self.hints.remember(stream, version, digest)

    def _append_one_stream(
        self, req: AppendRequest, recorded_at: datetime, recorded_iso: str
    ) -> Written | None:
        """One stream: one statement in autocommit, so one round trip and one commit
        (``casework_append``, migration 0004). The hashes are chained to the head this process
        last saw of the stream (or reads it); the function re-checks that head under the append
        lock and writes nothing if it moved, so a stale hint costs a retry, never a wrong link.
        None when the head kept moving under an append with no expected version: the caller
        then takes the locked path."""
        call = self.driver.call
        with self.driver.autocommit() as pooled:
            head = self.hints.get(req.stream)
            if head is None or (req.expected_version is not None and head[0] != req.expected_version):
                found = call(pooled, self.head_sql, {"s": req.stream})
                head = (found[0][0], found[0][1]) if found else (0, GENESIS)
            for _ in range(_ONE_STREAM_TRIES):
                if req.expected_version is not None and req.expected_version != head[0]:
                    raise Conflict(req.stream, req.expected_version, head[0])
                rows = new_rows(req, head[0], head[1], recorded_at, recorded_iso)
                params = [req.stream, head[0], head[1]]
                for column, _ in _ONE_STREAM_ARRAYS[:-1]:
                    params += [r[column] for r in rows]
                params.append(recorded_at)
                params += [r["hash"] for r in rows]
                result = call(pooled, _one_stream_sql(len(rows)), params)
                if result[0][0] is not None:
                    self.hints.remember(req.stream, rows[-1]["version"], rows[-1]["hash"])
                    return rows, {event_id: position for position, event_id, _, _ in result}
                head = (result[0][2], result[0][3])
                self.hints.remember(req.stream, *head)
        return None

    def lock(self, conn: Connection) -> None:
        # Serialise position allocation with commit order so no reader ever skips an event;
        # the notification is delivered at commit, to other processes.
        conn.exec_driver_sql(_PG_LOCK_AND_NOTIFY)

    def many_heads(self, conn: Connection, streams: Sequence[str]) -> dict[str, Head]:
        # One backward index probe per stream, whatever the planner's statistics say (a grouped
        # join, as SqliteWriter uses, was planned as a sequential scan of the whole log once the
        # table had grown faster than ANALYZE ran: ~1 s per batch at a million events).
        heads: dict[str, Head] = {}
        for chunk in chunks(streams, 5000):
            for stream, version, digest in conn.exec_driver_sql(_PG_HEADS, (list(chunk),)):
                heads[stream] = (version, digest)
        return heads

    def insert(self, conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
        """Insert rows in one pipelined round trip; returns event_id -> position."""
        if len(rows) >= _PG_COPY_FROM:
            return self._copy(conn, rows)
        # psycopg's executemany pipelines every row in one network round trip, and the
        # statement text never changes, so it is prepared once per connection.
        cursor = driver_connection(conn).cursor()
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
            raise UniqueViolation() from exc
        finally:
            cursor.close()

    @staticmethod
    def _copy(conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
        """Large batches: take their positions from the identity sequence in one statement, then
        COPY the rows with those positions (about twice as fast as one INSERT per row; see
        benchmarks/README.md). Safe for commit order because the caller holds the append lock,
        so no other append takes positions until this transaction ends."""
        cursor = driver_connection(conn).cursor()
        try:
            cursor.execute(_PG_POSITIONS, (len(rows),))
            positions = [p for (p,) in cursor.fetchall()]
            with cursor.copy(_PG_COPY) as copy:
                for position, row in zip(positions, rows, strict=True):
                    copy.write_row((position, *(row[c] for c in _PG_COPY_COLUMNS)))
            return {row["event_id"]: p for p, row in zip(positions, rows, strict=True)}
        except psycopg.errors.UniqueViolation as exc:
            raise UniqueViolation() from exc
        finally:
            cursor.close()
