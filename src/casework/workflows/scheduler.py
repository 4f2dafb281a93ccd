"""Firing deadlines: exactly once, on time, and after downtime.

``DeadlineScheduler.fire_due(now)`` brings its book of deadlines up to date from the log (an
in-process fold of the same effects the read model applies, so it never lags behind a
projection), then appends ``DeadlineReached`` to stream ``deadline-<id>`` with expected version
0 for each pending deadline due by ``now``. The store's unique (stream, version) makes a second
firing, by another process, thread or a re-run, a ``ConcurrencyError``: "already fired".

``start()`` fires everything that fell due while the process was down (catch-up), then an
APScheduler 3 ``BackgroundScheduler`` polls every ``interval_seconds``. The clock is injected:
due times are compared with ``clock.now()``, so tests move time and never sleep.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

import structlog
from apscheduler.schedulers.background import BackgroundScheduler

from casework.clock import Clock
from casework.domain.policy import DEFAULT_POLICY, DeadlinePolicy, Timing
from casework.domain.working_days import ENGLAND, WorkingCalendar
from casework.events.base import Metadata, to_new_event
from casework.events.errors import ConcurrencyError, StoreError
from casework.events.store import EventStore
from casework.workflows.deadlines import Deadline, DeadlineBook
from casework.workflows.rulebook import deadline_event_types, effects_of

log = structlog.get_logger("casework.deadlines")

JOB_ID = "casework-fire-due-deadlines"


@dataclass
class FiringReport:
    """What one run fired, and what it found another process had fired first."""

    now: datetime
    fired: list[Deadline] = field(default_factory=list)
    already_fired: list[Deadline] = field(default_factory=list)


class DeadlineScheduler:
    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        policy: DeadlinePolicy = DEFAULT_POLICY,
        calendar: WorkingCalendar = ENGLAND,
        interval_seconds: float = 30,
        actor: str = "system",
    ) -> None:
        self.store = store
        self.clock = clock
        self.timing = Timing(policy, calendar)
        self.interval_seconds = interval_seconds
        self.actor = actor
        self.book = DeadlineBook()
        self._position = 0
        self._types = sorted(deadline_event_types())
        self._lock = threading.Lock()
        self._scheduler: BackgroundScheduler | None = None

    # ------------------------------------------------------------------ the book
    def refresh(self) -> DeadlineBook:
        """Fold every deadline-relevant event recorded since the last refresh."""
        while True:
            page = self.store.read_all(after=self._position, limit=1000, types=self._types)
            for event in page:
                for effect in effects_of(event, self.timing):
                    self.book.apply(effect)
            if page:
                self._position = page[-1].position
            if len(page) < 1000:
                self.book.changed.clear()
                return self.book

    def pending(self, before: datetime | None = None, provider_id: str | None = None) -> list[Deadline]:
        """Pending deadlines, soonest first, straight from the log (no projection lag)."""
        with self._lock:
            return self.refresh().pending(before, provider_id)

    # ------------------------------------------------------------------ firing
    def fire_due(self, now: datetime | None = None) -> FiringReport:
        """Fire every pending deadline due at or before ``now`` (default: the clock). Idempotent."""
        now = now or self.clock.now()
        report = FiringReport(now)
        with self._lock:
            for deadline in self.refresh().pending(before=now):
                if self._fire(deadline):
                    report.fired.append(deadline)
                else:
                    report.already_fired.append(deadline)
            self.refresh()  # take in what we (and anyone else) just fired
        if report.fired:
            log.info("deadlines_fired", count=len(report.fired), now=now.isoformat())
        return report

    def _fire(self, deadline: Deadline) -> bool:
        event = to_new_event(
            deadline.to_event(),
            metadata=Metadata(
                actor=self.actor,
                provider_id=deadline.provider_id,
                reason=f"deadline reached: {deadline.kind}",
                correlation_id=deadline.source,
            ),
            occurred_at=deadline.due_at,
        )
        try:
            self.store.append(deadline.stream, [event], expected_version=0)
        except ConcurrencyError:
            log.info("deadline_already_fired", deadline_id=deadline.deadline_id)
            return False
        log.info("deadline_fired", deadline_id=deadline.deadline_id, kind=deadline.kind,
                 provider_id=deadline.provider_id, owner=deadline.owner)
        return True

    def tick(self) -> None:
        """One poll, as the background job runs it: errors are logged, the next poll retries."""
        try:
            self.fire_due()
        except StoreError as exc:
            log.warning("deadline_poll_failed", error=str(exc))

    # ------------------------------------------------------------------ background running
    def start(self) -> FiringReport:
        """Catch up (fire what fell due while we were down), then poll in the background."""
        if self._scheduler is not None:
            raise RuntimeError("the deadline scheduler is already running")
        report = self.fire_due()
        scheduler = BackgroundScheduler(timezone="UTC", daemon=True)
        scheduler.add_job(
            self.tick, "interval", seconds=self.interval_seconds, id=JOB_ID,
            max_instances=1, coalesce=True, replace_existing=True,
        )
        scheduler.start()
        self._scheduler = scheduler
        log.info("deadline_scheduler_started", interval_seconds=self.interval_seconds,
                 caught_up=len(report.fired))
        return report

    def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
            log.info("deadline_scheduler_stopped")

    @property
    def running(self) -> bool:
        return self._scheduler is not None and self._scheduler.running
