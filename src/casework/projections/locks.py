"""Who may write a projection: the runner's write transaction, and PostgreSQL's advisory locks.

- On SQLite the write transaction itself (``BEGIN IMMEDIATE``, through the ``casework_write``
  option of events/store/database.py) holds the database's single write lock, which serialises writers
  across processes.
- On PostgreSQL each projection has a transaction-scoped advisory lock keyed by its name: one
  process at a time advances it. A process that dies mid-page releases the lock with its
  connection, and the next catch-up (any process) continues from the unmoved checkpoint.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from casework.events.store.database import driver_connection
from casework.projections.base import Projection


@functools.cache
def lock_key(name: str) -> int:
    """The advisory lock key of a projection: a stable signed 64-bit hash of its name."""
    digest = hashlib.sha256(f"casework-projection:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def write_transaction(engine: Engine, *, relaxed: bool = False) -> Iterator[Connection]:
    """A write transaction. ``relaxed`` (SQLite): its commit is not flushed to disk
    (synchronous=NORMAL, safe in WAL mode: a power cut can only lose the whole
    transaction, and the next append's flush persists it anyway); see ``CatchUp.after_append``."""
    with engine.connect().execution_options(casework_write=True) as conn:
        restore = None
        if relaxed and engine.dialect.name != "postgresql":
            raw = driver_connection(conn)
            restore = raw.execute("PRAGMA synchronous").fetchone()[0]
            raw.execute("PRAGMA synchronous=NORMAL")
        try:
            with conn.begin():
                yield conn
        finally:
            if restore is not None:
                raw.execute(f"PRAGMA synchronous={int(restore)}")


def lock(conn: Connection, projection: Projection, wait: bool | None, wait_seconds: float) -> bool:
    """Take the projection's lock for this transaction. ``wait``: False = try only,
    True = wait up to ``wait_seconds``, None = wait as long as it takes."""
    if conn.dialect.name != "postgresql":
        return True  # BEGIN IMMEDIATE already holds SQLite's single write lock
    key = lock_key(projection.name)
    if wait is False:
        got = conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}).scalar()
        return bool(got)
    timeout = "0" if wait is None else f"{int(wait_seconds * 1000)}ms"
    conn.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": timeout})
    try:
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
    except OperationalError:  # lock_timeout: another process is busy with it (a rebuild)
        return False
    return True


def lock_all(
    conn: Connection, projections: list[Projection], extras: list[Projection], wait_seconds: float
) -> tuple[int | None, list[bool]]:
    """PostgreSQL: every projection's lock in one statement (waiting up to ``wait_seconds``; only
    trying for ``extras``), with this transaction's commit made asynchronous (see
    ``CatchUp.after_append``); returns the head of the log read in the same round trip (None: a
    lock is busy elsewhere) and which extras' locks were free. Reading the head before the locks
    are granted is as safe as in ``CatchUp``'s general pass: positions up to any head read are
    final (the store's append lock)."""
    locks = "".join(f", pg_advisory_xact_lock({lock_key(p.name)})" for p in projections)
    tries = "".join(f", pg_try_advisory_xact_lock({lock_key(p.name)})" for p in extras)
    timeout = f"{int(wait_seconds * 1000)}ms"
    try:
        row = conn.exec_driver_sql(
            "SELECT (SELECT coalesce(max(position), 0) FROM events), "
            "set_config('synchronous_commit', 'off', true), "
            f"set_config('lock_timeout', '{timeout}', true){locks}{tries}"
        ).one()
    except OperationalError:  # lock_timeout: another process is busy with one (a rebuild)
        return None, []
    return int(row[0]), [bool(got) for got in row[3 + len(projections):]]


__all__ = ["lock", "lock_all", "lock_key", "write_transaction"]
