"""The projection runner: applies the log to every registered projection, exactly once.

How it keeps its promises
- Exactly once: a projection's rows and its checkpoint move in one transaction (a savepoint
  per projection inside one transaction per pass), and the checkpoint is re-read after the
  projection's lock is taken. A crash anywhere before commit leaves both unmoved.
- Stops, never skips: an exception from ``apply`` rolls the projection's savepoint back, marks
  it halted (``status()``, the checkpoint row's ``halted`` column, an error log) and the runner
  leaves it alone in this process until ``rebuild`` or ``resume``; the checkpoint is unmoved.
- One writer per projection: on PostgreSQL a transaction-scoped advisory lock keyed by the
  projection's name; a process that dies mid-page releases it with its connection, and the
  next catch-up (any process) continues from the unmoved checkpoint. On SQLite the database
  write lock (``BEGIN IMMEDIATE``) serialises writers across processes.
- Fresh reads: ``on_appended`` is registered on ``EventStore.listeners`` and catches up
  synchronously after each append in this process (waiting briefly for the lock if another
  process holds it), so a writer reads its own writes. ``start()`` runs a follower thread for
  events appended by other processes: LISTEN/NOTIFY on PostgreSQL, polling on SQLite.
- A projection seen with no checkpoint, or with a checkpoint of another ``version``, is rebuilt
  from the log before it is advanced.
"""

from __future__ import annotations

import gc
import hashlib
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from casework.clock import Clock
from casework.events.store import NOTIFY_CHANNEL, StoredEvent
from casework.events.store.database import reading
from casework.projections import checkpoints, feed, parallel
from casework.projections.base import Projection
from casework.projections.registry import Registry

log = structlog.get_logger("casework.projections")

# Serialises creating the runner's own table across processes (PostgreSQL).
_DDL_LOCK_KEY = 0x6361_7365_0004

# A lost connection, a database refusing connections or busy: the pass fails and rolls back, and
# the next pass retries. Never a halt, which would keep a running server's read model stale until
# it restarts.
_NOT_THE_EVENTS_FAULT = (OperationalError, InterfaceError)

Progress = Callable[[str, int, int], None]  # (projection name, events done, events in total)


class ProjectionHalted(RuntimeError):
    """A projection met an event it could not apply; it stays where it was until fixed."""

    def __init__(self, name: str, event: StoredEvent | None, cause: BaseException) -> None:
        self.projection = name
        self.position = event.position if event else None
        self.event_type = event.type if event else None
        self.cause = cause
        where = f" at position {event.position} ({event.type}, stream {event.stream})" if event else ""
        super().__init__(
            f"projection {name!r} halted{where}: {cause.__class__.__name__}: {cause}. Its read "
            f"model is stale but consistent; fix the cause, then `casework rebuild --projection "
            f"{name}` (or restart)"
        )

    @classmethod
    def reported(
        cls, name: str, position: int | None, event_type: str | None, message: str
    ) -> ProjectionHalted:
        """The halt another process reported (a rebuild worker), with its own message."""
        exc = cls.__new__(cls)
        RuntimeError.__init__(exc, message)
        exc.projection, exc.position, exc.event_type = name, position, event_type
        exc.cause = RuntimeError(message)
        return exc


@dataclass(frozen=True)
class ProjectionStatus:
    name: str
    version: int
    position: int
    head: int
    halted: str | None

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


