"""Deadlines derived from events: a pure function of the log plus the council's policy.

Each rule turns one stored event into effects on the book of deadlines:

- ``Schedule(deadline)``: a deadline set by this event (a notice issued, a stage entered, a
  record received, an item's due date);
- ``Cancel(source, scope, kinds)``: its cause was resolved (notice lifted, item verified, record
  allocated): the pending deadlines of that source stop; ones already fired stay fired;
- ``Fired(deadline)``: a ``DeadlineReached`` (or, for a reminder, a ``DeadlineReminder``) was
  recorded; a recurring deadline (a review every 28 days) schedules its next occurrence, unless
  it had been cancelled. A recurring deadline that fires late with later occurrences also
  past (Casework was down) fires once for all of them (``overdue``): the event records how many
  (``missed``), and the next occurrence is the one after them, computed from the event alone,
  so a rebuild gives the same book. A deadline that fires ends its pending reminders; a
  reminder that is sent ends the earlier reminders of the same deadline (after downtime only
  the latest goes);
- ``LeadAssigned(provider, officer)``: the provider's lead officer; the provider's open
  deadlines that follow the lead (or a team, for want of one) move to that officer;
  ``Reassign(source, owner)``: the officer of one case (a re-allocated intelligence record)
  takes its open deadlines.

Owners: the officer the case names (``OwnerFrom.case``), else the provider's lead officer
(``lead``), else the team the policy names for the deadline's kind (``team``). Never "system".
Reminders are deadlines too (``reminder_of`` names the deadline they precede): the same rows,
the same exactly-once firing, on stream ``reminder-<deadline_id>-<offset>``.

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

from casework.domain.policy import Period, Timing
from casework.events.deadlines import DeadlineReached, DeadlineReminder
from casework.events.store import StoredEvent


class DeadlineKind(StrEnum):
    # final_notice_reminder, remedy_notice_reminder and action_item_reminder name reminders
    # recorded as deadlines (DeadlineReached) before reminders were DeadlineReminder events of
    # the deadline they precede: kept so that such logs still fold; no rule sets them now.
    improvement_plan_due = "improvement_plan_due"
    requirement_to_improve_review = "requirement_to_improve_review"
    suspension_review = "suspension_review"
    final_notice_reminder = "final_notice_reminder"
    final_notice_decision = "final_notice_decision"
    remedy_notice_reminder = "remedy_notice_reminder"
    remedy_notice_due = "remedy_notice_due"
    escalation_proposed = "escalation_proposed"
    termination_approval = "termination_approval"  # a proposal of immediate termination waits
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


class OwnerFrom(StrEnum):
    """Why a deadline's owner owns it."""

    case = "case"  # the case names the officer (allocated to, procedure lead)
    lead = "lead"  # the provider's lead officer
    team = "team"  # nobody on the case: the team that owns the workflow


REMINDER = ":before:"  # a reminder's id: <deadline id>:before:<offset label>


def reminder_id(deadline_id: str, offset: str) -> str:
    """The id of the reminder of ``deadline_id`` sent ``offset`` (a period's label) before it."""
    return f"{deadline_id}{REMINDER}{offset}"


