"""Contract compliance escalation: the full path, skips, lifts and refusals (pure, no database)."""

from __future__ import annotations

import pytest

from casework.domain.errors import InvalidInput, NotAllowed
from casework.domain.escalation import (
    ESCALATION_LIFECYCLE,
    EscalateContract,
    EscalationState,
    LiftSanction,
    TerminateContract,
    closed_to_new_placements,
    decide,
    evolve,
)
from casework.events.sanctions import (
    ContractSuspended,
    ContractTerminated,
    FinalNoticeIssued,
    RequirementToImproveIssued,
    SanctionLifted,
    SanctionStage,
)

S = SanctionStage
P = "provider-1"


def at(stage: SanctionStage) -> EscalationState:
    return EscalationState(P, stage)


def test_escalating_one_stage_at_a_time_walks_the_full_path_to_termination() -> None:
    state = EscalationState(P)
    produced = []
    for _ in range(4):
        events = decide(state, EscalateContract(provider_id=P, reason="not improving"))
        produced += [type(e) for e in events]
        for e in events:
            state = evolve(state, e)
    assert produced == [RequirementToImproveIssued, ContractSuspended, FinalNoticeIssued, ContractTerminated]
    assert state.stage is S.terminated
    assert state.version == 4
    assert state.allowed_actions == set()


@pytest.mark.parametrize(
    ("stage", "command", "expected"),
    [
        (S.monitoring, EscalateContract(provider_id=P), RequirementToImproveIssued),
        (S.requirement_to_improve, EscalateContract(provider_id=P), ContractSuspended),
        (S.contract_suspension, EscalateContract(provider_id=P), FinalNoticeIssued),
        (S.final_notice_90_day, EscalateContract(provider_id=P), ContractTerminated),
        (S.final_notice_90_day, TerminateContract(provider_id=P), ContractTerminated),
        (S.monitoring, EscalateContract(provider_id=P, to=S.contract_suspension, reason="serious risk"),
         ContractSuspended),
        (S.monitoring, TerminateContract(provider_id=P, reason="residents in danger"), ContractTerminated),
        (S.requirement_to_improve, LiftSanction(provider_id=P, improvement="plan met"), SanctionLifted),
        (S.contract_suspension,
         LiftSanction(provider_id=P, to=S.requirement_to_improve, improvement="better"), SanctionLifted),
        (S.final_notice_90_day, LiftSanction(provider_id=P, to=S.contract_suspension, improvement="better"),
         SanctionLifted),
    ],
)
def test_allowed_transitions(stage, command, expected) -> None:
    [event] = decide(at(stage), command)
    assert type(event) is expected
    assert event.from_stage is stage


def test_a_skip_records_the_stages_passed_over_and_the_reason() -> None:
    [event] = decide(at(S.monitoring), EscalateContract(provider_id=P, to=S.final_notice_90_day,
                                                        reason="serious safeguarding risk"))
    assert isinstance(event, FinalNoticeIssued)
    assert event.skipped_stages == [S.requirement_to_improve, S.contract_suspension]
    assert event.reason == "serious safeguarding risk"


@pytest.mark.parametrize(
    ("stage", "command", "error"),
    [
        (S.terminated, EscalateContract(provider_id=P, reason="x"), NotAllowed),
        (S.terminated, LiftSanction(provider_id=P, improvement="x"), NotAllowed),
        (S.terminated, TerminateContract(provider_id=P, reason="x"), NotAllowed),
        (S.monitoring, LiftSanction(provider_id=P, improvement="x"), NotAllowed),
        (S.final_notice_90_day, LiftSanction(provider_id=P, to=S.requirement_to_improve, improvement="x"),
         NotAllowed),  # more than one stage down, and not to monitoring
        (S.contract_suspension, EscalateContract(provider_id=P, to=S.requirement_to_improve), NotAllowed),
        (S.contract_suspension, EscalateContract(provider_id=P, to=S.contract_suspension), NotAllowed),
        (S.monitoring, EscalateContract(provider_id=P, to=S.contract_suspension), InvalidInput),  # no reason
        (S.requirement_to_improve, LiftSanction(provider_id=P, improvement="  "), InvalidInput),
    ],
)
def test_refused_transitions(stage, command, error) -> None:
    with pytest.raises(error):
        decide(at(stage), command)


def test_a_refusal_names_the_state_and_the_allowed_actions() -> None:
    with pytest.raises(NotAllowed) as refused:
        decide(at(S.terminated), EscalateContract(provider_id=P))
    assert refused.value.state == "terminated"
    assert refused.value.allowed == []
    assert "final" in str(refused.value)


def test_only_managers_issue_and_lift_sanctions() -> None:
    for command in (EscalateContract, LiftSanction, TerminateContract):
        assert {r.value for r in command.permitted} == {"manager"}


@pytest.mark.parametrize(
    ("stage", "closed"),
    [
        (S.monitoring, False),
        (S.requirement_to_improve, False),
        (S.contract_suspension, True),
        (S.final_notice_90_day, True),
        (S.terminated, True),
    ],
)
def test_provider_is_closed_to_new_placements_from_suspension_on(stage, closed) -> None:
    assert closed_to_new_placements(stage) is closed


def test_allowed_actions_come_from_the_one_lifecycle_table() -> None:
    assert ESCALATION_LIFECYCLE.allowed_actions("monitoring") == {"escalate", "terminate"}
    assert ESCALATION_LIFECYCLE.allowed_actions("contract_suspension") == {"escalate", "terminate", "lift"}
    assert ESCALATION_LIFECYCLE.destinations("final_notice_90_day", "lift") == [
        "monitoring", "contract_suspension",
    ]
