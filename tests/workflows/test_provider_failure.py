"""Provider failure procedure and large scale enquiry: full paths and refusals."""

from __future__ import annotations

import pytest

from casework.domain.errors import NotAllowed
from casework.domain.provider_failure import (
    CloseProcedure,
    FailureStage,
    IdentifyFailureConcern,
    InitiateProcedure,
    Procedure,
    ReviewContingencyPlan,
    StartContingencyPlanning,
    StartResidentsMoving,
    decide,
    evolve,
)
from casework.events.provider_failure import FailureKind, FailureOutcome, FailureTrigger

F = FailureStage
OPEN = IdentifyFailureConcern(procedure_id="f1", provider_id="p1", trigger=FailureTrigger.financial_collapse,
                              summary="administrators appointed")
INITIATE = InitiateProcedure(procedure_id="f1", lead="mia")
PLAN = StartContingencyPlanning(procedure_id="f1", strategy_meeting_notes="held with CQC and ICB")
REVIEW = ReviewContingencyPlan(procedure_id="f1", note="12 moves planned", residents_moves_planned=12)
MOVE = StartResidentsMoving(procedure_id="f1", residents_to_move=12)
EXITED = CloseProcedure(procedure_id="f1", outcome=FailureOutcome.provider_exited, note="all moved")
RECOVERED = CloseProcedure(procedure_id="f1", outcome=FailureOutcome.recovered, note="buyer found")


def walk(*commands) -> Procedure:
    proc = Procedure("f1")
    for command in commands:
        for event in decide(proc, command):
            proc = evolve(proc, event)
    return proc


def test_full_path_to_provider_exited() -> None:
    proc = walk(OPEN, INITIATE, PLAN, REVIEW, REVIEW, MOVE, EXITED)
    assert proc.stage is F.closed_provider_exited
    assert proc.allowed_actions == set()


@pytest.mark.parametrize(
    ("path", "stage"),
    [
        ((OPEN,), F.concern_identified),
        ((OPEN, INITIATE), F.procedure_initiated),
        ((OPEN, INITIATE, PLAN), F.contingency_planning),
        ((OPEN, INITIATE, PLAN, MOVE), F.residents_moving),
        ((OPEN, INITIATE, PLAN, RECOVERED), F.closed_recovered),
        ((OPEN, RECOVERED), F.closed_recovered),
    ],
)
def test_paths(path, stage) -> None:
    assert walk(*path).stage is stage


@pytest.mark.parametrize(
    "path",
    [
        (INITIATE,),  # nothing opened yet
        (OPEN, PLAN),  # the procedure must be initiated (strategy meeting) first
        (OPEN, INITIATE, MOVE),  # moves are planned in contingency planning first
        (OPEN, INITIATE, PLAN, EXITED),  # the provider exits once residents have moved
        (OPEN, INITIATE, PLAN, MOVE, REVIEW),
        (OPEN, INITIATE, PLAN, MOVE, EXITED, RECOVERED),  # closed is final
        (OPEN, OPEN),
    ],
)
def test_refused_transitions(path) -> None:
    with pytest.raises(NotAllowed):
        walk(*path)


def test_a_large_scale_enquiry_follows_the_same_shape() -> None:
    lse = OPEN.model_copy(update={"kind": FailureKind.large_scale_enquiry})
    assert walk(lse, INITIATE, PLAN, MOVE, EXITED).kind is FailureKind.large_scale_enquiry


def test_only_managers_open_and_initiate_procedures() -> None:
    assert {r.value for r in IdentifyFailureConcern.permitted} == {"manager"}
    assert {r.value for r in InitiateProcedure.permitted} == {"manager"}


@pytest.mark.parametrize("lead", ["", "   "])
def test_a_procedure_needs_a_lead_to_own_its_deadlines(lead) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as refused:
        InitiateProcedure(procedure_id="f1", lead=lead)
    assert refused.value.errors()[0]["loc"] == ("lead",)
