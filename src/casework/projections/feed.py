"""Reading the log inside the runner's own transaction: pages by position, filtered by type.

Positions become visible in order (the store's append lock), so once ``head`` is read every
position up to it is either committed or will never exist: advancing a checkpoint to ``head``
over events a projection does not fold skips nothing.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Collection, Generator
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, select

from casework.events.schema import events as T
from casework.events.store import StoredEvent
from casework.events.store.database import driver_connection
from casework.events.store.rows import COLUMNS, aware, row_to_event

# The rebuild's reader runs this through the driver (feed.scan); the columns are the store's.
_SCAN = (
    f"SELECT {', '.join(c.name for c in COLUMNS)} FROM events "
    "WHERE position > %s AND position <= %s{types} ORDER BY position LIMIT %s"
)


def scan(
    conn: Connection, after: int, until: int, size: int, types: Collection[str] | None = None,
) -> Generator[list[StoredEvent], None, None]:
    """Every event after ``after`` up to ``until`` (of ``types`` if given), in pages of
    ``size``: a rebuild's pass over the log.

    On PostgreSQL a thread reads ahead on a connection of its own while the caller folds the
    page before (so the server's work and the wait for it overlap the folding), with the
    driver's cursor in binary format (the server sends timestamps and integers as they are
    instead of formatting them: half the time of text) and without SQLAlchemy's per-row layer.
    Another connection sees the same events: every position up to ``until`` was committed when
    the caller read it as the head, and events are never changed. At most two pages wait, as
    rows: decoded into events only when their turn comes (decoded, a page takes several times
    the memory, and decoding needs the interpreter the folds are using anyway).

    The reader walks the primary key and never lets the server sort: without statistics of
    ``events`` (a log just loaded in bulk, before autovacuum's ANALYZE, or with autovacuum
    off) the planner estimates a range of positions at 0.5 % of the log and answers each page
    with a bitmap scan and an on-disk sort of the whole rest of the log: 170 ms for a page of
    20,000 with 110,000 events to go, against 14 ms along the index, and quadratic in the
    length of the log."""
    if conn.dialect.name != "postgresql":
        yield from pages(conn, after, until, types, size)
        return
    sql = _SCAN.format(types="" if types is None else " AND type = ANY(%s)")
    wanted = [] if types is None else [sorted(types)]
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
                cursor.execute("SET LOCAL enable_sort = off")  # this read's transaction only
                while True:
                    cursor.execute(sql, (after, until, *wanted, size))
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
            batch = [row_to_event(r) for r in item]
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
    return aware(found) if found is not None else None


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
    return [row_to_event(r) for r in conn.execute(query)]


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