def lock_key(name: str) -> int:
    """The advisory lock key of a projection: a stable signed 64-bit hash of its name."""
    digest = hashlib.sha256(f"casework-projection:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


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
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.registry = registry
        self.page_size = page_size
        self.rebuild_page_size = rebuild_page_size
        self.poll_seconds = poll_seconds
        self.lock_wait_seconds = lock_wait_seconds
        self.postgres = engine.dialect.name == "postgresql"
        self.halted: dict[str, str] = {}
        # Test hook: called just before a pass commits, with the events applied per projection.
        self.before_commit: Callable[[dict[str, list[StoredEvent]]], None] | None = None
        self._local = threading.RLock()
        # Position each projection is known to have reached in the database (a lower bound:
        # checkpoints only move forward), so an append already covered needs no pass.
        self._reached: dict[str, int] = {}
        self._table_ready = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # A rebuild shared among processes (projections/parallel.py): how many at most (1: this
        # process alone), what a worker builds its projections from (None: this runner's
        # projections cannot be built elsewhere, so it rebuilds alone), and from which log size.
        self.rebuild_workers = 1
        self.spawn: parallel.Spawn | None = None
        self.parallel_from = parallel.PARALLEL_FROM

    # ------------------------------------------------------------------------------ public
    def projections(self, names: Iterable[str] | None = None) -> list[Projection]:
        if names is None:
            return self.registry.all()
        return [self.registry.get(n) for n in names]

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
            pending = [
                p for p in self.projections(names)
                if p.name not in self.halted and self._reached.get(p.name, -1) < target
            ]
            if not pending:
                return
            extras = [
                p for p in self.projections()
                if p.name not in names and p.name not in self.halted
                and self._reached.get(p.name, -1) < target
            ]
            if self._quick_pass(sorted(pending, key=lambda p: p.name), stored, extras):
                return
            self.catch_up([p.name for p in pending], wait=True)

    def catch_up(
        self, names: Iterable[str] | None = None, *, wait: bool = True, raise_on_halt: bool = False
    ) -> dict[str, int]:
        """Apply every event not yet applied; returns how many events each projection folded.

        ``wait``: on PostgreSQL, wait (up to ``lock_wait_seconds``) for a projection another
        process is advancing, rather than leaving it to that process.
        """
        applied: dict[str, int] = {}
        chosen = sorted(self.projections(names), key=lambda p: p.name)
        with self._local:
            self._ensure_table()
            while True:
                pending = [p for p in chosen if p.name not in self.halted]
                if not pending or not self._pass(pending, wait, applied):
                    break
        if raise_on_halt:
            stopped = [n for n in (p.name for p in chosen) if n in self.halted]
            if stopped:
                raise RuntimeError("; ".join(self.halted[n] for n in stopped))
        return applied

    def rebuild(
        self, names: Iterable[str] | None = None, *, progress: Progress | None = None
    ) -> dict[str, int]:
        """Drop and rebuild projections from the whole log, each in one transaction (readers see
        the old read model until it commits). Returns the events folded by each.

        Those with a ``rebuilder()`` share one pass over the log; on PostgreSQL, with
        ``rebuild_workers`` above 1 and a log of ``parallel_from`` events or more, they are
        shared among that many processes instead, a group and a pass each (parallel.py)."""
        folded: dict[str, int] = {}
        with self._local, _cycle_collector_paused():
            self._ensure_table()
            chosen = sorted(self.projections(names), key=lambda p: p.name)
            together = [p for p in chosen if hasattr(p, "rebuilder")]
            groups = self._rebuild_groups(together) if len(together) > 1 else [together]
            if len(groups) > 1:
                folded.update(self._rebuild_in_processes(groups, progress))
            else:
                folded.update(self._rebuild_group(together, progress))
            alone = [p for p in chosen if p not in together]
            folded.update(self._rebuild_one_by_one(alone, progress))
        return folded

    def _rebuild_groups(self, projections: list[Projection]) -> list[list[Projection]]:
        """How to share a rebuild of ``projections`` among processes: one group (this process
        alone) on SQLite, for a short log, or when workers cannot build these projections."""
        workers = min(self.rebuild_workers, len(projections))
        if workers < 2 or not self.postgres or self.spawn is None:
            return [projections]
        with reading(self.engine) as conn:
            by_type = dict(conn.exec_driver_sql("SELECT type, count(*) FROM events GROUP BY type").all())
        if sum(by_type.values()) < self.parallel_from:
            return [projections]
        return parallel.plan(projections, by_type, workers)

    def _rebuild_in_processes(
        self, groups: list[list[Projection]], progress: Progress | None
    ) -> dict[str, int]:
        """Rebuild the first group here and each other in a worker process of its own, at the
        same time (projections/parallel.py). Returns the events folded by each projection once
        every group has ended; raises the first halt (by projection name) after that, or a
        RuntimeError naming the projections of a worker that failed or died."""
        assert self.spawn is not None
        folded: dict[str, int] = {}
        halts: list[ProjectionHalted] = []
        workers: list[parallel.Worker] = []
        try:
            for group in groups[1:]:
                for projection in group:
                    self.halted.pop(projection.name, None)
                worker = parallel.Worker(self.spawn, [p.name for p in group], progress is not None)
                workers.append(worker)
                log.info("projection_rebuild_worker_started", pid=worker.pid, projections=worker.names)

            def relay(name: str, done: int, total: int) -> None:
                for worker in workers:
                    worker.listen(progress)
                progress(name, done, total)  # type: ignore[misc]  # relayed only with a progress

            try:
                folded.update(self._rebuild_group(groups[0], relay if progress else None))
            except ProjectionHalted as exc:
                halts.append(exc)
            for worker in workers:
                worker.wait(progress)
        finally:
            for worker in workers:  # still running only if this process is being interrupted
                worker.stop()
        failures = []
        for worker in workers:
            message, names = worker.ended, ", ".join(worker.names)
            if message is None:
                failures.append(
                    f"the worker rebuilding {names} ended without finishing (exit code "
                    f"{worker.process.returncode}): their read models are as they were"
                )
            elif message[0] == "done":
                folded.update(message[1])
            elif message[0] == "halted":
                halts.append(ProjectionHalted.reported(*message[1:]))
            else:
                failures.append(f"the worker rebuilding {names} failed: {message[1]}")
        for exc in halts:
            self.halted[exc.projection] = str(exc)
        if failures:
            raise RuntimeError("; ".join(failures) + "; run `casework rebuild` again")
        if halts:
            raise min(halts, key=lambda e: e.projection)
        return folded

    def _rebuild_group(self, projections: list[Projection], progress: Progress | None) -> dict[str, int]:
        """Rebuild ``projections`` in this process: together in one pass over the log, or, when
        a fold fails there, one by one so that those before the culprit commit and it halts."""
        if len(projections) > 1:
            try:
                return self._rebuild_together(projections, progress)
            except ProjectionHalted:
                pass
        return self._rebuild_one_by_one(projections, progress)

    def _rebuild_one_by_one(
        self, projections: list[Projection], progress: Progress | None
    ) -> dict[str, int]:
        """Each in a transaction of its own, in order; raises the first halt."""
        folded: dict[str, int] = {}
        for projection in projections:
            self.halted.pop(projection.name, None)
            with self._transaction() as conn:
                self._lock(conn, projection, wait=None)
                head = feed.head(conn)
                try:
                    folded[projection.name] = self._rebuild_in(conn, projection, head, progress)
                except ProjectionHalted as exc:
                    self.halted[projection.name] = str(exc)
                    raise
            self._note_reached({projection.name: head})
        return folded

    def _rebuild_together(
        self, projections: list[Projection], progress: Progress | None
    ) -> dict[str, int]:
        """Rebuild ``projections`` (those with a ``rebuilder()``) in one transaction and one
        pass over the log: each page is read and decoded once and handed to every one of them.
        Raises ProjectionHalted (having committed nothing) when a fold fails."""
        folded = {p.name: 0 for p in projections}
        started = time.perf_counter()
        with self._transaction() as conn:
            for projection in projections:
                self._lock(conn, projection, wait=None)
            head = feed.head(conn)
            for projection in projections:
                for table in reversed(projection.tables):
                    table.drop(conn, checkfirst=True)
                for table in projection.tables:
                    table.create(conn, checkfirst=True)
            builders = [(p, p.rebuilder(conn), p.event_types) for p in projections]  # type: ignore[attr-defined]
            total = feed.count(conn, 0, head, None) if progress else 0
            scanned = 0
            with closing(feed.scan(conn, 0, head, self.rebuild_page_size)) as log_pages:
                for page in log_pages:
                    scanned += len(page)
                    for projection, builder, types in builders:
                        folded[projection.name] += _fold_page(projection, builder, types, page)
                        if progress:
                            progress(projection.name, scanned, total)
                    del page
            for projection, builder, _ in builders:
                builder.finish()
                checkpoints.write(conn, projection.name, projection.version, head, self._now())
        self._note_reached({p.name: head for p in projections})
        for p in projections:
            self.halted.pop(p.name, None)
        log.info(
            "projections_rebuilt", projections=sorted(folded), events=scanned, head=head,
            seconds=round(time.perf_counter() - started, 3),
        )
        return folded

    def resume(self, name: str) -> None:
        """Let a halted projection try again (after the cause was fixed)."""
        self.halted.pop(name, None)

    def status(self) -> list[ProjectionStatus]:
        with self.engine.connect() as conn:
            self._ensure_table()
            head = feed.head(conn)
            marks = checkpoints.read_all(conn)
        out = []
        for p in self.projections():
            cp = marks.get(p.name)
            out.append(
                ProjectionStatus(
                    name=p.name,
                    version=p.version,
                    position=cp.position if cp and cp.version == p.version else 0,
                    head=head,
                    halted=self.halted.get(p.name) or (cp.halted if cp else None),
                )
            )
        return out

    # ------------------------------------------------------------------------------ follower
    def start(self) -> None:
        """Follow events appended by other processes, in a daemon thread, until ``stop()``."""
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        target = self._follow_notifications if self.postgres else self._follow_polling
        self._thread = threading.Thread(target=target, name="casework-projections", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout)
            self._thread = None

    def _follow_polling(self) -> None:
        while not self._stop.is_set():
            self._background_pass()
            self._stop.wait(self.poll_seconds)

    def _follow_notifications(self) -> None:
        while not self._stop.is_set():
            try:
                with self._listening() as notifications:
                    while not self._stop.is_set():
                        self._background_pass()
                        # Wake on a notification, or after poll_seconds regardless: that also
                        # takes over a projection whose previous advancer died.
                        for _ in notifications(self.poll_seconds):
                            pass
            except (DBAPIError, OSError) as exc:
                log.warning("projection_listen_lost", error=str(exc))
                self._stop.wait(self.poll_seconds)

    @contextmanager
    def _listening(self) -> Iterator[Callable[[float], Iterator[object]]]:
        with self.engine.connect() as conn:
            raw = conn.connection.driver_connection
            raw.autocommit = True
            raw.execute(f"LISTEN {NOTIFY_CHANNEL}")
            try:
                yield lambda timeout: raw.notifies(timeout=timeout, stop_after=1)
            finally:
                raw.execute(f"UNLISTEN {NOTIFY_CHANNEL}")
                raw.autocommit = False

    def _background_pass(self) -> None:
        try:
            if self._nothing_new():
                return
            self.catch_up(wait=False)
        except Exception:
            log.exception("projection_background_pass_failed")

    def _nothing_new(self) -> bool:
        """True when this process already took every projection to the head of the log (its
        own appends woke the follower): one cheap query instead of a pass. The NOTIFY of this
        process's own append arrives while that append's catch-up is still running, so the
        answer waits for any catch-up in flight here (else the follower ran a whole second
        pass after nearly every write: a third of a lone POST's time)."""
        with reading(self.engine) as conn:
            head = feed.head(conn)
        with self._local:
            return all(
                self._reached.get(p.name, -1) >= head
                for p in self.projections() if p.name not in self.halted
            )

    # ------------------------------------------------------------------------------ internals
    def _now(self) -> datetime:
        return self.clock.now()

    @contextmanager
    def _transaction(self, *, relaxed: bool = False) -> Iterator[Connection]:
        """A write transaction. ``relaxed`` (SQLite): its commit is not flushed to disk
        (synchronous=NORMAL, safe in WAL mode: a power cut can only lose the whole
        transaction, and the next append's flush persists it anyway); see ``_quick_pass``."""
        with self.engine.connect().execution_options(casework_write=True) as conn:
            restore = None
            if relaxed and not self.postgres:
                raw = conn.connection.driver_connection
                restore = raw.execute("PRAGMA synchronous").fetchone()[0]
                raw.execute("PRAGMA synchronous=NORMAL")
            try:
                with conn.begin():
                    yield conn
            finally:
                if restore is not None:
                    raw.execute(f"PRAGMA synchronous={int(restore)}")

    def _ensure_table(self) -> None:
        if self._table_ready:
            return
        with self._transaction() as conn:
            if self.postgres:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _DDL_LOCK_KEY})
            checkpoints.ensure_table(conn)
        self._table_ready = True

    def _lock(self, conn: Connection, projection: Projection, wait: bool | None) -> bool:
        """Take the projection's lock for this transaction. ``wait``: False = try only,
        True = wait up to lock_wait_seconds, None = wait as long as it takes."""
        if not self.postgres:
            return True  # BEGIN IMMEDIATE already holds SQLite's single write lock
        key = lock_key(projection.name)
        if wait is False:
            got = conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}).scalar()
            return bool(got)
        timeout = "0" if wait is None else f"{int(self.lock_wait_seconds * 1000)}ms"
        conn.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": timeout})
        try:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
        except OperationalError:  # lock_timeout: another process is busy with it (a rebuild)
            return False
        return True

    def _pass(self, projections: list[Projection], wait: bool, applied: dict[str, int]) -> bool:
        """One page for each projection, in one transaction. True if another page may follow."""
        more = False
        pages: dict[str, list[StoredEvent]] = {}
        reached_by: dict[str, int] = {}
        with self._transaction(relaxed=True) as conn:
            head = feed.head(conn)
            for projection in projections:
                savepoint = conn.begin_nested()
                if not self._lock(conn, projection, wait):
                    savepoint.rollback()
                    continue
                try:
                    events, reached = self._advance(conn, projection, head)
                except ProjectionHalted as exc:
                    savepoint.rollback()
                    self._halt(conn, projection.name, exc)
                    continue
                savepoint.commit()
                pages[projection.name] = events
                reached_by[projection.name] = reached
                applied[projection.name] = applied.get(projection.name, 0) + len(events)
                more = more or reached < head
            if self.before_commit:
                self.before_commit(pages)
        self._note_reached(reached_by)
        return more

    def _note_reached(self, reached_by: dict[str, int]) -> None:
        for name, position in reached_by.items():
            if position > self._reached.get(name, -1):
                self._reached[name] = position

    def _quick_pass(
        self, projections: list[Projection], stored: list[StoredEvent], extras: list[Projection] = ()
    ) -> bool:
        """Advance ``projections`` to the head in one transaction with a handful of statements:
        all locks in one, all checkpoints read in one and moved in one, the log read once (or
        not at all when ``stored``, just appended, is exactly what is missing). False, having
        changed nothing, whenever anything is unusual (a lock held elsewhere, a projection to
        rebuild, a long lag, a fold that fails): the general path then handles it, halts
        included. The commit does not wait for its flush to disk (PostgreSQL synchronous_commit
        off, SQLite synchronous=NORMAL): the read model is derived from the log, and a crash
        can only lose the whole transaction, rows and checkpoint together, which the next pass
        redoes. ``extras`` (projections that fold none of ``stored``'s types) have their
        checkpoints moved too when they were current up to ``stored`` and their locks are free,
        so the follower thread finds nothing to do."""
        pages: dict[str, list[StoredEvent]] = {}
        first, last = min(e.position for e in stored), max(e.position for e in stored)
        try:
            with self._transaction(relaxed=True) as conn:
                if self.postgres:
                    head, free = self._lock_all(conn, projections, extras)
                else:
                    head, free = feed.head(conn), [True] * len(extras)
                if head is None:
                    raise _Unusual
                marks = checkpoints.read_all(conn)
                after: dict[str, int] = {}
                for projection in projections:
                    mark = marks.get(projection.name)
                    if mark is None or mark.version != projection.version:
                        raise _Unusual
                    after[projection.name] = mark.position
                low = min(after.values())
                if low >= head:
                    events: list[StoredEvent] = []
                elif low == first - 1 and head == last:
                    # One append holds the append lock throughout: nothing committed in between.
                    events = sorted(stored, key=lambda e: e.position)
                else:
                    events = feed.page(conn, low, head, _union(projections), self.page_size)
                    if len(events) >= self.page_size:
                        raise _Unusual
                for projection in projections:
                    types = projection.event_types
                    mine = [
                        e for e in events
                        if e.position > after[projection.name] and (types is None or e.type in types)
                    ]
                    if mine:
                        try:
                            projection.apply(conn, mine)
                        except Exception as exc:
                            raise _Unusual from exc
                    pages[projection.name] = mine
                moving = [p.name for p in projections if after[p.name] < head]
                current = []  # extras with nothing of theirs between their checkpoint and head
                for extra, got in zip(extras, free, strict=True):
                    mark = marks.get(extra.name)
                    if not got or mark is None or mark.version != extra.version:
                        continue
                    if mark.position >= head:
                        current.append(extra.name)
                    elif mark.position == first - 1 and head == last and _folds_none(extra, stored):
                        current.append(extra.name)
                        moving.append(extra.name)
                if moving:
                    checkpoints.advance(conn, moving, head, self._now())
                if self.before_commit:
                    self.before_commit(pages)
        except _Unusual:
            return False
        self._note_reached({name: head for name in [p.name for p in projections] + current})
        return True

    def _lock_all(
        self, conn: Connection, projections: list[Projection], extras: list[Projection]
    ) -> tuple[int | None, list[bool]]:
        """Every projection's lock in one statement (waiting up to lock_wait_seconds; only
        trying for ``extras``), with this transaction's commit made asynchronous (see
        ``_quick_pass``); returns the head of the log read in the same round trip (None: a lock
        is busy elsewhere) and which extras' locks were free. Reading the head before the locks
        are granted is as safe as in ``_pass``: positions up to any head read are final (the
        store's append lock)."""
        locks = "".join(f", pg_advisory_xact_lock({lock_key(p.name)})" for p in projections)
        tries = "".join(f", pg_try_advisory_xact_lock({lock_key(p.name)})" for p in extras)
        timeout = f"{int(self.lock_wait_seconds * 1000)}ms"
        try:
            row = conn.exec_driver_sql(
                "SELECT (SELECT coalesce(max(position), 0) FROM events), "
                "set_config('synchronous_commit', 'off', true), "
                f"set_config('lock_timeout', '{timeout}', true){locks}{tries}"
            ).first()
        except OperationalError:  # lock_timeout: another process is busy with one (a rebuild)
            return None, []
        return int(row[0]), [bool(got) for got in row[3 + len(projections):]]

    def _advance(self, conn: Connection, projection: Projection, head: int) -> tuple[list, int]:
        """Apply the next page after the checkpoint; returns (events applied, position reached)."""
        mark = checkpoints.read(conn, projection.name)
        if mark is None or mark.version != projection.version:
            reason = "new" if mark is None else f"version {mark.version} -> {projection.version}"
            log.info("projection_rebuilding", projection=projection.name, reason=reason)
            self._rebuild_in(conn, projection, head, None)
            return [], head
        if mark.position >= head:
            return [], mark.position
        events = feed.page(conn, mark.position, head, projection.event_types, self.page_size)
        reached = events[-1].position if len(events) == self.page_size else head
        if events:
            self._apply(conn, projection, events)
        checkpoints.write(conn, projection.name, projection.version, reached, self._now())
        return events, reached

    def _apply(self, conn: Connection, projection: Projection, events: list[StoredEvent]) -> None:
        try:
            projection.apply(conn, events)
        except (ProjectionHalted, *_NOT_THE_EVENTS_FAULT):
            raise
        except Exception as exc:
            raise ProjectionHalted(projection.name, _culprit(exc, events), exc) from exc

    def _rebuild_in(
        self, conn: Connection, projection: Projection, head: int, progress: Progress | None
    ) -> int:
        for table in reversed(projection.tables):
            table.drop(conn, checkfirst=True)
        for table in projection.tables:
            table.create(conn, checkfirst=True)
        types = projection.event_types
        total = feed.count(conn, 0, head, types) if progress else 0
        done = 0

        def counted(pages: Iterator[list[StoredEvent]]) -> Iterator[list[StoredEvent]]:
            nonlocal done
            for batch in pages:
                yield batch
                done += len(batch)
                if progress:
                    progress(projection.name, done, total)

        started = time.perf_counter()
        stream = counted(feed.pages(conn, 0, head, types, self.rebuild_page_size))
        bulk = getattr(projection, "rebuild_from", None)
        try:
            if bulk is not None:
                bulk(conn, stream)
            else:
                for batch in stream:
                    self._apply(conn, projection, batch)
        except (ProjectionHalted, *_NOT_THE_EVENTS_FAULT):
            raise
        except Exception as exc:
            raise ProjectionHalted(projection.name, getattr(exc, "event", None), exc) from exc
        checkpoints.write(conn, projection.name, projection.version, head, self._now())
        elapsed = time.perf_counter() - started
        log.info(
            "projection_rebuilt", projection=projection.name, events=done, head=head,
            seconds=round(elapsed, 3),
        )
        return done

    def _halt(self, conn: Connection, name: str, exc: ProjectionHalted) -> None:
        self.halted[name] = str(exc)
        log.error(
            "projection_halted", projection=name, position=exc.position,
            event_type=exc.event_type, error=str(exc.cause),
        )
        checkpoints.mark_halted(conn, name, str(exc))


