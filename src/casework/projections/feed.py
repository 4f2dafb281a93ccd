"""Reading the log inside the runner's own transaction: pages by position, filtered by type.

Positions become visible in order (the store's append lock), so once ``head`` is read every
position up to it is either committed or will never exist: advancing a checkpoint to ``head``
over events a projection does not fold skips nothing.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Collection, Generator
from datetime import UTC, datetime

import orjson
from sqlalchemy import Connection, bindparam, func, select

from casework.events.schema import events as T
from casework.events.store import StoredEvent
from casework.events.store.database import driver_connection
from casework.events.store.rows import COLUMNS


def utc(instant: datetime) -> datetime:
    if instant.tzinfo is UTC:  # PostgreSQL sessions run in UTC (events/store/database.py)
        return instant
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def to_event(row: tuple) -> StoredEvent:
    return StoredEvent(
        row[0], row[1], row[2], row[3], row[4], row[5], orjson.loads(row[6]),
        orjson.loads(row[7]), row[8], utc(row[9]), utc(row[10]), row[11],
    )


_SCAN = (
    "SELECT position, event_id, stream, version, type, schema_version, data, metadata, "
    "provider_id, occurred_at, recorded_at, hash FROM events "
    "WHERE position > %s AND position <= %s ORDER BY position LIMIT %s"
)


def scan(conn: Connection, after: int, until: int, size: int) -> Generator[list[StoredEvent], None, None]:
    """Every event after ``after`` up to ``until``, in pages of ``size`` (a rebuild's single
    pass over the log).

    On PostgreSQL a thread reads ahead on a connection of its own while the caller folds the
    page before (so the server's work and the wait for it overlap the folding), with the
    driver's cursor in binary format (the server sends timestamps and integers as they are
    instead of formatting them: half the time of text) and without SQLAlchemy's per-row layer.
    Another connection sees the same events: every position up to ``until`` was committed when
    the caller read it as the head, and events are never changed. At most two pages wait, as
    rows: decoded into events only when their turn comes (decoded, a page takes several times
    the memory, and decoding needs the interpreter the folds are using anyway)."""
    if conn.dialect.name != "postgresql":
        yield from pages(conn, after, until, None, size)
        return
    ready: queue.Queue[list[tuple] | BaseException | None] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def hand_over(item: list[tuple] | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read_ahead(after: int) -> None:
        try:
            raw = conn.engine.raw_connection()
            try:
                cursor = driver_connection(raw).cursor(binary=True)
                while True:
                    cursor.execute(_SCAN, (after, until, size))
                    rows = cursor.fetchall()
                    if not rows:
                        break
                    after = rows[-1][0]
                    if not hand_over(rows) or len(rows) < size:
                        break
                    del rows
            finally:
                raw.close()
            hand_over(None)
        except BaseException as exc:
            hand_over(exc)

    reader = threading.Thread(target=read_ahead, args=(after,), name="casework-scan", daemon=True)
    reader.start()
    try:
        while (item := ready.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            batch = [to_event(r) for r in item]
            del item
            yield batch
    finally:
        stop.set()
        reader.join()


_HEAD = select(func.max(T.c.position))


def head(conn: Connection) -> int:
    return conn.execute(_HEAD).scalar() or 0


_FIRST_AFTER = (
    select(T.c.recorded_at).where(T.c.position > bindparam("p")).order_by(T.c.position).limit(1)
)


def recorded_after(conn: Connection, position: int) -> datetime | None:
    """When the first event after ``position`` was recorded (None: there is none). One step into
    the primary key's index."""
    found = conn.execute(_FIRST_AFTER, {"p": position}).scalar()
    return utc(found) if found is not None else None


def page(
    conn: Connection,
    after: int,
    until: int,
    types: Collection[str] | None,
    limit: int,
) -> list[StoredEvent]:
    """Events with ``after < position <= until`` (of ``types`` if given), at most ``limit``."""
    query = select(*COLUMNS).where(T.c.position > after, T.c.position <= until)
    if types is not None:
        query = query.where(T.c.type.in_(sorted(types)))
    query = query.order_by(T.c.position).limit(limit)
    return [to_event(r) for r in conn.execute(query)]


def pages(
    conn: Connection,
    after: int,
    until: int,
    types: Collection[str] | None,
    size: int,
) -> Generator[list[StoredEvent], None, None]:
    """Every page after ``after`` up to ``until``, keyset-paginated."""
    while True:
        batch = page(conn, after, until, types, size)
        if not batch:
            return
        yield batch
        if len(batch) < size:
            return
        after = batch[-1].position


def count(conn: Connection, after: int, until: int, types: Collection[str] | None) -> int:
    query = select(func.count()).select_from(T).where(T.c.position > after, T.c.position <= until)
    if types is not None:
        query = query.where(T.c.type.in_(sorted(types)))
    return conn.execute(query).scalar() or 0
