"""Rebuilding projections in this process: their tables dropped and created again, the whole log
folded into them and their checkpoints moved to its head, in one transaction (readers see the
old read model until it commits).

Blue/green on PostgreSQL (``Rebuild.blue_green``): the new tables are built beside the ones
serving, in the schema ``casework_rebuild`` (first on the transaction's ``search_path``, so every
statement of the folds, COPY included, writes there unchanged; the indexes the rebuild does not
read back by are created once the rows are in: ``tables.deferred_indexes``), while readers and
the in-process catch-ups of every write go on using the current tables: the rebuild holds no
lock they need.
Only at the end does it take the projections' locks, fold what was appended meanwhile and swap
the tables in (drop the old, ``SET SCHEMA`` the new), a short step; the whole is one transaction,
so a crash leaves the serving tables as they were and the next rebuild starts again. A rebuild
has no side effects to re-run: alerts and emails come from events, never from a read model.
SQLite has one writer anyway and its readers never wait for it (WAL): it rebuilds in place.

One path, ``Rebuild.replay``, for every case: several projections share one pass over the log
(each page read and decoded once, then handed to each of them); one alone reads only the events
of its types. A projection folds through its ``rebuilder()`` (a fold in memory that writes its
rows in bulk, projections/fold.py) or, without one, through ``apply`` page by page as a catch-up
would. A fold that fails raises ``ProjectionHalted`` having committed nothing; ``group`` then
rebuilds one by one, so that those before the culprit commit and it halts. A rebuild shared
among processes is projections/parallel.py; each process rebuilds its group with ``group``.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import structlog
from sqlalchemy import Connection, Engine

from casework.events.store import StoredEvent
from casework.projections import checkpoints, feed, tables
from casework.projections.base import Projection
from casework.projections.halts import NOT_THE_EVENTS_FAULT, ProjectionHalted, apply_page
from casework.projections.locks import lock, lock_key, write_transaction
from casework.projections.status import Standing

log = structlog.get_logger("casework.projections")

# Where a blue/green rebuild builds the new tables (PostgreSQL), and the advisory lock under
# which the schema is made.
SHADOW_SCHEMA = "casework_rebuild"
_SHADOW_LOCK = 0x6361_7365_0005

Progress = Callable[[str, int, int], None]  # (projection name, events done, events in total)


class Builder(Protocol):
    """A rebuild in progress (its tables start empty): ``fold`` pages, then ``finish``."""

    def fold(self, events: list[StoredEvent]) -> None: ...

    def finish(self) -> None: ...


@dataclass(frozen=True)
class Rebuild:
    """Rebuilds with the runner's settings at the time it is made."""

    engine: Engine
    standing: Standing
    page_size: int
    now: Callable[[], datetime]

    def group(self, projections: list[Projection], progress: Progress | None) -> dict[str, int]:
        """Rebuild ``projections`` in this process: together in one pass over the log, or, when
        a fold fails there, one by one so that those before the culprit commit and it halts."""
        if len(projections) > 1:
            try:
                return self.in_one_transaction(projections, progress)
            except ProjectionHalted:
                pass
        return self.one_by_one(projections, progress)

    def one_by_one(self, projections: list[Projection], progress: Progress | None) -> dict[str, int]:
        """Each in a transaction of its own, in order; raises the first halt."""
        folded: dict[str, int] = {}
        for projection in projections:
            try:
                folded.update(self.in_one_transaction([projection], progress))
            except ProjectionHalted as exc:
                self.standing.halted[projection.name] = str(exc)
                raise
        return folded

    def in_one_transaction(self, projections: list[Projection], progress: Progress | None) -> dict[str, int]:
        """Rebuild ``projections`` in one transaction, holding their locks (waiting as long as it
        takes). Returns the events each folded; raises ProjectionHalted (having committed
        nothing) when a fold fails."""
        for projection in projections:  # a rebuild is what a halt waits for
            self.standing.halted.pop(projection.name, None)
        if self.engine.dialect.name == "postgresql":
            return self.blue_green(projections, progress)
        with write_transaction(self.engine) as conn:
            for projection in projections:
                lock(conn, projection, wait=None, wait_seconds=0)
            head = feed.head(conn)
            folded = self.replay(conn, projections, head, progress)
        self.standing.note_reached({p.name: head for p in projections})
        return folded

    def blue_green(self, projections: list[Projection], progress: Progress | None) -> dict[str, int]:
        """PostgreSQL: rebuild ``projections`` into new tables while the current ones serve,
        then swap them in (see the module's docstring). Returns the events each folded; raises
        ProjectionHalted (having committed nothing) when a fold fails."""
        started = time.perf_counter()
        with write_transaction(self.engine) as conn:  # made once, whoever comes first
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_SHADOW_LOCK})")
            conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {SHADOW_SCHEMA}")
        with write_transaction(self.engine) as conn:
            live = conn.exec_driver_sql("SELECT current_schema()").scalar()
            for projection in sorted(projections, key=lambda p: p.name):  # one rebuild of each
                key = lock_key(f"rebuild:{projection.name}")
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({key})")
            path = conn.exec_driver_sql("SHOW search_path").scalar()
            conn.exec_driver_sql(f"SET LOCAL search_path TO {SHADOW_SCHEMA}, {path}")
            for projection in projections:
                for table in reversed(projection.tables):
                    conn.exec_driver_sql(f'DROP TABLE IF EXISTS {SHADOW_SCHEMA}."{table.name}"')
                # in the shadow schema, first on the search path
                tables.create_for_load(conn, projection.tables, tables.deferred_indexes(projection))
            head = feed.head(conn)
            folded = self.fold_log(conn, projections, head, progress)
            tables.create_loaded_indexes(conn, projections)  # before the locks: not the short part
            # New tables have no statistics until autovacuum comes by, and the planner would
            # guess (PostgreSQL's advice after a bulk load): give them some before they serve.
            for projection in projections:
                for table in projection.tables:
                    conn.exec_driver_sql(f'ANALYZE {SHADOW_SCHEMA}."{table.name}"')
            # The short part: the serving tables' writers wait from here to the commit.
            for projection in projections:
                lock(conn, projection, wait=None, wait_seconds=0)
            newest = feed.head(conn)
            if newest > head:  # appended while the log was folded: applied as a catch-up would
                for page in feed.pages(conn, head, newest, None, self.page_size):
                    for projection in projections:
                        types = projection.event_types
                        mine = page if types is None else [e for e in page if e.type in types]
                        if mine:
                            with _halting(projection):
                                apply_page(conn, projection, mine)
                            folded[projection.name] += len(mine)
            for projection in projections:
                for table in projection.tables:
                    conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{live}"."{table.name}"')
                    conn.exec_driver_sql(f'ALTER TABLE {SHADOW_SCHEMA}."{table.name}" SET SCHEMA "{live}"')
                checkpoints.write(conn, projection.name, projection.version, newest, self.now())
        self.standing.note_reached({p.name: newest for p in projections})
        log.info(
            "projections_rebuilt", projections=sorted(folded), events=newest, head=newest,
            appended_meanwhile=newest - head, blue_green=True,
            seconds=round(time.perf_counter() - started, 3),
        )
        return folded

    def replay(
        self, conn: Connection, projections: list[Projection], head: int, progress: Progress | None
    ) -> dict[str, int]:
        """In ``conn``'s transaction (the projections' locks held): empty their tables, fold the
        log up to ``head`` into them and move their checkpoints to ``head``. Returns the events
        each folded; ``progress`` hears of each page read."""
        started = time.perf_counter()
        tables.recreate(conn, projections)
        folded = self.fold_log(conn, projections, head, progress)
        tables.create_loaded_indexes(conn, projections)
        for projection in projections:
            checkpoints.write(conn, projection.name, projection.version, head, self.now())
        log.info(
            "projections_rebuilt", projections=sorted(folded), events=head, head=head,
            seconds=round(time.perf_counter() - started, 3),
        )
        return folded

    def fold_log(
        self, conn: Connection, projections: list[Projection], head: int, progress: Progress | None
    ) -> dict[str, int]:
        """Fold the log up to ``head`` into ``projections``' tables (empty), in ``conn``'s
        transaction; returns the events each folded."""
        builders: list[tuple[Projection, Builder, Collection[str] | None]]
        if len(projections) == 1:  # alone: only its own events are read, so none to filter out
            read_types = projections[0].event_types
            builders = [(projections[0], _builder(projections[0], conn), None)]
        else:  # together: each page read and decoded once, handed to each
            read_types = None
            builders = [(p, _builder(p, conn), p.event_types) for p in projections]
        log_pages = feed.scan(conn, 0, head, self.page_size, read_types)
        total = feed.count(conn, 0, head, read_types) if progress else 0
        folded = {p.name: 0 for p in projections}
        read = 0
        with closing(log_pages):
            for page in log_pages:
                read += len(page)
                for projection, builder, types in builders:
                    folded[projection.name] += _fold_page(projection, builder, types, page)
                    if progress:
                        progress(projection.name, read, total)
                del page
        for projection, builder, _ in builders:
            with _halting(projection):
                builder.finish()
        return folded


