"""Each projection's fold on hand-written histories: pure, no database."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

from casework.events import Metadata, to_new_event
from casework.events.action_plans import ActionItem, ActionItemCompleted, ActionPlanRaised
from casework.events.intelligence import IntelligenceAllocated, IntelligenceLogged, RiskAssessed
from casework.events.links import RecordKind, RecordRef
from casework.events.providers import CqcRatingPublished, OwnershipChanged, ProviderRegistered
from casework.events.sanctions import ContractSuspended, SanctionLifted
from casework.events.store import StoredEvent
from casework.events.visits import AssessmentConcluded, AssessmentOpened, VisitCompleted, VisitPlanned
from casework.projections.provider_view import fold, fold_history, view_of
from casework.projections.risk_matrix import assess
from casework.projections.statistics import financial_year, plan_group
from casework.projections.statistics import fold as statistics_fold
from casework.projections.triage import TriageProjection

PID = "p1"
_positions = itertools.count(1)
_versions: dict[str, int] = {}


def stored(stream: str, event: Any, at: datetime, provider_id: str = PID) -> StoredEvent:
    new = to_new_event(event, metadata=Metadata(actor="amy", provider_id=provider_id), occurred_at=at)
    _versions[stream] = _versions.get(stream, 0) + 1
    return StoredEvent(next(_positions), str(new.event_id), stream, _versions[stream], new.type,
                       new.schema_version, new.data, new.metadata, provider_id, at, at, "h")


def at(month: int, day: int, year: int = 2026) -> datetime:
    return datetime(year, month, day, 10, tzinfo=UTC)


def registered() -> StoredEvent:
    return stored(f"provider-{PID}", ProviderRegistered(
        provider_id=PID, name="Rose Court", service_type="care_home_nursing", categories=["OP"]),
        at(1, 1))


def fold_all(events: list[StoredEvent]) -> dict:
    state = fold_history(events)
    assert state is not None
    return state


def test_provider_view_shows_latest_cqc_rating_by_report_date_even_if_imported_out_of_order():
    events = [
        registered(),
        stored(f"provider-{PID}", CqcRatingPublished(provider_id=PID, report_date=date(2025, 6, 1),
                                                     overall="good"), at(1, 2)),
        stored(f"provider-{PID}", CqcRatingPublished(provider_id=PID, report_date=date(2023, 6, 1),
                                                     overall="inadequate"), at(1, 3)),
    ]
    view = view_of(fold_all(events), at(3, 1))
    assert (view.cqc_rating, view.cqc_rated_on, view.version) == ("good", date(2025, 6, 1), 3)


def test_provider_view_counts_open_and_overdue_items_against_the_day_it_is_read():
    source = RecordRef(kind=RecordKind.provider, id=PID)
    plan = ActionPlanRaised(plan_id="a", provider_id=PID, raised_from=source,
                            items=[ActionItem(item_id=str(n), description="x", theme="staffing",
                                              owner="m", due=date(2026, 2, n)) for n in (1, 10, 20)])
    events = [registered(), stored("action-plan-a", plan, at(1, 5)),
              stored("action-plan-a", ActionItemCompleted(plan_id="a", item_id="1"), at(1, 20))]
    state = fold_all(events)
    on_feb_15 = view_of(state, at(2, 15))
    assert (on_feb_15.open_action_items, on_feb_15.overdue_action_items) == (2, 1)
    assert view_of(state, at(1, 15)).overdue_action_items == 0


def test_provider_view_is_closed_to_placements_from_suspension_and_reopens_when_lifted():
    suspended = stored(f"escalation-{PID}", ContractSuspended(
        provider_id=PID, from_stage="monitoring", reason="serious safeguarding risk",
        skipped_stages=["requirement_to_improve"]), at(2, 1))
    state = fold_all([registered(), suspended])
    view = view_of(state, at(2, 2))
    assert (view.escalation_stage, view.closed_to_new_placements) == ("contract_suspension", True)
    lifted = stored(f"escalation-{PID}", SanctionLifted(
        provider_id=PID, from_stage="contract_suspension", to_stage="monitoring",
        improvement="verified"), at(2, 20))
    view = view_of(fold(state, lifted), at(2, 21))
    assert (view.escalation_stage, view.closed_to_new_placements) == ("monitoring", False)


def test_provider_view_takes_rag_from_latest_concluded_assessment_and_last_full_monitoring():
    events = [
        registered(),
        stored("visit-v", VisitPlanned(visit_id="v", provider_id=PID, reason="full_monitoring",
                                       planned_for=at(1, 10)), at(1, 2)),
        stored("visit-v", VisitCompleted(visit_id="v", findings="ok"), at(1, 10)),
        stored("assessment-x", AssessmentOpened(assessment_id="x", provider_id=PID,
                                                framework_id="qaf", framework_version=1), at(1, 10)),
        stored("assessment-x", AssessmentConcluded(assessment_id="x", outcome="non_compliant",
                                                   rag="red"), at(1, 30)),
    ]
    view = view_of(fold_all(events), at(2, 1))
    assert (view.rag, view.last_full_monitoring) == ("red", date(2026, 1, 10))
    assert view.next_full_monitoring is not None and view.next_full_monitoring > date(2026, 1, 10)


def test_risk_matrix_scores_ten_criteria_and_counts_unrecorded_officer_criteria_as_amber():
    matrix = assess(PID, fold_all([registered()]), date(2026, 3, 1))
    assert len(matrix.criteria) == 10
    officer = [c for c in matrix.criteria if c.recorded_by_officer]
    assert [c.number for c in officer] == [3, 4, 5, 6, 7]
    assert all(c.rag == "amber" for c in officer)
    # 1 unknown rating amber (5), 2 green, 8 green, 9 green, 10 green: 5 + 4 * 10 + 5 * 5
    assert matrix.score == 70


def test_risk_matrix_reds_for_inadequate_rating_and_two_changes_within_a_year():
    events = [
        registered(),
        stored(f"provider-{PID}", CqcRatingPublished(provider_id=PID, report_date=date(2026, 1, 2),
                                                     overall="inadequate"), at(1, 2)),
        stored(f"provider-{PID}", OwnershipChanged(provider_id=PID, previous_owner="a",
                                                   new_owner="b"), at(1, 3)),
        stored(f"provider-{PID}", OwnershipChanged(provider_id=PID, previous_owner="b",
                                                   new_owner="c"), at(1, 4)),
    ]
    matrix = assess(PID, fold_all(events), date(2026, 3, 1))
    by_number = {c.number: c.rag for c in matrix.criteria}
    assert (by_number[1], by_number[2]) == ("red", "red")
    # Two changes a year and more ago no longer count.
    later = assess(PID, fold_all(events), date(2027, 3, 1))
    assert {c.number: c.rag for c in later.criteria}[2] == "green"


def test_triage_fold_tracks_state_owner_risk_and_the_service_level_due_next():
    projection = TriageProjection()
    logged = stored("intelligence-r", IntelligenceLogged(
        record_id="r", provider_id=PID, source="complaint", received_at=at(3, 2),
        summary="x"), at(3, 2))
    state = projection.fold(None, logged)
    assert (state["state"], state["service_level"]) == ("logged", "allocation")
    assert state["due_at"].startswith("2026-03-03")  # 1 working day after Monday receipt
    state = projection.fold(state, stored("intelligence-r", IntelligenceAllocated(
        record_id="r", officer="bob"), at(3, 2)))
    assert (state["assigned_to"], state["service_level"]) == ("bob", "risk_assessment")
    assert state["due_at"].startswith("2026-03-04")
    state = projection.fold(state, stored("intelligence-r", RiskAssessed(
        record_id="r", risk="critical", action_required=True, rationale="x"), at(3, 3)))
    assert (state["risk"], state["service_level"]) == ("critical", "first_action")


def test_statistics_fold_keeps_sanction_periods_with_their_dates():
    s = None
    for event in (
        stored(f"escalation-{PID}", ContractSuspended(provider_id=PID, from_stage="monitoring",
                                                      reason="r"), at(2, 1)),
        stored(f"escalation-{PID}", SanctionLifted(provider_id=PID, from_stage="contract_suspension",
                                                   to_stage="monitoring", improvement="i"), at(3, 1)),
    ):
        s = statistics_fold(s, event)
    assert s["periods"] == [["contract_suspension", "2026-02-01", "2026-03-01"],
                            ["monitoring", "2026-03-01", None]]


def test_financial_years_and_north_northamptonshire_groups():
    assert financial_year(date(2015, 3, 31)) == "2014/15"
    assert financial_year(date(2015, 4, 1)) == "2015/16"
    assert plan_group("home_care", "OP") == "older_person_domiciliary"
    assert plan_group("care_home_nursing", "LD,PDSI") == "working_age_residential_nursing"
    assert plan_group("supported_living", "MH") == "working_age_supported_living_domiciliary"
    assert plan_group("day_service", "OP") == "day_services"


def test_the_filter_of_written_keys_never_forgets_a_key_and_is_rarely_wrong_about_others() -> None:
    from casework.projections.fold import WrittenKeys

    written = WrittenKeys(first=1000)  # grows through many filters
    assert not written
    keys = [f"intelligence-{n:08x}" for n in range(50_000)]
    written.update(keys[:30_000])
    written.update(keys[10_000:])  # some written again
    assert written
    assert all(k in written for k in keys)
    others = [f"visit-{n:08x}" for n in range(50_000)]
    assert sum(k in written for k in others) < 0.01 * len(others)
