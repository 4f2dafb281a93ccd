"""Contract compliance escalation: the full path, skips, lifts and refusals (pure, no database).
The rules of termination and immediate termination: tests/domain/test_escalation_ladder.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from casework.domain.actors import Actor, Role
from casework.domain.aggregate import Context
from casework.domain.errors import InvalidInput, NotAllowed
from casework.domain.escalation import (
    ESCALATION_LIFECYCLE,
    ApproveImmediateTermination,
    EscalateContract,
    EscalationState,
    LiftSanction,
    ProposeImmediateTermination,
    RejectImmediateTermination,
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
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CTX = Context.fixed(NOW, actor=Actor("ann", Role.manager))


def at(stage: SanctionStage) -> EscalationState:
    return EscalationState(P, stage, notice_issued_at=NOW - timedelta(days=91)
                           if stage is S.final_notice_90_day else None)


def test_escalating_one_stage_at_a_time_then_terminating_after_the_notice() -> None:
    state = EscalationState(P)
    produced = []
    for _ in range(3):
        events = decide(state, EscalateContract(provider_id=P, reason="not improving"), CTX)
        produced += [type(e) for e in events]
        for e in events:
            state = evolve(state, e)
    later = Context.fixed(NOW + timedelta(days=90), actor=Actor("ann", Role.manager))
    for e in decide(state, TerminateContract(provider_id=P, reason="no improvement"), later):
        produced.append(type(e))
        state = evolve(state, e)
    assert produced == [RequirementToImproveIssued, ContractSuspended, FinalNoticeIssued, ContractTerminated]
    assert state.stage is S.terminated
    assert state.version == 4


@pytest.mark.parametrize(
    ("stage", "command", "expected"),
    [
        (S.monitoring, EscalateContract(provider_id=P, reason="r"), RequirementToImproveIssued),
        (S.requirement_to_improve, EscalateContract(provider_id=P, reason="r"), ContractSuspended),
        (S.contract_suspension, EscalateContract(provider_id=P, reason="r"), FinalNoticeIssued),
        (S.final_notice_90_day, TerminateContract(provider_id=P, reason="r"), ContractTerminated),
        (S.monitoring, EscalateContract(provider_id=P, to=S.contract_suspension, reason="serious risk",
                                        grounds="serious safeguarding failure"), ContractSuspended),
        (S.requirement_to_improve, LiftSanction(provider_id=P, improvement="plan met"), SanctionLifted),
        (S.contract_suspension,
         LiftSanction(provider_id=P, to=S.requirement_to_improve, improvement="better"), SanctionLifted),
        (S.final_notice_90_day, LiftSanction(provider_id=P, to=S.contract_suspension, improvement="better"),
         SanctionLifted),
    ],
)
def test_allowed_transitions(stage, command, expected) -> None:
    [event] = decide(at(stage), command, CTX)
    assert type(event) is expected
    assert event.from_stage is stage


def test_a_skip_records_the_stages_passed_over_the_grounds_and_the_reason() -> None:
    [event] = decide(at(S.monitoring), EscalateContract(
        provider_id=P, to=S.final_notice_90_day, reason="residents at risk",
        grounds="serious safeguarding failure"), CTX)
    assert isinstance(event, FinalNoticeIssued)
    assert event.skipped_stages == [S.requirement_to_improve, S.contract_suspension]
    assert (event.reason, event.grounds) == ("residents at risk", "serious safeguarding failure")


@pytest.mark.parametrize(
    ("stage", "command", "error"),
    [
        (S.terminated, EscalateContract(provider_id=P, reason="x"), NotAllowed),
        (S.terminated, LiftSanction(provider_id=P, improvement="x"), NotAllowed),
        (S.terminated, TerminateContract(provider_id=P, reason="x"), NotAllowed),
        (S.monitoring, LiftSanction(provider_id=P, improvement="x"), NotAllowed),
        (S.monitoring, TerminateContract(provider_id=P, reason="residents in danger"), NotAllowed),
        (S.final_notice_90_day, EscalateContract(provider_id=P, reason="x"), NotAllowed),
        (S.final_notice_90_day, LiftSanction(provider_id=P, to=S.requirement_to_improve, improvement="x"),
         NotAllowed),  # more than one stage down, and not to monitoring
        (S.contract_suspension, EscalateContract(provider_id=P, to=S.requirement_to_improve, reason="x"),
         NotAllowed),
        (S.contract_suspension, EscalateContract(provider_id=P, to=S.contract_suspension, reason="x"),
         NotAllowed),
        (S.monitoring, EscalateContract(provider_id=P, to=S.contract_suspension, reason="x"),
         InvalidInput),  # no grounds
        (S.monitoring, EscalateContract(provider_id=P, reason=""), InvalidInput),  # no reason
        (S.requirement_to_improve, LiftSanction(provider_id=P, improvement="  "), InvalidInput),
    ],
)
def test_refused_transitions(stage, command, error) -> None:
    with pytest.raises(error):
        decide(at(stage), command, CTX)


def test_a_refusal_names_the_state_and_the_allowed_actions() -> None:
    with pytest.raises(NotAllowed) as refused:
        decide(at(S.terminated), EscalateContract(provider_id=P, reason="x"), CTX)
    assert refused.value.state == "terminated"
    assert refused.value.allowed == []
    assert "final" in str(refused.value)


def test_only_managers_issue_and_lift_sanctions() -> None:
    for command in (EscalateContract, LiftSanction, TerminateContract, ProposeImmediateTermination,
                    ApproveImmediateTermination, RejectImmediateTermination):
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


def test_stage_actions_come_from_the_one_lifecycle_table() -> None:
    immediate = {"propose_termination", "approve_termination", "reject_termination"}
    assert ESCALATION_LIFECYCLE.allowed_actions("monitoring") == {"escalate"} | immediate
    assert ESCALATION_LIFECYCLE.allowed_actions("contract_suspension") == {"escalate", "lift"} | immediate
    assert ESCALATION_LIFECYCLE.allowed_actions("final_notice_90_day") == {"terminate", "lift"} | immediate
    assert ESCALATION_LIFECYCLE.destinations("final_notice_90_day", "lift") == [
        "monitoring", "contract_suspension",
    ]
    assert ESCALATION_LIFECYCLE.destinations("monitoring", "escalate") == [
        "requirement_to_improve", "contract_suspension", "final_notice_90_day",
    ]


def test_the_council_configures_its_grounds_and_approval_window(monkeypatch) -> None:
    from casework.bootstrap import sanction_policy
    from casework.domain.policy import DeadlinePolicy, Period
    from casework.settings import Settings, load_settings

    monkeypatch.setenv("CASEWORK_SERIOUS_BREACH_GROUNDS", '["abandonment of the service", "fraud"]')
    monkeypatch.setenv("CASEWORK_TERMINATION_APPROVAL_DAYS", "3")
    policy = sanction_policy(load_settings(), DeadlinePolicy(final_notice_expiry=Period(days=60)))
    assert policy.grounds == ("abandonment of the service", "fraud")
    assert policy.proposal_lapses(NOW) == NOW + timedelta(days=3)
    assert policy.notice_expires(NOW) == NOW + timedelta(days=60) - timedelta(hours=1)  # into BST
    monkeypatch.delenv("CASEWORK_SERIOUS_BREACH_GROUNDS")
    monkeypatch.delenv("CASEWORK_TERMINATION_APPROVAL_DAYS")
    default = sanction_policy(load_settings(), DeadlinePolicy())
    assert "serious safeguarding failure" in default.grounds
    assert default.proposal_lapses(NOW) == NOW + timedelta(days=7)
    with pytest.raises(ValueError, match="named once"):
        Settings(serious_breach_grounds=["fraud", "Fraud"])