@dataclass(frozen=True)
class Deadline:
    """A deadline: what falls due, when, for which provider, and who owns it. A reminder is a
    deadline whose ``reminder_of`` names the deadline it precedes: ``due_at`` is when it is sent,
    ``reminds_due_at`` when that deadline falls due, ``before`` how far ahead (``30 days``)."""

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
    owner_from: str = OwnerFrom.team
    reminder_of: str = ""
    before: str = ""
    reminds_due_at: datetime | None = None

    @property
    def is_reminder(self) -> bool:
        return bool(self.reminder_of)

    @property
    def offset(self) -> str:
        """A reminder's offset label (``30d``, ``1wd``); "" for a deadline."""
        return self.deadline_id.rpartition(REMINDER)[2] if self.reminder_of else ""

    @property
    def stream(self) -> str:
        if self.reminder_of:
            return f"reminder-{self.reminder_of}-{self.offset}"
        return f"deadline-{self.deadline_id}"

    def reminder(self, period: Period, timing: Timing) -> Deadline:
        """The reminder of this deadline ``period`` before it falls due."""
        # Not dataclasses.replace: it inspects the fields on every call (twice the time, and a
        # rebuild makes one reminder or more per intelligence event).
        return Deadline(
            reminder_id(self.deadline_id, period.label), self.provider_id, self.kind, self.title,
            timing.before(self.due_at, period), self.owner, self.source, self.scope,
            repeat_every_days=None, missed=self.missed, owner_from=self.owner_from,
            reminder_of=self.deadline_id, before=period.text, reminds_due_at=self.due_at,
        )

    def to_event(self) -> DeadlineReached | DeadlineReminder:
        if self.reminder_of:
            assert self.reminds_due_at is not None
            return DeadlineReminder(
                deadline_id=self.reminder_of, provider_id=self.provider_id, kind=self.kind,
                title=self.title, due_at=self.reminds_due_at, remind_at=self.due_at,
                before=self.before, offset=self.offset, owner=self.owner, source=self.source,
                scope=self.scope,
            )
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


@dataclass(frozen=True)
class LeadAssigned:
    """``officer`` leads ``provider_id``'s case: its open deadlines that follow the lead move."""

    provider_id: str
    officer: str


@dataclass(frozen=True)
class Reassign:
    """The open deadlines of ``source`` (one case) move to ``owner``."""

    source: str
    owner: str


