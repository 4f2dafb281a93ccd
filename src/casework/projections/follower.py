"""Following events appended by other processes: a daemon thread that catches up when woken by
LISTEN/NOTIFY (PostgreSQL) or every ``poll_seconds`` (SQLite)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from casework.events.store import NOTIFY_CHANNEL
from casework.events.store.database import driver_connection
from casework.logs import error_text

log = structlog.get_logger("casework.projections")


class Follower:
    """Runs ``catch_up`` in a thread of its own whenever ``nothing_new`` says there may be work:
    after each notification on PostgreSQL, and every ``poll_seconds`` regardless."""

    def __init__(
        self,
        engine: Engine,
        poll_seconds: float,
        nothing_new: Callable[[], bool],
        catch_up: Callable[[], object],
        gather_seconds: float = 0.0,
    ) -> None:
        self.engine = engine
        # After a wake-up, wait this long for more appends before the pass, so that writes made
        # close together share one pass (the runner sets it when its appends do not fold).
        self.gather_seconds = gather_seconds
        self.poll_seconds = poll_seconds
        self.nothing_new = nothing_new
        self.catch_up = catch_up
        self._stop = threading.Event()
        self._woken = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        postgres = self.engine.dialect.name == "postgresql"
        target = self._follow_notifications if postgres else self._follow_polling
        self._thread = threading.Thread(target=target, name="casework-projections", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Catch up now rather than at the next poll (an append of this process, on SQLite;
        on PostgreSQL the append's own notification wakes the thread)."""
        self._woken.set()

    def stop(self, timeout: float) -> None:
        self._stop.set()
        self._woken.set()
        if self._thread:
            self._thread.join(timeout)
            self._thread = None

    def _follow_polling(self) -> None:
        while not self._stop.is_set():
            self._woken.clear()
            self._background_pass()
            if self._woken.wait(self.poll_seconds) and self.gather_seconds:
                self._stop.wait(self.gather_seconds)

    def _follow_notifications(self) -> None:
        while not self._stop.is_set():
            try:
                with self._listening() as notifications:
                    while not self._stop.is_set():
                        self._background_pass()
                        # Wake on a notification, or after poll_seconds regardless: that also
                        # takes over a projection whose previous advancer died.
                        woken = any(True for _ in notifications(self.poll_seconds, 1))
                        if woken and self.gather_seconds:  # the others meanwhile, in one pass
                            for _ in notifications(self.gather_seconds, None):
                                pass
            except (DBAPIError, OSError) as exc:
                log.warning("projection_listen_lost", error=error_text(exc))
                self._stop.wait(self.poll_seconds)

    @contextmanager
    def _listening(self) -> Iterator[Callable[[float, int | None], Iterator[object]]]:
        with self.engine.connect() as conn:
            raw = driver_connection(conn)
            raw.autocommit = True
            raw.execute(f"LISTEN {NOTIFY_CHANNEL}")
            try:
                yield lambda timeout, stop_after: raw.notifies(timeout=timeout, stop_after=stop_after)
            finally:
                raw.execute(f"UNLISTEN {NOTIFY_CHANNEL}")
                raw.autocommit = False

    def _background_pass(self) -> None:
        try:
            if self.nothing_new():
                return
            self.catch_up()
        except Exception:
            log.exception("projection_background_pass_failed")


__all__ = ["Follower"]
