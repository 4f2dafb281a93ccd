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

import hashlib
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from casework.clock import Clock, SystemClock
from casework.events.store import NOTIFY_CHANNEL, StoredEvent
from casework.projections import checkpoints, feed
from casework.projections.base import Projection
from casework.projections.registry import REGISTRY, Registry

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
        clock: Clock | None = None,
        registry: Registry = REGISTRY,
        *,
        page_size: int = 5000,
        rebuild_page_size: int = 20000,
        poll_seconds: float = 0.5,
        lock_wait_seconds: float = 5.0,
    ) -> None:
        self.engine = engine
        self.clock = clock or SystemClock()
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
        self._table_ready = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------------------ public
    def projections(self, names: Iterable[str] | None = None) -> list[Projection]:
        if names is None:
            return self.registry.all()
        return [self.registry.get(n) for n in names]

    def on_appended(self, stored: list[StoredEvent]) -> None:
        """``EventStore.listeners`` hook: catch up now, so this process reads its own writes.

        Never raises into the appender (its events are committed); a halt is logged loudly.
        """
        try:
            self.catch_up(wait=True)
        except Exception:  # the log is safe; the read model will catch up on the next pass
            log.exception("projection_catch_up_failed", after_position=stored[-1].position)

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
        the old read model until it commits). Returns the events folded by each."""
        folded: dict[str, int] = {}
        with self._local:
            self._ensure_table()
            for projection in sorted(self.projections(names), key=lambda p: p.name):
                self.halted.pop(projection.name, None)
                with self._transaction() as conn:
                    self._lock(conn, projection, wait=None)
                    head = feed.head(conn)
                    try:
                        folded[projection.name] = self._rebuild_in(conn, projection, head, progress)
                    except ProjectionHalted as exc:
                        self.halted[projection.name] = str(exc)
                        raise
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
            self.catch_up(wait=False)
        except Exception:
            log.exception("projection_background_pass_failed")

    # ------------------------------------------------------------------------------ internals
    def _now(self) -> datetime:
        return self.clock.now()

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(casework_write=True) as conn:
            with conn.begin():
                yield conn

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
        with self._transaction() as conn:
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
                applied[projection.name] = applied.get(projection.name, 0) + len(events)
                more = more or reached < head
            if self.before_commit:
                self.before_commit(pages)
        return more

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


def _culprit(exc: BaseException, events: list[StoredEvent]) -> StoredEvent | None:
    """The event a fold failed on, when the fold said (``exc.event``); else the page's first."""
    event = getattr(exc, "event", None)
    return event if isinstance(event, StoredEvent) else (events[0] if events else None)


__all__ = ["ProjectionHalted", "ProjectionRunner", "ProjectionStatus", "lock_key"]
