"""Firing deadlines through the store: exactly once, catch-up after downtime, the read model.
Runs on SQLite and PostgreSQL (the ``casework`` fixture); time moves, nothing sleeps."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from casework.events.notices import RemedyNoticeIssued
from casework.events.sanctions import ContractSuspended, FinalNoticeIssued, SanctionLifted, SanctionStage
from casework.projections.base import read_models
from casework.workflows.deadline_calendar import (
    DeadlineProjection,
    catch_up_with,
    deadlines_table,
    fired_alerts,
    pending_deadlines,
)
from casework.workflows.deadlines import DeadlineKind
from casework.workflows.rulebook import derive
from casework.workflows.scheduler import DeadlineScheduler

from .helpers import record

K = DeadlineKind
S = SanctionStage
P = "3f0c1c8e-6a55-4a36-9a0e-0d4c0d7b9a11"
ISSUED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EXPIRY = ISSUED + timedelta(days=90) - timedelta(hours=1)  # 09:00 London time, in summer time


def issue_final_notice(cw) -> None:
    record(
        cw.store,
        f"escalation-{P}",
        FinalNoticeIssued(provider_id=P, from_stage=S.contract_suspension, reason="no improvement"),
        ISSUED,
    )


def deadline_streams(cw) -> list[str]:
    return sorted(e.stream for e in cw.store.read_all(types=["DeadlineReached"]))


def reminder_streams(cw) -> list[str]:
    return sorted(e.stream for e in cw.store.read_all(types=["DeadlineReminder"]))


def test_final_notice_sends_reminders_at_30_14_and_7_days_and_fires_expiry_on_day_90_exactly_once(
    casework,
) -> None:
    issue_final_notice(casework)
    fired_by_day = []
    for days_before in (30, 14, 7, 0):
        at = EXPIRY - timedelta(days=days_before)
        casework.clock.set(at - timedelta(minutes=1))
        assert casework.scheduler.fire_due().fired == [], "nothing fires a minute early"
        casework.clock.set(at)
        report = casework.scheduler.fire_due()
        again = casework.scheduler.fire_due()  # a re-run fires nothing more
        assert again.fired == []
        fired_by_day.append([(d.kind, d.is_reminder, d.before, d.owner, d.provider_id) for d in report.fired])
    assert fired_by_day == [
        [(K.final_notice_decision, True, "30 days", "contracts-team", P)],
        [(K.final_notice_decision, True, "14 days", "contracts-team", P)],
        [(K.final_notice_decision, True, "7 days", "contracts-team", P)],
        [(K.final_notice_decision, False, "", "contracts-team", P)],
    ]
    decision = f"escalation-{P}:1:final_notice_decision"
    assert reminder_streams(casework) == [f"reminder-{decision}-{d}d" for d in (14, 30, 7)]
    reminders = casework.store.read_all(types=["DeadlineReminder"])
    assert [(e.data["deadline_id"], datetime.fromisoformat(e.data["due_at"]), e.data["before"])
            for e in reminders] == [(decision, EXPIRY, f"{d} days") for d in (30, 14, 7)]
    assert deadline_streams(casework) == [f"deadline-{decision}"]
    events = casework.store.read_all(types=["DeadlineReached", "DeadlineReminder"])
    assert all(e.provider_id == P and e.data["owner"] == "contracts-team" for e in events)
    assert casework.store.read_history(P)[-1].data["kind"] == "final_notice_decision"


def test_a_back_dated_run_fires_everything_due_by_then_once_and_no_stale_reminder(casework) -> None:
    issue_final_notice(casework)
    report = casework.scheduler.fire_due(EXPIRY + timedelta(days=1))
    # The notice expired while Casework was down: its alert supersedes the three reminders.
    assert [(d.kind, d.is_reminder) for d in report.fired] == [(K.final_notice_decision, False)]
    assert len(report.superseded) == 3
    assert casework.scheduler.fire_due(EXPIRY + timedelta(days=2)).fired == []
    assert len(deadline_streams(casework)) == 1 and reminder_streams(casework) == []
    assert pending_deadlines(casework, reminders=True) == []


def test_two_schedulers_firing_at_once_fire_each_deadline_once(casework) -> None:
    issue_final_notice(casework)
    schedulers = [
        DeadlineScheduler(casework.store, casework.clock, catch_up_with(casework.projections))
        for _ in range(4)
    ]
    barrier = threading.Barrier(len(schedulers))
    reports = []

    def run(scheduler: DeadlineScheduler) -> None:
        barrier.wait()
        reports.append(scheduler.fire_due(EXPIRY - timedelta(days=7)))

    threads = [threading.Thread(target=run, args=(s,)) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    fired = [d.deadline_id for r in reports for d in r.fired]
    # Three reminders were due; only the latest ("7 days") is sent, once, by one of them.
    assert len(fired) == 1 and fired[0].endswith(":before:7d")
    assert reminder_streams(casework) == [f"reminder-escalation-{P}:1:final_notice_decision-7d"]
    assert [d.before for d in pending_deadlines(casework, reminders=True)] == [""]


def test_a_lifted_final_notice_fires_nothing_more(casework) -> None:
    issue_final_notice(casework)
    first = casework.scheduler.fire_due(EXPIRY - timedelta(days=30))
    assert [d.before for d in first.fired] == ["30 days"]
    record(
        casework.store,
        f"escalation-{P}",
        SanctionLifted(
            provider_id=P,
            from_stage=S.final_notice_90_day,
            to_stage=S.monitoring,
            improvement="verified at review visit",
        ),
        EXPIRY - timedelta(days=20),
    )
    assert casework.scheduler.fire_due(EXPIRY + timedelta(days=30)).fired == []
    assert pending_deadlines(casework, reminders=True) == []
    assert deadline_streams(casework) == [] and len(reminder_streams(casework)) == 1


def test_a_scheduler_stopped_across_a_due_date_fires_it_on_start(casework) -> None:
    record(
        casework.store,
        "notice-n1",
        RemedyNoticeIssued(
            notice_id="n1", provider_id=P, breach="b", actions=["a"], remedy_by=date(2026, 3, 20)
        ),
        ISSUED,
    )
    casework.scheduler.start()
    casework.scheduler.shutdown()  # the process goes down
    assert deadline_streams(casework) == []
    casework.clock.set(datetime(2026, 3, 25, 9, tzinfo=UTC))  # the due date passes while down
    restarted = DeadlineScheduler(
        casework.store, casework.clock, catch_up_with(casework.projections), interval_seconds=3600
    )
    try:
        report = restarted.start()
        assert restarted.running
    finally:
        restarted.shutdown()
    assert [d.kind for d in report.fired] == [K.remedy_notice_due]
    assert len(deadline_streams(casework)) == 1


def test_the_read_model_keeps_pending_and_fired_deadlines_and_rebuilds_to_the_same_rows(casework) -> None:
    record(
        casework.store,
        f"escalation-{P}",
        ContractSuspended(provider_id=P, from_stage=S.requirement_to_improve, reason="r"),
        ISSUED,
    )
    issue_final_notice(casework)
    casework.scheduler.fire_due(EXPIRY - timedelta(days=14))
    projection = DeadlineProjection(casework.policy)
    events = casework.store.read_all(types=sorted(projection.event_types))
    with casework.engine.begin() as conn:
        read_models.create_all(conn, tables=projection.tables)
        kept_by_runner = conn.execute(select(deadlines_table).order_by("deadline_id")).all()
        conn.execute(deadlines_table.delete())  # the in-process runner filled it already
        for event in events:  # one page per event, as an incremental runner would see them
            projection.apply(conn, [event])
        incremental = conn.execute(select(deadlines_table).order_by("deadline_id")).all()
        pending = pending_deadlines(conn, reminders=True)
        alerts = fired_alerts(conn, provider_id=P, reminders=True)
        conn.execute(deadlines_table.delete())
        projection.apply(conn, events)  # a rebuild: the whole log in one page
        rebuilt = conn.execute(select(deadlines_table).order_by("deadline_id")).all()
        read_models.drop_all(conn, tables=projection.tables)
    assert rebuilt == incremental == kept_by_runner
    book = derive(events, casework.policy)
    assert [d.deadline_id for d in pending] == [d.deadline_id for d in book.pending(reminders=True)]
    assert [(d.kind, d.before) for d in pending] == [(K.final_notice_decision, "7 days"),
                                                     (K.final_notice_decision, "")]
    # Caught up 14 days before expiry: the 14-day reminder went, the 30-day one was superseded.
    assert [(a.deadline.before, a.deadline.owner) for a in alerts] == [("14 days", "contracts-team")]
    assert pending_deadlines  # the suspension reviews were cancelled when the final notice was issued
    assert all(d.kind != K.suspension_review for d in pending)
