"""Visits, assessments and quality assurance frameworks, in memory."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casework.domain.errors import InvalidInput, NotAllowed
from casework.domain.frameworks import Framework, FrameworkRegistry
from casework.domain.visits import (
    ASSESSMENT,
    VISIT,
    CancelVisit,
    CompleteVisit,
    ConcludeAssessment,
    LinkAssessmentVisit,
    OpenAssessment,
    PlanVisit,
)
from casework.events.visits import VisitCompleted

from .helpers import FRAMEWORKS, NOW, context, run


def planned(ident: str = "v1"):
    return run(VISIT, ident, [PlanVisit(provider_id="p1", reason="full_monitoring",
                                        planned_for=NOW + timedelta(days=3), announced=False)])


def test_completing_with_scores_records_the_frameworks_outcome():
    command = CompleteVisit(
        visit_id="v1",
        findings="care plans out of date",
        scores={"personalised_care": "met", "staffing_and_employment": "not_met"},
    )
    [event] = VISIT.run_decide(planned(), command, context())
    assert event == VisitCompleted(
        visit_id="v1",
        findings="care plans out of date",
        framework_id="leicester-qaf",
        framework_version=1,
        scores={"personalised_care": "met", "staffing_and_employment": "not_met"},
        rag="amber",
        compliant=False,  # a red area makes it non-compliant
    )


def test_the_officer_may_give_the_rag_and_compliance_without_scores():
    [event] = VISIT.run_decide(
        planned(), CompleteVisit(visit_id="v1", findings="fine", rag="green", compliant=True), context()
    )
    assert (event.rag, event.compliant, event.framework_id) == ("green", True, None)


@pytest.mark.parametrize(
    ("scores", "field"),
    [
        ({"personalised_care": "excellent"}, "scores.personalised_care"),
        ({"food": "met"}, "scores.food"),
        ({"personalised_care": 2}, "scores.personalised_care"),
    ],
)
def test_scores_outside_the_framework_are_invalid(scores, field):
    with pytest.raises(InvalidInput) as bad:
        VISIT.run_decide(planned(), CompleteVisit(visit_id="v1", findings="f", scores=scores), context())
    assert bad.value.errors[0][0] == field


def test_an_unknown_framework_is_invalid():
    with pytest.raises(InvalidInput) as bad:
        VISIT.run_decide(
            planned(),
            CompleteVisit(visit_id="v1", findings="f", framework_id="kent", scores={"a": 1}),
            context(),
        )
    assert bad.value.errors[0][0] == "framework_id"


def test_empty_findings_are_invalid():
    with pytest.raises(InvalidInput) as bad:
        VISIT.run_decide(planned(), CompleteVisit(visit_id="v1", findings=" "), context())
    assert bad.value.errors[0][0] == "findings"


def test_a_cancelled_visit_cannot_be_completed():
    state = VISIT.fold("v1", VISIT.run_decide(planned(), CancelVisit(visit_id="v1", reason="covid"),
                                              context()), planned())
    with pytest.raises(NotAllowed) as refused:
        VISIT.run_decide(state, CompleteVisit(visit_id="v1", findings="f"), context())
    assert refused.value.state == "cancelled" and refused.value.allowed == []


def test_an_unknown_visit_reason_is_invalid():
    with pytest.raises(InvalidInput) as bad:
        PlanVisit.parse({"provider_id": "p1", "reason": "social", "planned_for": NOW.isoformat()})
    assert bad.value.errors[0][0] == "reason"


def test_an_assessment_over_two_visits_concludes_from_their_scores():
    first = VISIT.fold("v1", VISIT.run_decide(planned("v1"), CompleteVisit(
        visit_id="v1", findings="a", scores={"personalised_care": "met"}), context()), planned("v1"))
    second = VISIT.fold("v2", VISIT.run_decide(planned("v2"), CompleteVisit(
        visit_id="v2", findings="b", scores={"quality_management": "partially_met"}), context()),
        planned("v2"))
    ctx = context(known={("visit", "v1"): first, ("visit", "v2"): second})
    state = run(ASSESSMENT, "a1", [
        OpenAssessment(provider_id="p1"),
        LinkAssessmentVisit(assessment_id="a1", visit_id="v1"),
        LinkAssessmentVisit(assessment_id="a1", visit_id="v2"),
    ], ctx)
    assert state.state == "ongoing" and state.visit_ids == ("v1", "v2")
    [concluded] = ASSESSMENT.run_decide(state, ConcludeAssessment(assessment_id="a1"), ctx)
    assert (concluded.outcome, concluded.rag) == ("compliant", "amber")  # 75%: amber, no red area


def test_linking_an_unknown_visit_to_an_assessment_is_invalid():
    state = run(ASSESSMENT, "a1", [OpenAssessment(provider_id="p1")])
    with pytest.raises(InvalidInput) as bad:
        ASSESSMENT.run_decide(state, LinkAssessmentVisit(assessment_id="a1", visit_id="v9"), context())
    assert bad.value.errors[0][0] == "visit_id"


def test_nottingham_citys_43_indicator_rag_framework_needs_no_code():
    nottingham = FRAMEWORKS.get("nottingham-city-qmf")
    assert len(nottingham.indicators) == 43
    scores = {f"indicator_{n:02d}": "green" for n in range(1, 44)}
    scores["indicator_07"] = "red"
    outcome = nottingham.outcome(nottingham.validate_scores(scores))
    assert outcome.rag == "green" and outcome.compliant


def test_a_framework_version_is_configuration(tmp_path):
    leicester = FRAMEWORKS.get("leicester-qaf").model_dump()
    v2 = {**leicester, "version": 2, "rag": {"green": 90, "amber": 60}}
    (tmp_path / "framework-leicester-qaf-v2.json").write_text(Framework(**v2).model_dump_json())
    registry = FrameworkRegistry.load(tmp_path)
    assert registry.get("leicester-qaf").version == 2
    assert registry.get("leicester-qaf", 1).rag.green == 80
