"""Deadlines derived from events: a pure function of the log plus the council's policy.

Each rule turns one stored event into effects on the book of deadlines:

- ``Schedule(deadline)``: a deadline set by this event (a notice issued, a stage entered, a
  record received, an item's due date);
- ``Cancel(source, scope, kinds)``: its cause was resolved (notice lifted, item verified, record
  allocated): the pending deadlines of that source stop; ones already fired stay fired;
- ``Fired(deadline)``: a ``DeadlineReached`` was recorded; a recurring deadline (a review every
  28 days) schedules its next occurrence, unless it had been cancelled. A recurring deadline
  that fires late with later occurrences also past (Casework was down) fires once for all of
  them (``overdue``): the event records how many (``missed``), and the next occurrence is the
  one after them, computed from the event alone, so a rebuild gives the same book.

``rulebook.derive(events, policy)`` folds a history into a ``DeadlineBook`` (the pure statement of
the rules, for tests); the deadline read model (``deadline_calendar.DeadlineProjection``) applies
the very same effects to its tables, so it rebuilds exactly, and is the one fold the running
system keeps: the scheduler fires what its due-query returns.
Deadline ids are deterministic (``<source>:<version>:<kind>[:<n>]``) and the firing appends to
stream ``deadline-<id>`` with expected version 0: a deadline fires once, whoever fires it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from casework.domain.policy import Timing
from casework.events.deadlines import DeadlineReached
from casework.events.store import StoredEvent


class DeadlineKind(StrEnum):
    improvement_plan_due = "improvement_plan_due"
    requirement_to_improve_review = "requirement_to_improve_review"
    suspension_review = "suspension_review"
    final_notice_reminder = "final_notice_reminder"
    final_notice_decision = "final_notice_decision"
    remedy_notice_reminder = "remedy_notice_reminder"
    remedy_notice_due = "remedy_notice_due"
    escalation_proposed = "escalation_proposed"
    strategy_meeting_due = "strategy_meeting_due"
    contingency_review = "contingency_review"
    intelligence_allocation = "intelligence_allocation"
    intelligence_risk_assessment = "intelligence_risk_assessment"
    high_risk_first_action = "high_risk_first_action"
    action_item_reminder = "action_item_reminder"
    action_item_overdue = "action_item_overdue"


class DeadlineStatus(StrEnum):
    pending = "pending"
    suspended = "suspended"  # its cause is on hold (an item reported done, awaiting verification)
    cancelled = "cancelled"
    fired = "fired"


LIVE = (DeadlineStatus.pending, DeadlineStatus.suspended)


@dataclass(frozen=True)
class Deadline:
    """A deadline: what falls due, when, for which provider, and who owns it."""

    deadline_id: str
    provider_id: str | None
    kind: str
    title: str
    due_at: datetime
    owner: str
    source: str  # the stream whose events set it and resolve it
    scope: str = ""  # part of the source it concerns (an action-plan item), "" for all of it
    repeat_every_days: int | None = None
    missed: int = 1  # occurrences one late firing stands for (see ``overdue``); 1 until it fires

    @property
    def stream(self) -> str:
        return f"deadline-{self.deadline_id}"

    def to_event(self) -> DeadlineReached:
        return DeadlineReached(
            deadline_id=self.deadline_id,
            provider_id=self.provider_id,
            kind=self.kind,
            title=self.title,
            due_at=self.due_at,
            owner=self.owner,
            source=self.source,
            scope=self.scope,
            repeat_every_days=self.repeat_every_days,
            missed=self.missed,
        )

    @property
    def missed_note(self) -> str:
        """``missed 20 reviews since 2019-01-07`` for a firing that stood for several, else ""."""
        if self.missed <= 1:
            return ""
        return f"missed {self.missed} reviews since {self.due_at.date().isoformat()}"


@dataclass(frozen=True)
class Schedule:
    deadline: Deadline


@dataclass(frozen=True)
class Cancel:
    source: str
    scope: str | None = None  # None: every scope of the source
    kinds: frozenset[str] | None = None  # None: every kind


@dataclass(frozen=True)
class Suspend:
    """Pending deadlines of ``source``/``scope`` stop for now; ``Resume`` makes them pending again."""

    source: str
    scope: str | None = None


@dataclass(frozen=True)
class Resume:
    source: str
    scope: str | None = None


@dataclass(frozen=True)
class Fired:
    deadline: Deadline
    fired_at: datetime  # when it was recorded (the alert time)


Effect = Schedule | Cancel | Suspend | Resume | Fired


@dataclass(frozen=True)
class DeadlineRecord:
    deadline: Deadline
    status: DeadlineStatus = DeadlineStatus.pending
    fired_at: datetime | None = None

    def moved(self, status: DeadlineStatus) -> DeadlineRecord:
        # Not dataclasses.replace: that inspects the fields on every call (3x slower on rebuild).
        return DeadlineRecord(self.deadline, status, self.fired_at)


@dataclass
class DeadlineBook:
    """Every deadline known, by id, with its status. ``apply`` is the one fold of effects.

    Live (pending, suspended) deadlines are also indexed by source, so a cancel, suspend or
    resume touches only its source's live deadlines: scanning every record per effect made a
    fold of the whole log quadratic (300k events did not finish in 9 minutes)."""

    records: dict[str, DeadlineRecord] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    _live: dict[str, set[str]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for record in self.records.values():
            self._index(record)

    def apply(self, effect: Effect) -> None:
        if isinstance(effect, Schedule):
            known = self.records.get(effect.deadline.deadline_id)
            if known is None or known.status is DeadlineStatus.pending:
                self._put(DeadlineRecord(effect.deadline))
        elif isinstance(effect, Cancel):
            self._move(effect, LIVE, DeadlineStatus.cancelled)
        elif isinstance(effect, Suspend):
            self._move(effect, (DeadlineStatus.pending,), DeadlineStatus.suspended)
        elif isinstance(effect, Resume):
            self._move(effect, (DeadlineStatus.suspended,), DeadlineStatus.pending)
        else:
            self._fire(effect)

    def _move(
        self, effect: Cancel | Suspend | Resume, old: tuple[DeadlineStatus, ...], new: DeadlineStatus
    ) -> None:
        live = self._live.get(effect.source)
        if not live:
            return
        records = self.records
        for deadline_id in list(live):  # _put changes the set
            record = records[deadline_id]
            if record.status in old and _matches(record.deadline, effect):
                self._put(record.moved(new))

    def _index(self, record: DeadlineRecord) -> None:
        """Keep ``_live`` in step with ``record`` (a deadline's id fixes its source)."""
        source, deadline_id = record.deadline.source, record.deadline.deadline_id
        live = self._live.get(source)
        if record.status in LIVE:
            if live is None:
                self._live[source] = {deadline_id}
            else:
                live.add(deadline_id)
        elif live is not None:
            live.discard(deadline_id)
            if not live:
                del self._live[source]

    def _fire(self, effect: Fired) -> None:
        known = self.records.get(effect.deadline.deadline_id)
        was_cancelled = known is not None and known.status is DeadlineStatus.cancelled
        self._put(DeadlineRecord(effect.deadline, DeadlineStatus.fired, effect.fired_at))
        if effect.deadline.repeat_every_days and not was_cancelled:
            self.apply(Schedule(next_occurrence(effect.deadline)))

    def _put(self, record: DeadlineRecord) -> None:
        self.records[record.deadline.deadline_id] = record
        self._index(record)
        self.changed.add(record.deadline.deadline_id)

    def pending(self, before: datetime | None = None, provider_id: str | None = None) -> list[Deadline]:
        """Pending deadlines (due at or before ``before`` when given), soonest first. Looks at
        every record: for a derived book (tests); the system asks the read model's indexed query."""
        found = [
            r.deadline
            for r in self.records.values()
            if r.status is DeadlineStatus.pending
            and (before is None or r.deadline.due_at <= before)
            and (provider_id is None or r.deadline.provider_id == provider_id)
        ]
        return sorted(found, key=lambda d: (d.due_at, d.deadline_id))

    def fired(self, provider_id: str | None = None) -> list[DeadlineRecord]:
        found = [
            r
            for r in self.records.values()
            if r.status is DeadlineStatus.fired
            and (provider_id is None or r.deadline.provider_id == provider_id)
        ]
        return sorted(found, key=lambda r: (r.deadline.due_at, r.deadline.deadline_id))


def _matches(deadline: Deadline, effect: Cancel | Suspend | Resume) -> bool:
    kinds = getattr(effect, "kinds", None)
    return (
        deadline.source == effect.source
        and (effect.scope is None or deadline.scope == effect.scope)
        and (kinds is None or deadline.kind in kinds)
    )


def overdue(deadline: Deadline, now: datetime) -> Deadline:
    """The deadline as it fires at ``now``: a recurring one whose later occurrences are also due
    by ``now`` stands for all of them (``missed``), so its next occurrence falls after ``now``.
    One alert then says how many were missed, where replaying them gave one stale alert each."""
    days = deadline.repeat_every_days
    if not days or deadline.due_at > now:
        return deadline
    missed = (now - deadline.due_at) // timedelta(days=days) + 1
    return replace(deadline, missed=missed) if missed > 1 else deadline


def next_occurrence(deadline: Deadline) -> Deadline:
    """The next review of a recurring deadline, after the ``missed`` occurrences its firing stood
    for: ``...:<kind>:<n>`` becomes ``...:<kind>:<n+missed>``. From the fired deadline alone
    (never the clock), so the read model and a rebuild agree; ids stay deterministic."""
    base, _, n = deadline.deadline_id.rpartition(":")
    days = deadline.repeat_every_days or 0
    due_at = deadline.due_at + timedelta(days=days * deadline.missed)
    return replace(deadline, deadline_id=f"{base}:{int(n) + deadline.missed}", due_at=due_at, missed=1)


# ------------------------------------------------------------------------------------ rules
Rule = Callable[[StoredEvent, Timing], list[Effect]]


def deadline_id(event: StoredEvent, kind: str, *parts: object) -> str:
    return ":".join([event.stream, str(event.version), kind, *(str(p) for p in parts)])


def deadline_reached(event: StoredEvent, timing: Timing) -> list[Effect]:
    d = event.event
    assert isinstance(d, DeadlineReached)
    deadline = Deadline(
        deadline_id=d.deadline_id, provider_id=d.provider_id, kind=d.kind, title=d.title,
        due_at=d.due_at.astimezone(UTC), owner=d.owner, source=d.source,
        scope=d.scope, repeat_every_days=d.repeat_every_days, missed=d.missed,
    )
    return [Fired(deadline, event.recorded_at)]