def _fold_page(projection: Projection, builder: Any, types: Collection[str] | None,
               page: list[StoredEvent]) -> int:
    """Hand a rebuilder the events of ``page`` its projection folds; returns how many."""
    mine = page if types is None else [e for e in page if e.type in types]
    if not mine:
        return 0
    try:
        builder.fold(mine)
    except ProjectionHalted:
        raise
    except Exception as exc:
        raise ProjectionHalted(projection.name, getattr(exc, "event", None), exc) from exc
    return len(mine)


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
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


class _Unusual(Exception):
    """The quick pass cannot be used this time; its transaction is rolled back."""


def _folds_none(projection: Projection, events: list[StoredEvent]) -> bool:
    types = projection.event_types
    return types is not None and not any(e.type in types for e in events)


def _union(projections: list[Projection]) -> set[str] | None:
    types: set[str] = set()
    for projection in projections:
        if projection.event_types is None:
            return None
        types.update(projection.event_types)
    return types


def _culprit(exc: BaseException, events: list[StoredEvent]) -> StoredEvent | None:
    """The event a fold failed on, when the fold said (``exc.event``); else the page's first."""
    event = getattr(exc, "event", None)
    return event if isinstance(event, StoredEvent) else (events[0] if events else None)


__all__ = ["ProjectionHalted", "ProjectionRunner", "ProjectionStatus", "lock_key"]
