"""Reminders before a deadline falls due, at the offsets the council configures: 30, 14 and 7
days before a final notice expires; 7 and 1 working days before a remedy-by date; 1 working day
before a service level. Each is sent once (``DeadlineReminder`` on its own stream, expected
version 0), by the same pass that fires deadlines; never for a deadline cancelled or already
due; not replayed after downtime. Runs on SQLite and PostgreSQL; time moves, nothing sleeps."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from casework.bootstrap import bootstrap
from casework.domain.actors import Actor, Role
from casework.domain.commands import AllocateIntelligence, LogIntelligence, RegisterProvider
from casework.domain.notices import IssueRemedyNotice, RecordNoticeComplied
from casework.domain.policy import DEFAULT_POLICY, Period
from casework.events.sanctions import FinalNoticeIssued, SanctionStage
from casework.workflows.deadline_calendar import fired_alerts, pending_deadlines

from .helpers import record

LONDON = ZoneInfo("Europe/London")
MANAGER = Actor("mia", Role.manager)
OFFICER = Actor("amy", Role.officer)


def london(day: date, at: time = time(0)) -> datetime:
    return datetime.combine(day, at, LONDON)


def register(cw) -> str:
    return cw.application.execute(
        RegisterProvider(name="Rose Court", service_type="care_home_nursing"), MANAGER).aggregate_id


def reminders(cw) -> list:
    return cw.store.read_all(limit=100_000, types=["DeadlineReminder"])


def test_a_remedy_by_date_is_reminded_7_and_1_working_days_before_over_easter_once_each(casework) -> None:
    provider = register(casework)
    # Remedy by Tuesday 7 April 2026: Good Friday (3rd) and Easter Monday (6th) are bank holidays.
    notice = casework.application.execute(IssueRemedyNotice(
        provider_id=provider, breach="staffing", actions=["recruit"], remedy_by=date(2026, 4, 7)), MANAGER)
    due = london(date(2026, 4, 7))
    expected = [(date(2026, 3, 25), "7 working days", "7wd"), (date(2026, 4, 2), "1 working day", "1wd")]
    for day, before, _ in expected:
        at = london(day)
        casework.clock.set(at - timedelta(minutes=1))
        assert casework.scheduler.fire_due().fired == [], "nothing is sent a minute early"
        casework.clock.set(at)
        [sent] = casework.scheduler.fire_due().fired
        assert (sent.is_reminder, sent.before, sent.due_at, sent.reminds_due_at) == (True, before, at, due)
        assert casework.scheduler.fire_due(at + timedelta(hours=1)).fired == [], "sent once"
    events = reminders(casework)
    deadline_id = f"notice-{notice.aggregate_id}:1:remedy_notice_due"
    assert [e.stream for e in events] == [f"reminder-{deadline_id}-{o}" for *_, o in expected]
    for event, (day, before, _) in zip(events, expected, strict=True):
        typed = event.event
        assert (typed.deadline_id, typed.provider_id, typed.kind, typed.owner, typed.before) == (
            deadline_id, provider, "remedy_notice_due", "contracts-team", before)
        assert typed.due_at == due and typed.remind_at == london(day)
        assert typed.title.startswith("Notice to remedy breach")
        assert typed.source == f"notice-{notice.aggregate_id}"
        assert event.provider_id == provider  # in the provider's history
    # On the day the deadline itself fires, as ever.
    casework.clock.set(due)
    assert [(d.kind, d.is_reminder) for d in casework.scheduler.fire_due().fired] == [
        ("remedy_notice_due", False)]


def test_a_service_level_is_reminded_1_working_day_before_it_falls_due_to_the_allocated_officer(
    casework,
) -> None:
    provider = register(casework)
    casework.clock.set(london(date(2026, 4, 2), time(9)))  # Thursday before Good Friday
    logged = casework.application.execute(LogIntelligence(
        provider_id=provider, source="cqc", received_at=casework.clock.now(), summary="s"), OFFICER)
    casework.application.execute(AllocateIntelligence(record_id=logged.aggregate_id, officer="amy"), MANAGER)
    # Risk assessment within 2 working days: Wednesday 8 April; reminded Tuesday 7 April.
    [assessment] = pending_deadlines(casework, provider_id=provider)
    assert assessment.due_at == london(date(2026, 4, 8), time(9))
    casework.clock.set(london(date(2026, 4, 7), time(9)))
    [sent] = casework.scheduler.fire_due().fired
    assert (sent.kind, sent.before, sent.owner) == ("intelligence_risk_assessment", "1 working day", "amy")
    assert len(reminders(casework)) == 1


def test_no_reminder_for_a_deadline_cancelled_before_it(casework) -> None:
    provider = register(casework)
    notice = casework.application.execute(IssueRemedyNotice(
        provider_id=provider, breach="b", actions=["a"], remedy_by=date(2026, 4, 7)), MANAGER)
    casework.clock.set(london(date(2026, 3, 25)))
    assert [d.before for d in casework.scheduler.fire_due().fired] == ["7 working days"]
    casework.application.execute(RecordNoticeComplied(notice_id=notice.aggregate_id, note="done"), OFFICER)
    casework.clock.set(london(date(2026, 5, 1)))
    assert casework.scheduler.fire_due().fired == []
    assert len(reminders(casework)) == 1
    assert pending_deadlines(casework, reminders=True) == []


def test_after_downtime_only_the_latest_due_reminder_is_sent_and_polls_send_nothing_more(casework) -> None:
    provider = "p1"
    issued = casework.clock.now()
    record(casework.store, f"escalation-{provider}", FinalNoticeIssued(
        provider_id=provider, from_stage=SanctionStage.contract_suspension, reason="r"), issued)
    [decision] = pending_deadlines(casework, provider_id=provider)
    # Down from the start until 10 days before expiry: the 30- and 14-day reminders fell due.
    casework.clock.set(decision.due_at - timedelta(days=10))
    report = casework.scheduler.start()
    try:
        assert [d.before for d in report.fired] == ["14 days"]
        assert [d.before for d in report.superseded] == ["30 days"]
        for _ in range(10):  # the background job's polls, 30 s apart
            casework.clock.advance(timedelta(seconds=30))
            casework.scheduler.tick()
    finally:
        casework.scheduler.shutdown()
    assert [e.data["before"] for e in reminders(casework)] == ["14 days"]
    assert [d.before for d in pending_deadlines(casework, provider_id=provider, reminders=True)] == [
        "7 days", ""]
    assert [a.deadline.before for a in fired_alerts(casework, reminders=True)] == ["14 days"]


def test_reminder_offsets_come_from_the_policy_set_in_settings(settings, clock) -> None:
    configured = settings.model_copy(update={"deadline_policy": {
        "final_notice_reminders": [10],
        "remedy_notice_reminders": [{"days": 3, "working_days": True}],
    }})
    cw = bootstrap(configured, clock=clock)
    try:
        assert cw.policy.final_notice_reminders == [Period(days=10)]
        assert cw.policy.service_level_reminders == DEFAULT_POLICY.service_level_reminders
        provider = register(cw)
        record(cw.store, f"escalation-{provider}", FinalNoticeIssued(
            provider_id=provider, from_stage=SanctionStage.contract_suspension, reason="r"), clock.now())
        cw.application.execute(IssueRemedyNotice(
            provider_id=provider, breach="b", actions=["a"], remedy_by=date(2026, 4, 7)), MANAGER)
        assert sorted(d.before for d in pending_deadlines(cw, provider_id=provider, reminders=True)
                      if d.is_reminder) == ["10 days", "3 working days"]
    finally:
        cw.close()


def test_the_default_offsets_are_the_councils_stated_ones() -> None:
    assert [p.text for p in DEFAULT_POLICY.final_notice_reminders] == ["30 days", "14 days", "7 days"]
    assert [p.text for p in DEFAULT_POLICY.remedy_notice_reminders] == ["7 working days", "1 working day"]
    assert [p.text for p in DEFAULT_POLICY.service_level_reminders] == ["1 working day"]
