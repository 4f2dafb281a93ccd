"""The projection runner: applies the log to every registered projection, exactly once.

How it keeps its promises (and where)
- Exactly once (catchup.py): a projection's rows and its checkpoint move in one transaction (a
  savepoint per projection inside one transaction per pass), and the checkpoint is re-read after
  the projection's lock is taken. A crash anywhere before commit leaves both unmoved.
- Stops, never skips (halts.py, catchup.py): an exception from ``apply`` rolls the projection's
  savepoint back, marks it halted (``status()``, the checkpoint row's ``halted`` column, an error
  log) and the runner leaves it alone in this process until ``rebuild`` or ``resume``; the
  checkpoint is unmoved.
- One writer per projection (locks.py): on PostgreSQL a transaction-scoped advisory lock keyed by
  the projection's name; a process that dies mid-page releases it with its connection, and the
  next catch-up (any process) continues from the unmoved checkpoint. On SQLite the database
  write lock (``BEGIN IMMEDIATE``) serialises writers across processes.
- Fresh reads: ``on_appended`` is registered on ``EventStore.listeners``. By default it catches
  up synchronously after each append in this process (waiting briefly for the lock if another
  process holds it), so a writer reads its own writes. A serving process sets ``deferred``: an
  append then only notes its position and wakes the follower, which folds in the background,
  one pass for every write made meanwhile; a read calls ``fresh()`` first (every query given
  the Casework container does, in ``sources.connect``), which waits for the read models to reach
  the position the request asks for (what its reader wrote: consistency.py), folding itself if
  the follower has not got there. ``start()`` runs the
  follower thread (follower.py), which also takes in events appended by other processes:
  LISTEN/NOTIFY on PostgreSQL, polling on SQLite.
- A projection seen with no checkpoint, or with a checkpoint of another ``version``, is rebuilt
  from the log before it is advanced (rebuild.py; tables.py drops and creates its tables).

Within this process one lock (``_local``) serialises catch-ups and rebuilds.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from contextlib import nullcontext

import structlog
from sqlalchemy import Engine

from casework.clock import Clock
from casework.events.store import StoredEvent
from casework.events.store.database import reading
from casework.projections import consistency, feed, parallel, tables
from casework.projections.base import Projection
from casework.projections.catchup import BeforeCommit, CatchUp
from casework.projections.follower import Follower
from casework.projections.halts import ProjectionHalted
from casework.projections.locks import lock_key
from casework.projections.rebuild import Progress, Rebuild, cycle_collector_paused
from casework.projections.registry import Registry
from casework.projections.status import Lag, ProjectionStatus, Standing, lags, statuses

log = structlog.get_logger("casework.projections")

# Deferred, the follower waits this long after an append wakes it, so that the writes of the
# moment share one pass (a reader who wrote one of them does not wait: it folds at once).
GATHER_SECONDS = 0.02


class ProjectionRunner:
    """Drives every projection in ``registry`` over the log in ``engine``."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        registry: Registry,
        *,
        page_size: int = 5000,
        rebuild_page_size: int = 20000,
        poll_seconds: float = 0.5,
        lock_wait_seconds: float = 5.0,
        fresh_wait_seconds: float = 5.0,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.registry = registry
        self.page_size = page_size
        self.rebuild_page_size = rebuild_page_size
        self.poll_seconds = poll_seconds
        self.lock_wait_seconds = lock_wait_seconds
        # A read waits at most this long for the read models to reach what it must see, then
        # answers from them as they are (a warm-up of a long log, a projection held elsewhere).
        self.fresh_wait_seconds = fresh_wait_seconds
        # Appends leave folding to the follower and to the reads (``fresh``): see the docstring.
        self.deferred = False
        self.appended = 0  # the last position this process appended
        self.standing = Standing()
        # Test hook: called just before a pass commits, with the events applied per projection.
        self.before_commit: BeforeCommit | None = None
        self._local = threading.RLock()
        self._table_ready = False
        self._follower: Follower | None = None
        # A rebuild shared among processes (projections/parallel.py): how many at most (1: this
        # process alone), what a worker builds its projections from (None: this runner's
        # projections cannot be built elsewhere, so it rebuilds alone), and from which log size.
        self.rebuild_workers = 1
        self.spawn: parallel.Spawn | None = None
        self.parallel_from = parallel.PARALLEL_FROM

    @property
    def halted(self) -> dict[str, str]:
        """Why each projection halted in this process stopped (until ``rebuild`` or ``resume``)."""
        return self.standing.halted

    def projections(self, names: Iterable[str] | None = None) -> list[Projection]:
        if names is None:
            return self.registry.all()
        return [self.registry.get(n) for n in names]

    # ---------------------------------------------------------------------------- catching up
    def on_appended(self, stored: list[StoredEvent]) -> None:
        """``EventStore.listeners`` hook: catch up now, so this process reads its own writes.

        Only the projections that fold one of the appended types must be advanced (the others
        have nothing to show for these events: their checkpoints are moved in the same pass when
        that costs nothing, else on their next pass), and not at all when an earlier pass of
        this process already went past them (concurrent writers share one pass). Never raises
        into the appender (its events are committed); a halt is logged loudly.
        """
        if not stored:
            return
        last = max(e.position for e in stored)
        consistency.note_written(last)
        if self.deferred:
            self.appended = max(self.appended, last)
            if self._follower is not None:
                self._follower.wake()
            return
        types = {e.type for e in stored}
        names = [
            p.name for p in self.projections()
            if p.event_types is None or not types.isdisjoint(p.event_types)
        ]
        try:
            self._catch_up_to(names, stored)
        except Exception:  # the log is safe; the read model will catch up on the next pass
            log.exception("projection_catch_up_failed", after_position=stored[-1].position)

    def _catch_up_to(self, names: list[str], stored: list[StoredEvent]) -> None:
        """Advance ``names`` at least to the last of ``stored``: one transaction when every
        checkpoint is current (the usual case), else the general ``catch_up``."""
        target = stored[-1].position
        with self._local:
            self._ensure_table()
            pending = [p for p in self.projections(names) if self.standing.behind(p.name, target)]
            if not pending:
                return
            extras = [
                p for p in self.projections()
                if p.name not in names and self.standing.behind(p.name, target)
            ]
            if self._catching_up().after_append(sorted(pending, key=lambda p: p.name), stored, extras):
                return
            self.catch_up([p.name for p in pending], wait=True)

    def catch_up(
        self, names: Iterable[str] | None = None, *, wait: bool = True, raise_on_halt: bool = False
    ) -> dict[str, int]:
        """Apply every event not yet applied; returns how many events each projection folded.

        ``wait``: on PostgreSQL, wait (up to ``lock_wait_seconds``) for a projection another
        process is advancing, rather than leaving it to that process.
        """
        chosen = sorted(self.projections(names), key=lambda p: p.name)
        with self._local:
            self._ensure_table()
            applied = self._catching_up().run(chosen, wait)
        if raise_on_halt:
            stopped = [n for n in (p.name for p in chosen) if n in self.halted]
            if stopped:
                raise RuntimeError("; ".join(self.halted[n] for n in stopped))
        return applied

    def fresh(self, timeout: float | None = None) -> bool:
        """Read-your-writes before a read: wait until every projection not halted has reached the
        position the current request must see (``consistency.wanted``: what its reader wrote),
        or outside a request the last position this process appended, folding here if nobody
        else is; at most ``timeout`` seconds (``fresh_wait_seconds``) for another pass in
        flight. True when they have; False when the read will answer from read models still
        behind (logged)."""
        asked = consistency.wanted()
        target = self.appended if asked is None else asked
        chosen = self.projections()
        if target <= 0 or self.standing.all_reached(chosen, target):
            return True
        if not self._local.acquire(timeout=self.fresh_wait_seconds if timeout is None else timeout):
            log.warning("read_models_behind", wanted=target, reason="a catch-up is in progress")
            return False
        try:
            if not self.standing.all_reached(chosen, target):  # the pass we waited for may do
                self._ensure_table()
                self._catching_up().run(sorted(chosen, key=lambda p: p.name), wait=True)
        finally:
            self._local.release()
        if self.standing.all_reached(chosen, target):
            return True
        log.warning("read_models_behind", wanted=target, reason="not reached after a pass")
        return False

    # ---------------------------------------------------------------------------- rebuilding
    def rebuild(
        self, names: Iterable[str] | None = None, *, progress: Progress | None = None
    ) -> dict[str, int]:
        """Drop and rebuild projections from the whole log, each in one transaction (readers see
        the old read model until it commits). Returns the events folded by each.

        Those with a ``rebuilder()`` share one pass over the log; on PostgreSQL, with
        ``rebuild_workers`` above 1 and a log of ``parallel_from`` events or more, they are
        shared among that many processes instead, a group and a pass each (parallel.py)."""
        folded: dict[str, int] = {}
        # On PostgreSQL a rebuild is blue/green (rebuild.py): this process's catch-ups (each
        # write's) go on meanwhile, so it does not hold the process's lock.
        guard = nullcontext() if self.engine.dialect.name == "postgresql" else self._local
        with guard, cycle_collector_paused():
            self._ensure_table()
            chosen = sorted(self.projections(names), key=lambda p: p.name)
            together = [p for p in chosen if hasattr(p, "rebuilder")]
            groups = [together]
            if self.spawn is not None:  # else workers could not build these projections
                groups = parallel.share(self.engine, together, self.rebuild_workers, self.parallel_from)
            if len(groups) > 1:
                assert self.spawn is not None
                folded.update(parallel.rebuild_in_processes(
                    groups, self.spawn, self._rebuild_group, progress, self.halted
                ))
            else:
                folded.update(self._rebuild_group(together, progress))
            alone = [p for p in chosen if p not in together]
            folded.update(self._rebuilding().one_by_one(alone, progress))
        return folded

    def _rebuild_group(self, projections: list[Projection], progress: Progress | None) -> dict[str, int]:
        """This process's group of a rebuild (together, or one by one after a halt)."""
        return self._rebuilding().group(projections, progress)

    def resume(self, name: str) -> None:
        """Let a halted projection try again (after the cause was fixed)."""
        self.halted.pop(name, None)

    def status(self) -> list[ProjectionStatus]:
        with self.engine.connect() as conn:
            self._ensure_table()
            return statuses(conn, self.projections(), self.standing)

    def lags(self) -> list[Lag]:
        """How far each read model is behind the log now (``status`` and, for those behind, when
        the oldest event they have not passed was recorded): cheap enough for every probe."""
        now = self.clock.now()
        with reading(self.engine) as conn:
            self._ensure_table()
            return lags(conn, statuses(conn, self.projections(), self.standing), now)

    # ---------------------------------------------------------------------------- following
    def start(self) -> None:
        """Follow events appended by other processes, in a daemon thread, until ``stop()``."""
        if self._follower is None:
            self._follower = Follower(
                self.engine, self.poll_seconds, self._nothing_new, lambda: self.catch_up(wait=False),
                gather_seconds=GATHER_SECONDS if self.deferred else 0.0,
            )
        self._follower.start()

    def stop(self, timeout: float = 5.0) -> None:
        if self._follower:
            self._follower.stop(timeout)

    def _nothing_new(self) -> bool:
        """True when this process already took every projection to the head of the log (its
        own appends woke the follower): one cheap query instead of a pass. The NOTIFY of this
        process's own append arrives while that append's catch-up is still running, so the
        answer waits for any catch-up in flight here (else the follower ran a whole second
        pass after nearly every write: a third of a lone POST's time)."""
        with reading(self.engine) as conn:
            head = feed.head(conn)
        with self._local:
            return self.standing.all_reached(self.projections(), head)

    # ---------------------------------------------------------------------------- parts
    def _rebuilding(self) -> Rebuild:
        return Rebuild(self.engine, self.standing, self.rebuild_page_size, self.clock.now)

    def _catching_up(self) -> CatchUp:
        return CatchUp(
            self.engine, self.standing, self._rebuilding(), self.clock.now,
            page_size=self.page_size, lock_wait_seconds=self.lock_wait_seconds,
            before_commit=self.before_commit,
        )

    def _ensure_table(self) -> None:
        if not self._table_ready:
            tables.ensure_checkpoint_table(self.engine)
            self._table_ready = True


__all__ = ["Lag", "ProjectionHalted", "ProjectionRunner", "ProjectionStatus", "lock_key"]
