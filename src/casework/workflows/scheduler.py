"""Firing deadlines: exactly once, on time, and after downtime.

The scheduler keeps no deadlines of its own: the deadline read model (``deadline_calendar``) is
the one fold of them. ``DeadlineScheduler.fire_due(now)`` works in rounds. Each round brings
that read model up to the head of the log (``catch_up``, from the runner's checkpoint; it
refuses to fire from a read model left behind, halted or held by a rebuild), asks it for the
pending deadlines due by ``now`` (an indexed query that reads only due rows), and appends
``DeadlineReached`` to stream ``deadline-<id>`` with expected version 0 for each. The store's
unique (stream, version) makes a second firing, by another process, thread or a re-run, a
``ConcurrencyError``: "already fired". A recurring deadline (a review every 28 days) whose
later occurrences are also due by ``now`` fires once for all of them (``deadlines.overdue``:
one alert, "missed 20 reviews since ..."), and the read model's fold of that firing schedules
the first occurrence after ``now``: a server down for a year raises one overdue alert per
review, not a hundred stale ones replayed a round each and dripped one per poll.

Reminders are pending rows of the same read model (``Deadline.reminder_of``), fired in the same
pass as ``DeadlineReminder`` on stream ``reminder-<deadline_id>-<offset>`` (expected version 0:
each sent once). After downtime a reminder is never replayed for its own sake: one whose
deadline is itself due by ``now`` is skipped (the deadline fires instead, and its firing ends
its reminders), and of several due reminders of one deadline only the latest is sent (its fold
ends the earlier ones). A second round
only confirms nothing more is due, unless a firing sets a deadline already due; rounds are
bounded by ``max_rounds`` and what a runaway chain leaves over fires on the next call.

``start()`` fires everything that fell due while the process was down (catch-up), then an
APScheduler 3 ``BackgroundScheduler`` polls every ``interval_seconds``. Neither reads the log
itself. The clock is injected: due times are compared with ``clock.now()``, so tests move time
and never sleep.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from apscheduler.schedulers.background import BackgroundScheduler

from casework.clock import Clock
from casework.events.base import Metadata, to_new_event
from casework.events.errors import ConcurrencyError, StoreError
from casework.events.store import EventStore
from casework.logs import error_text
from casework.workflows.deadline_calendar import pending_deadlines
from casework.workflows.deadlines import Deadline, overdue

log = structlog.get_logger("casework.deadlines")

JOB_ID = "casework-fire-due-deadlines"

# Rounds of one fire_due call. Each round fires everything due, and a late recurring deadline
# fires once for its missed occurrences with its next one after now, so a call takes two rounds
# (the second finds nothing); the bound only stops a chain no rule makes today.
MAX_ROUNDS = 100


class DeadlinesBehind(RuntimeError):
    """The deadline read model could not be brought to the head of the log: nothing fired."""


@dataclass
class FiringReport:
    """What one run fired, what it found another process had fired first, and whether it
    stopped with deadlines still due (``more_due``: at its bound of rounds, or because the read
    model fell behind after a first round; the next run fires them)."""

    now: datetime
    fired: list[Deadline] = field(default_factory=list)  # deadlines (alerts) and reminders
    already_fired: list[Deadline] = field(default_factory=list)
    superseded: list[Deadline] = field(default_factory=list)  # reminders not sent (see above)

    @property
    def alerts(self) -> list[Deadline]:
        return [d for d in self.fired if not d.is_reminder]

    @property
    def reminders(self) -> list[Deadline]:
        return [d for d in self.fired if d.is_reminder]
    rounds: int = 0
    more_due: bool = False


def _worth_sending(due: list[Deadline], now: datetime) -> tuple[list[Deadline], list[Deadline]]:
    """Of ``due``, what to fire and which reminders to skip: a reminder whose deadline is itself
    due by ``now`` (the deadline's alert supersedes it), and all but the latest due reminder of
    one deadline (after downtime: "due in 7 days" rather than 30, 14 and 7 at once)."""
    latest: dict[str, Deadline] = {}
    for d in due:
        if d.is_reminder and d.reminds_due_at is not None and d.reminds_due_at > now:
            known = latest.get(d.reminder_of)
            if known is None or (d.due_at, d.deadline_id) > (known.due_at, known.deadline_id):
                latest[d.reminder_of] = d
    send = [d for d in due if not d.is_reminder or latest.get(d.reminder_of) is d]
    skipped = [d for d in due if d.is_reminder and latest.get(d.reminder_of) is not d]
    return send, skipped


class DeadlineScheduler:
    """Fires due deadlines from the deadline read model.

    ``catch_up``: brings the deadline read model up to the head of the log and returns the
    position it reached (bootstrap passes ``deadline_calendar.catch_up_with(runner)``)."""

    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        catch_up: Callable[[], int],
        *,
        interval_seconds: float = 30,
        actor: str = "system",
        max_rounds: int = MAX_ROUNDS,
    ) -> None:
        self.store = store
        self.clock = clock
        self.catch_up = catch_up
        self.interval_seconds = interval_seconds
        self.actor = actor
        self.max_rounds = max_rounds
        self._lock = threading.Lock()
        self._scheduler: BackgroundScheduler | None = None
        # Other polls to run on the same background scheduler (id, function), e.g. the outbox
        # worker; each runs every ``interval_seconds``, first straight after start.
        self.jobs: list[tuple[str, Callable[[], None]]] = []
        # Told what each ``fire_due`` fired (an upper layer's metrics).
        self.reporters: list[Callable[[FiringReport], None]] = []

    # ------------------------------------------------------------------ firing
    def due(self, now: datetime) -> list[Deadline]:
        """Pending deadlines due at or before ``now``, soonest first, from a read model brought
        to the head of the log first. Raises ``DeadlinesBehind`` if it could not be."""
        head = self.store.head_position()
        reached = self.catch_up()
        if reached < head:
            raise DeadlinesBehind(
                f"the deadline read model reached position {reached} of {head}: it has halted "
                "or another process is rebuilding it, so no deadline fires from it (see the "
                "projection_halted log, fix the cause, then `casework rebuild -p deadlines`)"
            )
        return pending_deadlines(self.store.engine, before=now, reminders=True)

    def fire_due(self, now: datetime | None = None) -> FiringReport:
        """Fire every pending deadline due at or before ``now`` (default: the clock); a recurring
        one with several occurrences due by then fires once for them all (``missed``), and its
        next occurrence falls after ``now``. Idempotent."""
        now = now or self.clock.now()
        report = FiringReport(now)
        with self._lock:
            try:
                self._rounds(now, report)
            finally:  # what fired is counted even when a later round fails
                for reporter in self.reporters:
                    reporter(report)
        if report.fired:
            log.info("deadlines_fired", count=len(report.fired), rounds=report.rounds,
                     now=now.isoformat())
        return report

    def _rounds(self, now: datetime, report: FiringReport) -> None:
        """Fire what is due into ``report``, round after round, until nothing more is due."""
        tried: set[str] = set()  # never twice in one call, whatever the read model says
        while True:
            try:
                due = [d for d in self.due(now) if d.deadline_id not in tried]
            except DeadlinesBehind as exc:
                if not report.rounds:
                    raise
                # Keep the report of what fired; the next run fires the rest.
                log.warning("deadline_read_model_behind", error=error_text(exc))
                report.more_due = True
                break
            if not due:
                break
            if report.rounds == self.max_rounds:
                report.more_due = True
                log.warning("deadline_rounds_exhausted", rounds=report.rounds, due=len(due),
                            now=now.isoformat())
                break
            report.rounds += 1
            due, superseded = _worth_sending(due, now)
            tried.update(d.deadline_id for d in superseded)
            report.superseded += superseded
            for deadline in [overdue(d, now) for d in due]:
                tried.add(deadline.deadline_id)
                if self._fire(deadline):
                    report.fired.append(deadline)
                else:
                    report.already_fired.append(deadline)

    def _fire(self, deadline: Deadline) -> bool:
        reason = (f"reminder: {deadline.kind} due in {deadline.before}" if deadline.is_reminder
                  else f"deadline reached: {deadline.kind}")
        event = to_new_event(
            deadline.to_event(),
            metadata=Metadata(
                actor=self.actor,
                provider_id=deadline.provider_id,
                reason=reason,
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
                 provider_id=deadline.provider_id, owner=deadline.owner, missed=deadline.missed)
        return True

    def tick(self) -> None:
        """One poll, as the background job runs it: errors are logged, the next poll retries."""
        try:
            self.fire_due()
        except (StoreError, DeadlinesBehind) as exc:
            log.warning("deadline_poll_failed", error=error_text(exc))

    # ------------------------------------------------------------------ background running
    def start(self) -> FiringReport:
        """Catch up (fire what fell due while we were down), then poll in the background."""
        if self._scheduler is not None:
            raise RuntimeError("the deadline scheduler is already running")
        try:
            report = self.fire_due()
        except DeadlinesBehind as exc:  # a halted read model must not keep the server down
            log.warning("deadline_catch_up_failed", error=error_text(exc))
            report = FiringReport(self.clock.now())
        scheduler = BackgroundScheduler(timezone="UTC", daemon=True)
        scheduler.add_job(
            self.tick, "interval", seconds=self.interval_seconds, id=JOB_ID,
            max_instances=1, coalesce=True, replace_existing=True,
        )
        for job_id, job in self.jobs:
            scheduler.add_job(
                job, "interval", seconds=self.interval_seconds, id=job_id, max_instances=1,
                coalesce=True, replace_existing=True, next_run_time=datetime.now(UTC),
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
