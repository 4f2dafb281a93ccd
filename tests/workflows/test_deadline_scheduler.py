"""The scheduler fires from the deadline read model, the one fold of deadlines: it reads only the
due rows, never the log; it fires once across processes; recurring reviews come back through the
read model; and what the API lists as pending is what ``derive`` says of the whole log.
Runs on SQLite and PostgreSQL (the ``casework`` fixture); time moves, nothing sleeps."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from casework.api.app import create_app
from casework.bootstrap import bootstrap
from casework.events.action_plans import (
    ActionItem,
    ActionItemCompleted,
    ActionItemReturned,
    ActionItemVerified,
    ActionPlanRaised,
    ActionTheme,
)
from casework.events.intelligence import IntelligenceAllocated, IntelligenceLogged, IntelligenceSource
from casework.events.links import RecordRef
from casework.events.notices import RemedyNoticeComplied, RemedyNoticeIssued
from casework.events.provider_failure import (
    ContingencyPlanningStarted,
    ContingencyPlanReviewed,
    ProviderFailureProcedureInitiated,
)
from casework.events.sanctions import ContractSuspended, FinalNoticeIssued, SanctionLifted, SanctionStage
from casework.events.store import EventStore
from casework.workflows import scheduler as scheduler_module
from casework.workflows.deadline_calendar import catch_up_with, fired_alerts, pending_deadlines
from casework.workflows.deadlines import DeadlineKind
from casework.workflows.rulebook import derive
from casework.workflows.scheduler import DeadlinesBehind, DeadlineScheduler

from .helpers import record

K = DeadlineKind
S = SanctionStage
ISSUED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EXPIRY = ISSUED + timedelta(days=90) - timedelta(hours=1)  # 09:00 London time, in summer time
PROVIDERS = [f"provider-{n}" for n in range(6)]


def issue_final_notices(cw, providers: list[str]) -> None:
    """A 90 day final notice each: reminders 30, 14 and 7 days before expiry, then the decision."""
    for p in providers:
        record(cw.store, f"escalation-{p}",
               FinalNoticeIssued(provider_id=p, from_stage=S.contract_suspension, reason="r"), ISSUED)


def deadline_streams(cw) -> list[str]:
    return [e.stream for e in cw.store.read_all(limit=100_000, types=["DeadlineReached"])]


def test_a_restarted_scheduler_reads_only_its_due_deadlines_and_never_the_log(
    casework, settings, clock, monkeypatch
) -> None:
    issue_final_notices(casework, PROVIDERS)  # 24 deadlines, 6 due at the first reminder
    casework.close()
    log_reads: list[int] = []
    read_all = EventStore.read_all

    def spied_read_all(self, after=0, limit=1000, types=None):
        log_reads.append(after)
        return read_all(self, after, limit, types)

    due_rows: list[int] = []
    due_query = scheduler_module.pending_deadlines

    def spied_due_query(*args, **kwargs):
        found = due_query(*args, **kwargs)
        due_rows.append(len(found))
        return found

    monkeypatch.setattr(EventStore, "read_all", spied_read_all)
    monkeypatch.setattr(scheduler_module, "pending_deadlines", spied_due_query)
    clock.set(EXPIRY - timedelta(days=30))
    restarted = bootstrap(settings, clock=clock)  # a new process: its runner catches up
    try:
        report = restarted.scheduler.start()
        restarted.scheduler.shutdown()
        assert log_reads == [], "the scheduler folds no log of its own"
        assert [(d.kind, d.before) for d in report.fired] == [
            (K.final_notice_decision, "30 days")] * len(PROVIDERS)
        # One round sent the 6 due reminders; the next found none due. The 18 pending
        # deadlines and reminders not yet due were never read.
        assert due_rows == [len(PROVIDERS), 0]
        assert len(pending_deadlines(restarted, reminders=True)) == 3 * len(PROVIDERS)
    finally:
        restarted.close()


def test_a_halted_deadline_read_model_fires_nothing_rather_than_fire_from_a_stale_one(casework) -> None:
    issue_final_notices(casework, ["p1"])
    casework.projections.halted["deadlines"] = "a fold failed"  # as the runner records a halt
    record(casework.store, "escalation-p1", SanctionLifted(
        provider_id="p1", from_stage=S.final_notice_90_day, to_stage=S.monitoring, improvement="ok"),
        ISSUED + timedelta(days=1))
    with pytest.raises(DeadlinesBehind, match="halted"):
        casework.scheduler.fire_due(EXPIRY)  # the stale rows still hold the lifted notice's four
    assert casework.scheduler.start().fired == []  # the server still starts, and polls
    casework.scheduler.shutdown()
    assert deadline_streams(casework) == []
    casework.projections.resume("deadlines")
    assert casework.scheduler.fire_due(EXPIRY).fired == []  # caught up: the lift cancelled them


def test_two_processes_on_one_store_fire_each_deadline_once(casework, settings, clock) -> None:
    issue_final_notices(casework, PROVIDERS)
    other = bootstrap(settings, clock=clock)  # its own engine, runner and read-model catch-up
    barrier = threading.Barrier(2)
    reports = {}

    def run(name: str, cw, now: datetime) -> None:
        barrier.wait()
        reports[name] = cw.scheduler.fire_due(now)

    try:
        fired = []
        # 14 days before expiry (the 30- and 14-day reminders due: the 14-day one goes), then
        # at expiry (the decision; the 7-day reminder superseded by it).
        for now in (EXPIRY - timedelta(days=14), EXPIRY):
            other.projections.catch_up()
            threads = [threading.Thread(target=run, args=(*item, now))
                       for item in (("one", casework), ("other", other))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=60)
            fired += [d.deadline_id for r in reports.values() for d in r.fired]
        assert len(fired) == len(set(fired)) == 2 * len(PROVIDERS)
        streams = deadline_streams(casework)
        assert len(streams) == len(set(streams)) == len(PROVIDERS), "a deadline fired twice"
        reminders = [e.stream for e in casework.store.read_all(types=["DeadlineReminder"])]
        assert len(reminders) == len(set(reminders)) == len(PROVIDERS), "a reminder sent twice"
        other.projections.catch_up()
        for cw in (casework, other):  # both read models saw every firing, whoever made it
            assert pending_deadlines(cw, reminders=True) == []
            assert len(fired_alerts(cw)) == len(PROVIDERS)
            assert len(fired_alerts(cw, reminders=True)) == 2 * len(PROVIDERS)
        assert casework.scheduler.fire_due(EXPIRY + timedelta(days=1)).fired == []
    finally:
        other.close()


def test_a_recurring_review_fires_and_schedules_the_next_through_the_read_model(casework) -> None:
    record(casework.store, "provider-failure-f1",
           ContingencyPlanningStarted(procedure_id="f1", provider_id="p1", strategy_meeting_notes="held"),
           ISSUED)
    [first] = pending_deadlines(casework)
    assert first.kind == K.contingency_review and first.repeat_every_days == 7

    report = casework.scheduler.fire_due(first.due_at)
    assert [d.deadline_id for d in report.fired] == [first.deadline_id]
    [second] = pending_deadlines(casework)  # scheduled by the read model's fold of the firing
    assert second.deadline_id.endswith(":2") and second.due_at == first.due_at + timedelta(days=7)

    # Down for three weeks: one run fires one alert for the three missed reviews, and the next
    # review is the first after now.
    report = casework.scheduler.fire_due(second.due_at + timedelta(days=14))
    assert [(d.deadline_id[-2:], d.missed) for d in report.fired] == [(":2", 3)]
    assert report.rounds == 1 and not report.more_due
    [fifth] = pending_deadlines(casework)
    assert fifth.deadline_id.endswith(":5") and fifth.due_at == second.due_at + timedelta(days=21)

    # Even a run bounded to one round fires everything due: nothing is left to a later run.
    bounded = DeadlineScheduler(casework.store, casework.clock, catch_up_with(casework.projections),
                                max_rounds=1)
    report = bounded.fire_due(fifth.due_at + timedelta(days=21))
    assert [(d.deadline_id[-2:], d.missed) for d in report.fired] == [(":5", 4)]
    assert not report.more_due
    assert bounded.fire_due(fifth.due_at + timedelta(days=21)).fired == []

    record(casework.store, "provider-failure-f1",
           ContingencyPlanReviewed(procedure_id="f1", provider_id="p1", note="reviewed"),
           fifth.due_at + timedelta(days=22))
    [after_review] = pending_deadlines(casework)  # the review restarts the weekly clock
    assert after_review.due_at == fifth.due_at + timedelta(days=29)
    streams = deadline_streams(casework)
    assert len(streams) == len(set(streams)) == 3


def mixed_history(cw) -> None:
    """Every kind of deadline effect: schedule, cancel, suspend, resume, fire, repeat."""
    at = ISSUED
    issue_final_notices(cw, ["p1"])
    record(cw.store, "escalation-p2",
           ContractSuspended(provider_id="p2", from_stage=S.requirement_to_improve, reason="r"), at)
    record(cw.store, "notice-n1", RemedyNoticeIssued(
        notice_id="n1", provider_id="p3", breach="b", actions=["a"], remedy_by=date(2026, 3, 20)), at)
    record(cw.store, "notice-n2", RemedyNoticeIssued(
        notice_id="n2", provider_id="p3", breach="b", actions=["a"], remedy_by=date(2026, 6, 20)), at)
    record(cw.store, "provider-failure-f1",
           ProviderFailureProcedureInitiated(procedure_id="f1", provider_id="p4", lead="raj"), at)
    items = [ActionItem(item_id=i, description="d", theme=ActionTheme.staffing, owner="lee",
                        due=date(2026, 6, 30)) for i in ("i1", "i2", "i3")]
    record(cw.store, "action-plan-a1", ActionPlanRaised(
        plan_id="a1", provider_id="p5", items=items, raised_from=RecordRef(kind="visit", id="v1")), at)
    for n in (1, 2):
        record(cw.store, f"intelligence-r{n}", IntelligenceLogged(
            record_id=f"r{n}", provider_id="p6", source=IntelligenceSource.cqc, received_at=at,
            summary="s"), at)
    record(cw.store, "intelligence-r1", IntelligenceAllocated(record_id="r1", officer="amy"), at)

    cw.scheduler.fire_due(at + timedelta(days=40))  # reminders, a suspension review, the meeting...
    at += timedelta(days=41)
    record(cw.store, "notice-n2", RemedyNoticeComplied(notice_id="n2", provider_id="p3"), at)
    record(cw.store, "provider-failure-f1", ContingencyPlanningStarted(
        procedure_id="f1", provider_id="p4", strategy_meeting_notes="held"), at)
    record(cw.store, "action-plan-a1", ActionItemCompleted(plan_id="a1", item_id="i1"), at)
    record(cw.store, "action-plan-a1", ActionItemCompleted(plan_id="a1", item_id="i2"), at)
    record(cw.store, "action-plan-a1", ActionItemReturned(plan_id="a1", item_id="i2", reason="no"), at)
    record(cw.store, "action-plan-a1", ActionItemVerified(plan_id="a1", item_id="i3"), at)
    cw.scheduler.fire_due(at + timedelta(days=20))  # weekly contingency reviews, more reminders
    record(cw.store, "escalation-p2", SanctionLifted(
        provider_id="p2", from_stage=S.contract_suspension, to_stage=S.monitoring, improvement="ok"),
        at + timedelta(days=21))


def test_the_pending_deadlines_the_api_lists_are_those_derived_from_the_whole_log(
    casework, as_role
) -> None:
    mixed_history(casework)
    everything = casework.store.read_all(limit=100_000)
    derived = derive(everything, casework.policy)
    assert derived.fired() and {r.status for r in derived.records.values()} == {
        "pending", "suspended", "cancelled", "fired"
    }, "the history exercises every effect"
    with TestClient(create_app(casework)) as client:
        response = client.get("/api/v1/deadlines", headers=as_role("auditor"))
    assert response.status_code == 200
    listed = [(d["id"], d["kind"], d["owner"], d["due_at"]) for d in response.json()]
    assert listed == [
        (d.deadline_id, d.kind, d.owner, d.due_at.isoformat().replace("+00:00", "Z"))
        for d in derived.pending()
    ]
    assert sorted(a.deadline.deadline_id for a in fired_alerts(casework)) == sorted(
        r.deadline.deadline_id for r in derived.fired()
    )
