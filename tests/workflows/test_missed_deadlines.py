"""A recurring deadline missed many times while Casework was down raises one overdue alert that
says how many and since when, then resumes from the first occurrence after now; the read model
and a rebuild agree. Runs on SQLite and PostgreSQL (the ``casework`` fixture); time moves,
nothing sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from casework.api.app import create_app
from casework.events.base import decode
from casework.events.deadlines import DeadlineReached
from casework.events.sanctions import ContractSuspended, SanctionStage
from casework.workflows.deadline_calendar import fired_alerts, pending_deadlines
from casework.workflows.deadlines import DeadlineKind, next_occurrence, overdue
from casework.workflows.rulebook import derive

from .helpers import History, record

SUSPENDED = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
EVERY = timedelta(days=28)


def suspend(store_or_history, at: datetime = SUSPENDED) -> None:
    event = ContractSuspended(provider_id="p1", from_stage=SanctionStage.requirement_to_improve,
                              reason="unsafe staffing")
    if isinstance(store_or_history, History):
        store_or_history.record("escalation-p1", event, at)
    else:
        record(store_or_history, "escalation-p1", event, at)


def reached_streams(cw) -> list[str]:
    return [e.stream for e in cw.store.read_all(limit=100_000, types=["DeadlineReached"])]


def test_twenty_missed_suspension_reviews_fire_one_alert_and_resume_after_now(casework) -> None:
    suspend(casework.store)
    [first] = pending_deadlines(casework)
    assert first.kind == DeadlineKind.suspension_review and first.deadline_id.endswith(":1")
    now = first.due_at + 19 * EVERY + timedelta(days=3)  # the 20th review was 3 days ago

    report = casework.scheduler.fire_due(now)

    assert [(d.deadline_id, d.due_at, d.missed) for d in report.fired] == [
        (first.deadline_id, first.due_at, 20)
    ]
    [alert] = fired_alerts(casework)
    assert alert.deadline.missed == 20
    assert alert.deadline.missed_note == f"missed 20 reviews since {first.due_at.date().isoformat()}"
    [pending] = pending_deadlines(casework)
    assert pending.deadline_id == first.deadline_id[: -len("1")] + "21"
    assert pending.due_at == first.due_at + 20 * EVERY and pending.due_at > now
    assert pending.missed == 1
    assert reached_streams(casework) == [f"deadline-{first.deadline_id}"]

    assert casework.scheduler.fire_due(now).fired == []  # the same now again: nothing more
    assert reached_streams(casework) == [f"deadline-{first.deadline_id}"]

    # Time moves on to the next review: it fires alone, an ordinary alert.
    [on_time] = casework.scheduler.fire_due(pending.due_at).fired
    assert on_time.deadline_id == pending.deadline_id and on_time.missed == 1
    assert on_time.missed_note == ""


def test_the_alerts_api_says_how_many_reviews_were_missed_and_since_when(casework, as_role) -> None:
    suspend(casework.store)
    [first] = pending_deadlines(casework)
    casework.scheduler.fire_due(first.due_at + 4 * EVERY)
    with TestClient(create_app(casework)) as client:
        response = client.get("/api/v1/alerts", headers=as_role("auditor"))
    assert response.status_code == 200
    [alert] = response.json()
    assert alert["id"] == first.deadline_id and alert["missed"] == 5
    assert alert["missed_note"] == f"missed 5 reviews since {first.due_at.date().isoformat()}"


def test_rebuilding_the_deadline_read_model_after_a_collapsed_firing_gives_the_same_deadlines(
    casework,
) -> None:
    suspend(casework.store)
    [first] = pending_deadlines(casework)
    casework.scheduler.fire_due(first.due_at + 19 * EVERY + timedelta(days=3))
    before_pending, before_fired = pending_deadlines(casework), fired_alerts(casework)

    casework.projections.rebuild(["deadlines"])

    assert pending_deadlines(casework) == before_pending
    assert fired_alerts(casework) == before_fired
    derived = derive(casework.store.read_all(limit=100_000), casework.policy)
    assert pending_deadlines(casework) == derived.pending()
    assert [(r.deadline.deadline_id, r.deadline.missed) for r in derived.fired()] == [
        (first.deadline_id, 20)
    ]


def test_the_next_occurrence_follows_the_missed_ones_from_the_event_alone() -> None:
    history = History()
    suspend(history)
    [first] = derive(history.events).pending()
    late = overdue(first, first.due_at + 2 * EVERY)
    assert late.missed == 3
    assert overdue(first, first.due_at + 2 * EVERY - timedelta(seconds=1)).missed == 2
    assert overdue(first, first.due_at).missed == 1
    after = next_occurrence(late)
    assert after.deadline_id.endswith(":4") and after.due_at == first.due_at + 3 * EVERY

    # The fold reads the count from the recorded event, whenever it is folded.
    history.record(late.stream, late.to_event(), first.due_at + 10 * EVERY)
    book = derive(history.events)
    assert book.pending() == [after]


def test_a_deadline_reached_recorded_before_missed_existed_still_decodes_as_one() -> None:
    data = {
        "deadline_id": "escalation-p1:1:suspension_review:1", "provider_id": "p1",
        "kind": "suspension_review", "title": "Contract suspension: review due",
        "due_at": "2019-01-07T09:00:00+00:00", "owner": "mia", "source": "escalation-p1",
        "scope": "", "repeat_every_days": 28,
    }
    event = decode("DeadlineReached", 1, data)
    assert isinstance(event, DeadlineReached) and event.missed == 1
