"""Starting a server that answers at once: the read models catch up with the log, then the
deadline scheduler and the follower start, in a background thread.

On a store of ten years the read models may be far behind the log when a server starts (after
an upgrade that changed one, or a restore): catching up before listening left ``/healthz``
unanswered for minutes. ``serve`` builds Casework without catching up, starts a ``Warmup`` and
listens straight away; ``/healthz`` answers 503 ``starting`` (with how far the read models have
got) until the warm-up is done, so a load balancer sends no traffic to a server that would
answer from a stale read model. A write made meanwhile still reads its own write: its in-process
catch-up waits for the warm-up's pass (one lock per process), then applies its own events.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import structlog

if TYPE_CHECKING:
    from casework.bootstrap import Casework

log = structlog.get_logger("casework.startup")


class Warmup:
    def __init__(self, cw: Casework, *, scheduler: bool, follow: bool) -> None:
        self.cw = cw
        self.scheduler = scheduler
        self.follow = follow
        self.failed: str | None = None  # the exception's type, never its text (it may quote data)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self.run, name="casework-warmup", daemon=True)

    def start(self) -> Warmup:
        self._thread.start()
        return self

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def run(self) -> None:
        try:
            log.info("warmup_started")
            self.cw.projections.catch_up()
            if self.scheduler:
                self.cw.scheduler.start()  # fires what fell due while the server was down
            if self.follow:
                self.cw.projections.start()  # follows appends made by other processes
            log.info("warmup_done")
        except Exception as exc:  # reported by /healthz and the log; the server keeps answering
            self.failed = type(exc).__name__
            log.error("warmup_failed", error=self.failed)
        finally:
            self._done.set()


__all__ = ["Warmup"]
