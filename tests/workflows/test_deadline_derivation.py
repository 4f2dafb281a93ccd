"""Deadlines derived from events plus policy: a pure function, no database, no scheduler."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from casework.domain.policy import DeadlinePolicy, Period
from casework.events.action_plans import (
    ActionItem,
    ActionItemCompleted,
    ActionItemReturned,
    ActionItemVerified,
    ActionPlanRaised,
    ActionTheme,
)
from casework.events.deadlines import DeadlineReached
from casework.events.intelligence import (
    IntelligenceActionTaken,
    IntelligenceAllocated,
    IntelligenceLogged,
    IntelligenceSource,
    RiskAssessed,
    RiskLevel,
)
from casework.events.links import RecordRef
from casework.events.notices import (
    RemedyNoticeComplied,
    RemedyNoticeExtended,
    RemedyNoticeFailed,
    RemedyNoticeIssued,
)
from casework.events.provider_failure import ContingencyPlanningStarted, ProviderFailureProcedureInitiated
from casework.events.sanctions import (
    ContractSuspended,
    FinalNoticeIssued,
    RequirementToImproveIssued,
    SanctionLifted,
    SanctionStage,
)
from casework.workflows.deadlines import DeadlineKind
from casework.workflows.rulebook import derive

from .helpers import History

K = DeadlineKind
S = SanctionStage
P = "p1"
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


LONDON = ZoneInfo("Europe/London")


def local(instant: datetime) -> datetime:
    return instant.astimezone(LONDON)


def kinds_and_dates(book) -> list[tuple[str, date]]:
    """Kinds and local due dates (a dated deadline falls due at midnight, London time)."""
    return [(d.kind, local(d.due_at).date()) for d in book.pending()]


def with_reminders(book) -> list[tuple[str, date, str]]:
    """Kinds, local dates and how far ahead (reminders) of pending deadlines and reminders."""
    return [(d.kind, local(d.due_at).date(), d.before) for d in book.pending(reminders=True)]


def fire(history: History, book, deadline, at: datetime) -> None:
    history.record(deadline.stream, deadline.to_event(), at, actor="system")


def test_final_notice_reminds_30_14_and_7_days_before_expiry_and_asks_a_decision_on_day_90() -> None:
    h = History()
    h.record(
        "escalation-p1",
        FinalNoticeIssued(provider_id=P, from_stage=S.contract_suspension, reason="r"),
        MONDAY,
    )
    expiry = MONDAY.date() + timedelta(days=90)
    assert with_reminders(derive(h.events)) == [
        (K.final_notice_decision, expiry - timedelta(days=30), "30 days"),
        (K.final_notice_decision, expiry - timedelta(days=14), "14 days"),
        (K.final_notice_decision, expiry - timedelta(days=7), "7 days"),
        (K.final_notice_decision, expiry, ""),
    ]
    assert kinds_and_dates(derive(h.events)) == [(K.final_notice_decision, expiry)]
    assert all(d.owner == "contracts-team" and d.provider_id == P
               for d in derive(h.events).pending(reminders=True))


def test_requirement_to_improve_wants_a_plan_in_14_days_and_a_review_at_28() -> None:
    h = History()
    h.record(
        "escalation-p1", RequirementToImproveIssued(provider_id=P, from_stage=S.monitoring, reason=""), MONDAY
    )
    assert kinds_and_dates(derive(h.events)) == [
        (K.improvement_plan_due, date(2026, 3, 16)),
        (K.requirement_to_improve_review, date(2026, 3, 30)),
    ]


def test_lifting_a_sanction_cancels_its_pending_deadlines() -> None:
    h = History()
    h.record(
        "escalation-p1", FinalNoticeIssued(provider_id=P, from_stage=S.monitoring, reason="risk"), MONDAY
    )
    h.record(
        "escalation-p1",
        SanctionLifted(
            provider_id=P, from_stage=S.final_notice_90_day, to_stage=S.monitoring, improvement="verified"
        ),
        MONDAY,
    )
    assert derive(h.events).pending() == []


def test_contract_suspension_is_reviewed_every_28_days_while_it_lasts() -> None:
    h = History()
    h.record(
        "escalation-p1",
        ContractSuspended(provider_id=P, from_stage=S.requirement_to_improve, reason=""),
        MONDAY,
    )
    [first] = derive(h.events).pending()
    # 09:00 local time 28 days later (British Summer Time by then)
    assert (first.kind, local(first.due_at)) == (
        K.suspension_review,
        datetime(2026, 3, 30, 9, 0, tzinfo=LONDON),
    )
    fire(h, None, first, first.due_at)
    [second] = derive(h.events).pending()
    assert local(second.due_at).date() == date(2026, 4, 27)
    h.record(
        "escalation-p1",
        SanctionLifted(
            provider_id=P, from_stage=S.contract_suspension, to_stage=S.monitoring, improvement="ok"
        ),
        second.due_at,
    )
    book = derive(h.events)
    assert book.pending() == []
    assert [r.deadline.deadline_id for r in book.fired()] == [first.deadline_id]


def test_a_notice_to_remedy_breach_is_due_on_the_date_it_names_and_extension_moves_it() -> None:
    h = History()
    h.record(
        "notice-n1",
        RemedyNoticeIssued(
            notice_id="n1", provider_id=P, breach="b", actions=["a"], remedy_by=date(2026, 4, 1)
        ),
        MONDAY,
    )
    assert kinds_and_dates(derive(h.events)) == [(K.remedy_notice_due, date(2026, 4, 1))]
    h.record(
        "notice-n1",
        RemedyNoticeExtended(notice_id="n1", provider_id=P, remedy_by=date(2026, 4, 20), reason="recruiting"),
        MONDAY,
    )
    assert kinds_and_dates(derive(h.events)) == [(K.remedy_notice_due, date(2026, 4, 20))]
    h.record("notice-n1", RemedyNoticeComplied(notice_id="n1", provider_id=P), MONDAY)
    assert derive(h.events).pending() == []


def test_a_failed_notice_raises_an_alert_proposing_escalation_at_once() -> None:
    h = History()
    h.record(
        "notice-n1",
        RemedyNoticeIssued(
            notice_id="n1", provider_id=P, breach="b", actions=["a"], remedy_by=date(2026, 4, 1)
        ),
        MONDAY,
    )
    h.record("notice-n1", RemedyNoticeFailed(notice_id="n1", provider_id=P), MONDAY + timedelta(days=31))
    [alert] = derive(h.events).pending()
    assert (alert.kind, alert.due_at) == (K.escalation_proposed, MONDAY + timedelta(days=31))


def test_strategy_meeting_is_due_within_2_working_days_across_easter() -> None:
    h = History()
    maundy_thursday = datetime(2026, 4, 2, 14, 0, tzinfo=UTC)
    h.record(
        "provider-failure-f1",
        ProviderFailureProcedureInitiated(procedure_id="f1", provider_id=P, lead="raj"),
        maundy_thursday,
    )
    [meeting] = derive(h.events).pending()
    assert meeting.kind == K.strategy_meeting_due
    assert meeting.owner == "raj"
    # Good Friday, the weekend and Easter Monday are skipped: Tuesday 7 and Wednesday 8 April.
    assert local(meeting.due_at) == datetime(2026, 4, 8, 15, 0, tzinfo=LONDON)
    h.record(
        "provider-failure-f1",
        ContingencyPlanningStarted(procedure_id="f1", provider_id=P, strategy_meeting_notes="held"),
        datetime(2026, 4, 7, 10, tzinfo=UTC),
    )
    [review] = derive(h.events).pending()
    assert (review.kind, local(review.due_at).date()) == (K.contingency_review, date(2026, 4, 14))


def test_intelligence_allocated_in_time_does_not_fire_and_starts_the_assessment_clock() -> None:
    h = History()
    friday = datetime(2026, 5, 22, 10, 0, tzinfo=UTC)  # before the late May bank holiday
    h.record(
        "intelligence-r1",
        IntelligenceLogged(
            record_id="r1", provider_id=P, source=IntelligenceSource.cqc, received_at=friday, summary="s"
        ),
        friday,
    )
    [allocation] = derive(h.events).pending()
    assert allocation.kind == K.intelligence_allocation
    assert allocation.due_at == datetime(2026, 5, 26, 10, 0, tzinfo=UTC)  # Tuesday: Monday is a bank holiday
    h.record("intelligence-r1", IntelligenceAllocated(record_id="r1", officer="amy"), friday)
    [assessment] = derive(h.events).pending()
    assert (assessment.kind, assessment.owner) == (K.intelligence_risk_assessment, "amy")
    assert assessment.due_at == datetime(2026, 5, 27, 10, 0, tzinfo=UTC)
    h.record(
        "intelligence-r1",
        RiskAssessed(record_id="r1", risk=RiskLevel.high, action_required=True, rationale="x"),
        friday,
    )
    [action] = derive(h.events).pending()
    assert action.kind == K.high_risk_first_action
    h.record("intelligence-r1", IntelligenceActionTaken(record_id="r1", action="responsive_visit"), friday)
    assert derive(h.events).pending() == []


def test_a_low_risk_gets_no_first_action_deadline() -> None:
    h = History()
    h.record(
        "intelligence-r1",
        IntelligenceLogged(
            record_id="r1", provider_id=P, source=IntelligenceSource.cqc, received_at=MONDAY, summary="s"
        ),
        MONDAY,
    )
    h.record("intelligence-r1", IntelligenceAllocated(record_id="r1", officer="amy"), MONDAY)
    h.record(
        "intelligence-r1",
        RiskAssessed(record_id="r1", risk=RiskLevel.low, action_required=False, rationale="x"),
        MONDAY,
    )
    assert derive(h.events).pending() == []


def test_action_item_reminds_7_days_before_and_is_overdue_on_the_day_unless_completed() -> None:
    h = History()
    items = [
        ActionItem(item_id=i, description="d", theme=ActionTheme.staffing, owner="lee", due=date(2026, 4, 30))
        for i in ("i1", "i2")
    ]
    h.record(
        "action-plan-a1",
        ActionPlanRaised(
            plan_id="a1", provider_id=P, items=items, raised_from=RecordRef(kind="visit", id="v1")
        ),
        MONDAY,
    )
    assert [
        (d.kind, local(d.due_at).date(), d.scope, d.before, d.owner)
        for d in derive(h.events).pending(provider_id=P, reminders=True)
    ][:2] == [
        # The item's owner is the home's manager; the deadline is the council's (its team).
        (K.action_item_overdue, date(2026, 4, 23), "i1", "7 days", "quality-team"),
        (K.action_item_overdue, date(2026, 4, 23), "i2", "7 days", "quality-team"),
    ]
    h.record("action-plan-a1", ActionItemCompleted(plan_id="a1", item_id="i1"), MONDAY)
    assert {d.scope for d in derive(h.events).pending()} == {"i2"}
    h.record("action-plan-a1", ActionItemReturned(plan_id="a1", item_id="i1", reason="not evidenced"), MONDAY)
    assert {d.scope for d in derive(h.events).pending()} == {"i1", "i2"}
    h.record("action-plan-a1", ActionItemVerified(plan_id="a1", item_id="i1"), MONDAY)
    h.record("action-plan-a1", ActionItemVerified(plan_id="a1", item_id="i2"), MONDAY)
    assert derive(h.events).pending() == []


def test_a_council_policy_changes_the_periods() -> None:
    policy = DeadlinePolicy(final_notice_expiry=Period(days=60), final_notice_reminders=[10])
    h = History()
    h.record("escalation-p1", FinalNoticeIssued(provider_id=P, from_stage=S.monitoring, reason="r"), MONDAY)
    assert with_reminders(derive(h.events, policy)) == [
        (K.final_notice_decision, date(2026, 4, 21), "10 days"),
        (K.final_notice_decision, date(2026, 5, 1), ""),
    ]


def test_deadline_reached_is_the_fired_deadline() -> None:
    assert DeadlineReached.type_name == "DeadlineReached"


def test_a_reminder_keeps_every_field_of_its_deadline_but_those_that_make_it_a_reminder() -> None:
    from dataclasses import fields

    from casework.domain.policy import Timing
    from casework.workflows.deadlines import Deadline, OwnerFrom

    due = datetime(2026, 6, 1, 9, tzinfo=UTC)
    deadline = Deadline(
        deadline_id="notice-1:1:remedy_notice_due", provider_id="p-1", kind="remedy_notice_due",
        title="Remedy notice: remedy due", due_at=due, owner="amy", source="notice-1",
        scope="item-1", repeat_every_days=28, missed=3, owner_from=OwnerFrom.case,
    )
    reminder = deadline.reminder(Period(days=7), Timing())

    made = {"deadline_id", "due_at", "repeat_every_days", "reminder_of", "before", "reminds_due_at"}
    kept = {f.name for f in fields(Deadline)} - made
    assert {n: getattr(reminder, n) for n in kept} == {n: getattr(deadline, n) for n in kept}
    assert (reminder.reminder_of, reminder.reminds_due_at, reminder.repeat_every_days) == (
        deadline.deadline_id, due, None)
    assert reminder.due_at == datetime(2026, 5, 25, 9, tzinfo=UTC)