Effect = Schedule | Cancel | Suspend | Resume | Fired | LeadAssigned | Reassign


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
    leads: dict[str, str] = field(default_factory=dict)  # provider id -> lead officer
    changed_leads: set[str] = field(default_factory=set)
    _live: dict[str, set[str]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for record in self.records.values():
            self._index(record)

    def apply(self, effect: Effect) -> None:
        if isinstance(effect, Schedule):
            known = self.records.get(effect.deadline.deadline_id)
            if known is None or known.status is DeadlineStatus.pending:
                self._put(DeadlineRecord(self._owned(effect.deadline)))
        elif isinstance(effect, LeadAssigned):
            self._lead(effect)
        elif isinstance(effect, Reassign):
            self._reassign(effect)
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

    def _owned(self, deadline: Deadline) -> Deadline:
        """A deadline no officer on its case owns goes to its provider's lead officer, if any."""
        if deadline.owner_from == OwnerFrom.case or deadline.provider_id is None:
            return deadline
        lead = self.leads.get(deadline.provider_id)
        if lead is None:
            return deadline
        return replace(deadline, owner=lead, owner_from=OwnerFrom.lead)

    def _lead(self, effect: LeadAssigned) -> None:
        self.leads[effect.provider_id] = effect.officer
        self.changed_leads.add(effect.provider_id)
        for record in [r for r in self.records.values()
                       if r.status in LIVE and r.deadline.provider_id == effect.provider_id
                       and r.deadline.owner_from != OwnerFrom.case]:
            self._put(DeadlineRecord(self._owned(record.deadline), record.status, record.fired_at))

    def _reassign(self, effect: Reassign) -> None:
        for deadline_id in list(self._live.get(effect.source, ())):
            record = self.records[deadline_id]
            moved = replace(record.deadline, owner=effect.owner, owner_from=OwnerFrom.case)
            self._put(DeadlineRecord(moved, record.status, record.fired_at))

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
        deadline = effect.deadline
        known = self.records.get(deadline.deadline_id)
        was_cancelled = known is not None and known.status is DeadlineStatus.cancelled
        self._put(DeadlineRecord(deadline, DeadlineStatus.fired, effect.fired_at))
        # Reminders still pending end: all of a deadline that fired; the earlier ones of a
        # deadline whose later reminder was sent (after downtime only the latest is sent).
        parent = deadline.reminder_of or deadline.deadline_id
        for deadline_id in list(self._live.get(deadline.source, ())):
            other = self.records[deadline_id]
            if other.deadline.reminder_of == parent and (
                not deadline.reminder_of or other.deadline.due_at <= deadline.due_at
            ):
                self._put(other.moved(DeadlineStatus.cancelled))
        if deadline.repeat_every_days and not was_cancelled:
            self.apply(Schedule(next_occurrence(deadline)))

    def _put(self, record: DeadlineRecord) -> None:
        self.records[record.deadline.deadline_id] = record
        self._index(record)
        self.changed.add(record.deadline.deadline_id)

    def pending(
        self, before: datetime | None = None, provider_id: str | None = None, reminders: bool = False
    ) -> list[Deadline]:
        """Pending deadlines (due at or before ``before`` when given), soonest first; with
        ``reminders``, their pending reminders too. Looks at every record: for a derived book
        (tests); the system asks the read model's indexed query."""
        found = [
            r.deadline
            for r in self.records.values()
            if r.status is DeadlineStatus.pending
            and (before is None or r.deadline.due_at <= before)
            and (provider_id is None or r.deadline.provider_id == provider_id)
            and (reminders or not r.deadline.reminder_of)
        ]
        return sorted(found, key=lambda d: (d.due_at, d.deadline_id))

    def fired(self, provider_id: str | None = None, reminders: bool = False) -> list[DeadlineRecord]:
        found = [
            r
            for r in self.records.values()
            if r.status is DeadlineStatus.fired
            and (provider_id is None or r.deadline.provider_id == provider_id)
            and (reminders or not r.deadline.reminder_of)
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


def make_deadline(
    event: StoredEvent, timing: Timing, kind: str, title: str, due_at: datetime, *parts: object,
    owner: str | None = None, **kw: object,
) -> Deadline:
    """A deadline ``event`` sets: owned by ``owner`` (an officer the case names) or else by the
    team the policy names for ``kind`` (the book hands it to the provider's lead officer, if
    one is named). Never by the event's actor ("system" for imports and the scheduler)."""
    return Deadline(
        deadline_id=deadline_id(event, kind, *parts), provider_id=event.provider_id, kind=kind,
        title=title, due_at=due_at, owner=owner or timing.policy.team_for(kind),
        owner_from=OwnerFrom.case if owner else OwnerFrom.team, source=event.stream,
        **kw,  # type: ignore[arg-type]
    )


def with_reminders(
    event: StoredEvent, timing: Timing, deadline: Deadline, periods: list[Period]
) -> list[Effect]:
    """Schedule ``deadline`` and its reminders ``periods`` before it; a reminder that would
    fall before ``event`` (a remedy-by date three days away has no 7-day reminder) is not set."""
    reminders = [deadline.reminder(p, timing) for p in periods]
    return [
        *(Schedule(r) for r in reminders if r.due_at > event.occurred_at),
        Schedule(deadline),
    ]


def deadline_reached(event: StoredEvent, timing: Timing) -> list[Effect]:
    d = event.event
    assert isinstance(d, DeadlineReached)
    deadline = Deadline(
        deadline_id=d.deadline_id, provider_id=d.provider_id, kind=d.kind, title=d.title,
        due_at=d.due_at.astimezone(UTC), owner=d.owner, source=d.source,
        scope=d.scope, repeat_every_days=d.repeat_every_days, missed=d.missed,
    )
    return [Fired(deadline, event.recorded_at)]


def reminder_sent(event: StoredEvent, timing: Timing) -> list[Effect]:
    r = event.event
    assert isinstance(r, DeadlineReminder)
    reminder = Deadline(
        deadline_id=f"{r.deadline_id}{REMINDER}{r.offset}", provider_id=r.provider_id, kind=r.kind,
        title=r.title, due_at=r.remind_at.astimezone(UTC), owner=r.owner, source=r.source,
        scope=r.scope, reminder_of=r.deadline_id, before=r.before,
        reminds_due_at=r.due_at.astimezone(UTC),
    )
    return [Fired(reminder, event.recorded_at)]