class _Applying:
    """The builder of a projection without a ``rebuilder()``: its ``apply``, page by page."""

    def __init__(self, projection: Projection, conn: Connection) -> None:
        self.projection, self.conn = projection, conn

    def fold(self, events: list[StoredEvent]) -> None:
        apply_page(self.conn, self.projection, events)

    def finish(self) -> None:
        pass


def _builder(projection: Projection, conn: Connection) -> Builder:
    rebuilder: Any = getattr(projection, "rebuilder", None)
    return rebuilder(conn) if rebuilder is not None else _Applying(projection, conn)


def _fold_page(projection: Projection, builder: Builder, types: Collection[str] | None,
               page: list[StoredEvent]) -> int:
    """Hand a builder the events of ``page`` its projection folds (``types``; None: all of the
    page); returns how many."""
    mine = page if types is None else [e for e in page if e.type in types]
    if not mine:
        return 0
    with _halting(projection):
        builder.fold(mine)
    return len(mine)


@contextmanager
def _halting(projection: Projection) -> Iterator[None]:
    """A builder's failure halts its projection, at the event it names (``exc.event``) if any."""
    try:
        yield
    except (ProjectionHalted, *NOT_THE_EVENTS_FAULT):
        raise
    except Exception as exc:
        raise ProjectionHalted(projection.name, getattr(exc, "event", None), exc) from exc


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a rebuild. Fold states are trees of dicts and
    lists (no reference cycles), so each collection only re-traverses the millions of objects a
    rebuild holds alive: a fifth of a 1M-event rebuild (benchmarks/README.md). Process-wide, for
    the rebuild's duration; cycles made meanwhile (anywhere) are collected once it ends."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


__all__ = ["Builder", "Progress", "Rebuild", "cycle_collector_paused"]
