"""Law (issue 19): for any history recorded late and out of order, each view of a provider (the
provider view, its history, its risk matrix) *as it happened at* T is the fold of the events that
occurred by T, in the order they happened, and *as known at* T the fold of the events recorded by
T, in log order; and both together, the fold of the events recorded by T2 that occurred by T1.
On both backends (the ``casework`` fixture runs on SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st

from casework.events import DomainEvent, Metadata, to_new_event
from casework.events.action_plans import (
    ActionItem,
    ActionItemCompleted,
    ActionItemVerified,
    ActionPlanRaised,
)
from casework.events.intelligence import (
    IntelligenceActionTaken,
    IntelligenceAllocated,
    IntelligenceClosed,
    IntelligenceLogged,
    RiskAssessed,
)
from casework.events.links import RecordKind, RecordRef
from casework.events.providers import (
    CqcRatingPublished,
    OwnershipChanged,
    ProviderRegistered,
    RiskCriterionRecorded,
)
from casework.events.safeguarding import (
    SafeguardingConcernClosed,
    SafeguardingConcernRaised,
    SafeguardingConcernReferred,
    SafeguardingOutcomeRecorded,
)
from casework.events.sanctions import ContractSuspended, RequirementToImproveIssued, SanctionLifted
from casework.events.store import StoredEvent
from casework.events.visits import (
    AssessmentConcluded,
    AssessmentOpened,
    VisitCompleted,
    VisitPlanned,
)
from casework.projections import history, provider_view, risk_matrix
from casework.projections.provider_view import fold_history, view_of
from casework.projections.risk_matrix import assess
from casework.projections.sources import local_date

START = datetime(2018, 4, 2, 9, tzinfo=UTC)
Make = Callable[[str, datetime], DomainEvent]  # (provider id, occurred_at) -> event


def _streams(pid: str) -> dict[str, list[Make]]:
    """Each kind of record the provider view folds, as the events of one stream in order."""
    rid, cid, vid, aid, plan = (str(uuid.uuid4()) for _ in range(5))
    item = ActionItem(item_id="1", description="Update care plans", theme="person_centred_care_planning",
                      owner="manager", due=date(2018, 10, 1))
    return {
        f"provider-{pid}": [
            lambda p, at: ProviderRegistered(provider_id=p, name="Rose Court", categories=["OP"],
                                             service_type="care_home_residential"),
            lambda p, at: RiskCriterionRecorded(provider_id=p, criterion="fire_safety", rag="red"),
            lambda p, at: OwnershipChanged(provider_id=p, previous_owner=None, new_owner="Beta Homes"),
            lambda p, at: CqcRatingPublished(provider_id=p, report_date=at.date(), overall="inadequate"),
        ],
        f"intelligence-{rid}": [
            lambda p, at: IntelligenceLogged(record_id=rid, provider_id=p, source="complaint",
                                             received_at=at, summary="Night staffing"),
            lambda p, at: IntelligenceAllocated(record_id=rid, officer="amy"),
            lambda p, at: RiskAssessed(record_id=rid, risk="high", action_required=True, rationale="r"),
            lambda p, at: IntelligenceActionTaken(record_id=rid, action="responsive_visit"),
            lambda p, at: IntelligenceClosed(record_id=rid, outcome="actioned"),
        ],
        f"escalation-{pid}": [
            lambda p, at: RequirementToImproveIssued(provider_id=p, from_stage="monitoring", reason="r"),
            lambda p, at: ContractSuspended(provider_id=p, from_stage="requirement_to_improve", reason="r"),
            lambda p, at: SanctionLifted(provider_id=p, from_stage="contract_suspension",
                                         to_stage="requirement_to_improve", improvement="i"),
        ],
        f"visit-{vid}": [
            lambda p, at: VisitPlanned(visit_id=vid, provider_id=p, reason="full_monitoring",
                                       planned_for=at + timedelta(days=3), announced=True,
                                       out_of_hours=False),
            lambda p, at: VisitCompleted(visit_id=vid, findings="seen", rag="amber"),
        ],
        f"action-plan-{plan}": [
            lambda p, at: ActionPlanRaised(plan_id=plan, provider_id=p, items=[item],
                                           raised_from=RecordRef(kind=RecordKind.provider, id=p)),
            lambda p, at: ActionItemCompleted(plan_id=plan, item_id="1"),
            lambda p, at: ActionItemVerified(plan_id=plan, item_id="1"),
        ],
        f"safeguarding-{cid}": [
            lambda p, at: SafeguardingConcernRaised(concern_id=cid, provider_id=p, category="neglect",
                                                    summary="Pressure sores"),
            lambda p, at: SafeguardingConcernReferred(concern_id=cid, section_42=True),
            lambda p, at: SafeguardingOutcomeRecorded(concern_id=cid, outcome="substantiated"),
            lambda p, at: SafeguardingConcernClosed(concern_id=cid),
        ],
        f"assessment-{aid}": [
            lambda p, at: AssessmentOpened(assessment_id=aid, provider_id=p, framework_id="leicester-qaf",
                                           framework_version=1),
            lambda p, at: AssessmentConcluded(assessment_id=aid, outcome="non_compliant", rag="red"),
        ],
    }


# How many events of each stream (a prefix), when each happened (days after the one before in
# its stream), the order the streams are written in, and how late each is written up.
PLANS = st.fixed_dictionaries({
    "lengths": st.lists(st.integers(0, 5), min_size=7, max_size=7),
    "gaps": st.lists(st.integers(0, 30), min_size=20, max_size=20),
    "order": st.lists(st.integers(0, 6), min_size=30, max_size=30),
    "late": st.lists(st.sampled_from([0, 0, 1, 3, 45, 200]), min_size=30, max_size=30),
    "probes": st.lists(st.tuples(st.integers(-5, 400), st.integers(-5, 600)), min_size=3, max_size=3),
})


def write(casework, plan: dict) -> tuple[str, list[StoredEvent]]:
    pid = str(uuid.uuid4())
    streams = list(_streams(pid).items())
    pending: list[list[tuple[str, Make, datetime]]] = []
    gaps = iter(plan["gaps"] * 3)
    for (stream, makers), length in zip(streams, plan["lengths"], strict=True):
        at = START + timedelta(days=next(gaps), hours=next(gaps) % 8)
        queue = []
        facts = stream.startswith("provider-")  # independent facts: dated in any order
        for make in makers[: max(length, 1 if facts else 0)]:
            queue.append((stream, make, at))
            step = timedelta(days=next(gaps) % 9, minutes=7)
            at = at - step * 3 if facts and next(gaps) % 2 else at + step
        pending.append(queue)
    stored: list[StoredEvent] = []
    recorded = START
    order, late = iter(plan["order"] * 2), iter(plan["late"] * 2)
    while any(pending):
        choice = next(order, 0) % len(pending)
        queue = next((q for q in pending[choice:] + pending[:choice] if q), None)
        assert queue is not None
        stream, make, at = queue.pop(0)
        recorded = max(recorded, at) + timedelta(days=next(late, 0), minutes=1)
        casework.clock.set(recorded)  # the store stamps recorded_at from its clock
        new = to_new_event(make(pid, at), metadata=Metadata(actor="amy", provider_id=pid), occurred_at=at)
        version = sum(1 for e in stored if e.stream == stream)
        stored += casework.store.append(stream, [new], expected_version=version)
    return pid, stored


def expected(events: list[StoredEvent], happened: datetime | None, known: datetime | None):
    """The definitions, over the events as appended: filter, then order, then fold."""
    chosen = [e for e in events if (known is None or e.recorded_at <= known)
              and (happened is None or e.occurred_at <= happened)]
    if happened is not None:
        chosen.sort(key=lambda e: (e.occurred_at, e.position))
    else:
        chosen.sort(key=lambda e: e.position)
    return chosen, fold_history(chosen)


@settings(max_examples=50, deadline=None, phases=[Phase.generate, Phase.shrink],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plan=PLANS)
def test_each_view_as_it_happened_and_as_known_is_the_fold_of_those_events(casework, plan) -> None:
    pid, events = write(casework, plan)
    event("recorded out of order" if [e.occurred_at for e in events] != sorted(e.occurred_at for e in events)
          else "recorded in order")
    for happened_days, known_days in plan["probes"]:
        happened_at = START + timedelta(days=happened_days, hours=13)
        known_at = START + timedelta(days=known_days, hours=13)
        for happened, known in ((happened_at, None), (None, known_at), (happened_at, known_at)):
            chosen, state = expected(events, happened, known)
            day_of = happened or known
            view = provider_view(casework, pid, happened_at=happened, known_at=known)
            matrix = risk_matrix(casework, pid, happened_at=happened, known_at=known)
            found = history(casework, pid, happened_at=happened, known_at=known)
            assert found is not None  # something is recorded about it: an empty history, not None
            # The timeline: the same events, in the order they happened (or were recorded).
            by_happening = sorted(chosen, key=lambda e: (e.occurred_at, e.position))
            assert [e.event_id for e in found.events] == [e.event_id for e in by_happening]
            by_recording = history(casework, pid, happened_at=happened, known_at=known, order="recorded")
            assert [e.position for e in by_recording.events] == sorted(e.position for e in chosen)
            if state is None:
                assert view is None and matrix is None
                continue
            assert view == view_of(state, day_of, known, happened_at=happened), (happened, known)
            assert matrix == assess(pid, state, local_date(day_of)), (happened, known)
