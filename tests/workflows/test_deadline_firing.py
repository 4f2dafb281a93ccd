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


def test_final_notice_fires_reminders_at_30_14_and_7_days_and_expiry_on_day_90_exactly_once(casework) -> None:
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
        fired_by_day.append([(d.kind, d.owner, d.provider_id) for d in report.fired])
    assert fired_by_day == [
        [(K.final_notice_reminder, "mia", P)],
        [(K.final_notice_reminder, "mia", P)],
        [(K.final_notice_reminder, "mia", P)],
        [(K.final_notice_decision, "mia", P)],
    ]
    events = casework.store.read_all(types=["DeadlineReached"])
    assert len(events) == 4
    assert all(e.provider_id == P and e.actor == "system" for e in events)
    assert casework.store.read_history(P)[-1].data["kind"] == "final_notice_decision"


def test_a_back_dated_run_fires_everything_due_by_then_once(casework) -> None:
    issue_final_notice(casework)
    report = casework.scheduler.fire_due(EXPIRY + timedelta(days=1))
    assert [d.kind for d in report.fired] == [K.final_notice_reminder] * 3 + [K.final_notice_decision]
    assert casework.scheduler.fire_due(EXPIRY + timedelta(days=2)).fired == []
    assert len(deadline_streams(casework)) == 4


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
        reports.append(scheduler.fire_due(EXPIRY))

    threads = [threading.Thread(target=run, args=(s,)) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    fired = [d.deadline_id for r in reports for d in r.fired]
    assert len(fired) == 4 and len(set(fired)) == 4
    assert sum(len(r.already_fired) for r in reports) + len(fired) >= 4
    assert len(deadline_streams(casework)) == 4


def test_a_lifted_final_notice_fires_nothing_more(casework) -> None:
    issue_final_notice(casework)
    first = casework.scheduler.fire_due(EXPIRY - timedelta(days=30))
    assert [d.kind for d in first.fired] == [K.final_notice_reminder]
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
    assert pending_deadlines(casework) == []
    assert len(deadline_streams(casework)) == 1


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
        pending = pending_deadlines(conn)
        alerts = fired_alerts(conn, provider_id=P)
        conn.execute(deadlines_table.delete())
        projection.apply(conn, events)  # a rebuild: the whole log in one page
        rebuilt = conn.execute(select(deadlines_table).order_by("deadline_id")).all()
        read_models.drop_all(conn, tables=projection.tables)
    assert rebuilt == incremental == kept_by_runner
    book = derive(events, casework.policy)
    assert [d.deadline_id for d in pending] == [d.deadline_id for d in book.pending()]
    assert [d.kind for d in pending] == [K.final_notice_reminder, K.final_notice_decision]
    assert {(a.deadline.kind, a.deadline.owner) for a in alerts} == {(K.final_notice_reminder, "mia")}
    assert len(alerts) == 2
    assert pending_deadlines  # the suspension reviews were cancelled when the final notice was issued
    assert all(d.kind != K.suspension_review for d in pending)
