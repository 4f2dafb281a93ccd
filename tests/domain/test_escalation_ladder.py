"""The escalation ladder as a council could defend it (issue 18): sequential stages, each with
its reason; termination only from a 90 day final notice that has run its course; immediate
termination for a serious breach only on listed grounds, proposed by one manager and approved by
another before the proposal lapses. Pure: no database, time from the context."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from casework.domain.actors import Actor, Role
from casework.domain.aggregate import Context
from casework.domain.errors import InvalidInput, NotAllowed
from casework.domain.escalation import (
    ESCALATION,
    ApproveImmediateTermination,
    EscalateContract,
    EscalationState,
    LiftSanction,
    ProposeImmediateTermination,
    RejectImmediateTermination,
    TerminateContract,
    allowed_now,
    ladder_steps,
    notice_expires,
)
from casework.domain.policy import DeadlinePolicy, Period, Timing
from casework.domain.sanction_policy import SanctionPolicy
from casework.events.sanctions import (
    ContractTerminated,
    FinalNoticeIssued,
    ImmediateTerminationApproved,
    ImmediateTerminationLapsed,
    ImmediateTerminationProposed,
    ImmediateTerminationRejected,
    SanctionStage,
)

S = SanctionStage
P = "provider-1"
ISSUED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ANN = Actor("ann", Role.manager)
BEN = Actor("ben", Role.manager)
POLICY = SanctionPolicy()


def ctx(at: datetime, actor: Actor = ANN, policy: SanctionPolicy = POLICY) -> Context:
    return Context.fixed(at, actor=actor, sanctions=policy)


def step(state: EscalationState, command, at: datetime, actor: Actor = ANN,
         policy: SanctionPolicy = POLICY) -> tuple[EscalationState, list]:
    events = ESCALATION.run_decide(state, command, ctx(at, actor, policy))
    return ESCALATION.fold(P, events, state), events


def at_final_notice(issued: datetime = ISSUED, policy: SanctionPolicy = POLICY) -> EscalationState:
    state = EscalationState(P)
    for days, why in ((-60, "QAF non-compliance"), (-30, "plan not delivered"), (0, "no improvement")):
        state, _ = step(state, EscalateContract(provider_id=P, reason=why), issued + timedelta(days),
                        policy=policy)
    assert state.stage is S.final_notice_90_day
    return state


# ------------------------------------------------------------------ termination after the notice
def test_three_escalations_then_terminate_in_the_same_minute_is_refused_naming_the_expiry() -> None:
    state = at_final_notice()
    with pytest.raises(NotAllowed) as refused:
        step(state, TerminateContract(provider_id=P, reason="no improvement"), ISSUED + timedelta(minutes=1))
    assert "the final notice runs until 31 May 2026 (90 days left)" in str(refused.value)
    assert "terminate" not in refused.value.allowed


def test_termination_waits_for_the_last_day_of_the_notice() -> None:
    state = at_final_notice()
    expires = notice_expires(state, POLICY)
    # 90 days later at the same local time (09:00 in March is 09:00 BST on 31 May)
    assert expires == datetime(2026, 5, 31, 8, 0, tzinfo=UTC)
    with pytest.raises(NotAllowed, match=r"\(1 day left\)"):
        step(state, TerminateContract(provider_id=P, reason="no improvement"), expires - timedelta(days=1))


def test_terminate_at_expiry_works_and_is_final() -> None:
    state = at_final_notice()
    expires = notice_expires(state, POLICY)
    state, [event] = step(state, TerminateContract(provider_id=P, reason="No improvement in 90 days"),
                          expires)
    assert isinstance(event, ContractTerminated) and not event.immediate
    assert event.from_stage is S.final_notice_90_day and event.reason == "No improvement in 90 days"
    assert state.stage is S.terminated
    assert allowed_now(state, at=expires, actor="ann") == []


def test_the_notice_period_is_the_councils_configured_one() -> None:
    short = SanctionPolicy(timing=Timing(DeadlinePolicy(final_notice_expiry=Period(days=30))))
    state = at_final_notice(policy=short)
    with pytest.raises(NotAllowed, match="runs until 1 Apr 2026"):
        step(state, TerminateContract(provider_id=P, reason="x"), ISSUED + timedelta(days=29), policy=short)
    state, _ = step(state, TerminateContract(provider_id=P, reason="x"), ISSUED + timedelta(days=30),
                    policy=short)
    assert state.stage is S.terminated


def test_the_final_notice_records_when_it_was_issued() -> None:
    state = at_final_notice()
    assert state.notice_issued_at == ISSUED


@pytest.mark.parametrize("stage", [S.monitoring, S.requirement_to_improve, S.contract_suspension])
def test_terminate_is_refused_below_the_final_notice_whatever_the_reason(stage) -> None:
    with pytest.raises(NotAllowed) as refused:
        step(EscalationState(P, stage), TerminateContract(provider_id=P, reason="fed up"), ISSUED)
    assert "termination follows a 90 day final notice" in str(refused.value)


def test_escalate_never_terminates() -> None:
    with pytest.raises(NotAllowed):
        step(at_final_notice(), EscalateContract(provider_id=P, reason="x"), ISSUED + timedelta(days=100))
    with pytest.raises(NotAllowed):
        step(EscalationState(P), EscalateContract(provider_id=P, to=S.terminated, reason="x",
                                                  grounds="fraud"), ISSUED)


# ------------------------------------------------------------------ reasons and grounds
@pytest.mark.parametrize("reason", ["", "   "])
def test_every_escalation_step_names_its_reason(reason) -> None:
    with pytest.raises(InvalidInput) as refused:
        step(EscalationState(P), EscalateContract(provider_id=P, reason=reason), ISSUED)
    assert refused.value.errors[0][0] == "reason"


def test_a_reason_longer_than_the_field_limit_is_refused() -> None:
    from casework.domain.fields import MAX_TEXT

    with pytest.raises(InvalidInput) as refused:
        EscalateContract.parse({"provider_id": P, "reason": "x" * (MAX_TEXT + 1)})
    assert refused.value.errors[0][0] == "reason"


def test_terminate_after_expiry_still_needs_a_reason() -> None:
    state = at_final_notice()
    with pytest.raises(InvalidInput, match="reason"):
        step(state, TerminateContract(provider_id=P, reason=" "), ISSUED + timedelta(days=90))


def test_lifting_names_the_verified_improvement() -> None:
    state = EscalationState(P, S.requirement_to_improve)
    with pytest.raises(InvalidInput) as refused:
        step(state, LiftSanction(provider_id=P, improvement=" "), ISSUED)
    assert refused.value.errors[0][0] == "improvement"
    state, [lifted] = step(state, LiftSanction(provider_id=P, improvement="plan verified at visit"), ISSUED)
    assert lifted.improvement == "plan verified at visit" and state.stage is S.monitoring


def test_skipping_a_stage_needs_grounds_from_the_councils_list() -> None:
    skip = {"provider_id": P, "to": S.final_notice_90_day, "reason": "residents at risk"}
    with pytest.raises(InvalidInput) as refused:
        step(EscalationState(P), EscalateContract(**skip), ISSUED)
    assert refused.value.errors[0][0] == "grounds"
    assert "serious safeguarding failure" in str(refused.value)
    with pytest.raises(InvalidInput, match="not one of"):
        step(EscalationState(P), EscalateContract(**skip, grounds="fed up"), ISSUED)
    listed = EscalateContract(**skip, grounds="Serious safeguarding failure")
    state, [event] = step(EscalationState(P), listed, ISSUED)
    assert isinstance(event, FinalNoticeIssued)
    assert event.grounds == "serious safeguarding failure"
    assert event.skipped_stages == [S.requirement_to_improve, S.contract_suspension]
    assert event.issued_at == ISSUED


# ------------------------------------------------------------------ immediate termination, four eyes
def proposed(stage: SanctionStage = S.requirement_to_improve, at: datetime = ISSUED) -> EscalationState:
    state, [event] = step(EscalationState(P, stage), ProposeImmediateTermination(
        provider_id=P, grounds="loss of CQC registration", reason="CQC cancelled the registration"), at)
    assert isinstance(event, ImmediateTerminationProposed) and event.proposed_by == "ann"
    assert state.stage is stage, "a proposal changes nothing until approved"
    return state


def test_a_second_manager_approves_an_immediate_termination() -> None:
    state = proposed()
    state, events = step(state, ApproveImmediateTermination(provider_id=P, note="agreed"),
                         ISSUED + timedelta(days=1), actor=BEN)
    approved, terminated = events
    assert isinstance(approved, ImmediateTerminationApproved)
    assert (approved.proposed_by, approved.approved_by) == ("ann", "ben")
    assert isinstance(terminated, ContractTerminated) and terminated.immediate
    assert terminated.grounds == "loss of CQC registration"
    assert terminated.skipped_stages == [S.contract_suspension, S.final_notice_90_day]
    assert state.stage is S.terminated


def test_the_proposer_may_not_approve_their_own_proposal() -> None:
    state = proposed()
    with pytest.raises(NotAllowed, match="a second manager must approve"):
        step(state, ApproveImmediateTermination(provider_id=P), ISSUED + timedelta(hours=1), actor=ANN)


def test_an_expired_proposal_cannot_be_approved() -> None:
    state = proposed()
    lapses = ISSUED + timedelta(days=7)
    with pytest.raises(NotAllowed, match="lapsed unapproved on 9 Mar 2026"):
        step(state, ApproveImmediateTermination(provider_id=P), lapses, actor=BEN)
    # one minute earlier it could have been
    state, _ = step(state, ApproveImmediateTermination(provider_id=P), lapses - timedelta(minutes=1),
                    actor=BEN)
    assert state.stage is S.terminated


def test_the_approval_window_is_configured() -> None:
    two_days = SanctionPolicy(approval_within=Period(days=2))
    state = proposed()
    with pytest.raises(NotAllowed, match="lapsed"):
        step(state, ApproveImmediateTermination(provider_id=P), ISSUED + timedelta(days=2), actor=BEN,
             policy=two_days)


def test_a_lapsed_proposal_is_recorded_with_the_next_step() -> None:
    state = proposed()
    state, events = step(state, EscalateContract(provider_id=P, reason="plan not delivered"),
                         ISSUED + timedelta(days=10))
    assert [type(e) for e in events][0] is ImmediateTerminationLapsed
    assert state.proposal is None and state.stage is S.contract_suspension


def test_a_proposal_holds_the_ladder_until_decided() -> None:
    state = proposed()
    with pytest.raises(NotAllowed, match="awaits a second manager"):
        step(state, EscalateContract(provider_id=P, reason="x"), ISSUED + timedelta(days=1))
    with pytest.raises(NotAllowed, match="awaits a second manager"):
        step(state, LiftSanction(provider_id=P, improvement="x"), ISSUED + timedelta(days=1))


def test_a_proposal_can_be_rejected_by_another_manager_or_withdrawn_by_its_proposer() -> None:
    reject = RejectImmediateTermination(provider_id=P, reason="not serious enough")
    rejected, [event] = step(proposed(), reject, ISSUED + timedelta(days=1), actor=BEN)
    assert isinstance(event, ImmediateTerminationRejected) and not event.withdrawn
    assert rejected.proposal is None and rejected.stage is S.requirement_to_improve
    withdraw = RejectImmediateTermination(provider_id=P, reason="CQC reinstated")
    withdrawn, [event] = step(proposed(), withdraw, ISSUED + timedelta(days=1), actor=ANN)
    assert event.withdrawn and withdrawn.proposal is None
    with pytest.raises(NotAllowed, match="no immediate termination has been proposed"):
        step(withdrawn, ApproveImmediateTermination(provider_id=P), ISSUED + timedelta(days=1), actor=BEN)


def test_a_proposal_needs_listed_grounds_and_a_written_reason() -> None:
    base = EscalationState(P)
    with pytest.raises(InvalidInput, match="grounds"):
        step(base, ProposeImmediateTermination(provider_id=P, grounds="fed up", reason="x"), ISSUED)
    with pytest.raises(InvalidInput, match="reason"):
        step(base, ProposeImmediateTermination(provider_id=P, grounds="fraud", reason=" "), ISSUED)
    own = SanctionPolicy(grounds=("abandonment of the service",))
    with pytest.raises(InvalidInput, match="abandonment of the service"):
        step(base, ProposeImmediateTermination(provider_id=P, grounds="fraud", reason="x"), ISSUED,
             policy=own)


def test_an_approval_cannot_be_backdated_before_its_proposal() -> None:
    state = proposed(at=ISSUED)
    with pytest.raises(NotAllowed, match="cannot precede"):
        step(state, ApproveImmediateTermination(provider_id=P), ISSUED - timedelta(days=1), actor=BEN)


# ------------------------------------------------------------------ what is offered, and why not
def test_the_steps_offered_are_exactly_what_decide_allows() -> None:
    """One truth: every action listed as allowed is accepted by decide, every other refused with
    the reason the list gives."""
    commands = {
        "escalate": EscalateContract(provider_id=P, reason="r"),
        "terminate": TerminateContract(provider_id=P, reason="r"),
        "propose_termination": ProposeImmediateTermination(provider_id=P, grounds="fraud", reason="r"),
        "approve_termination": ApproveImmediateTermination(provider_id=P),
        "reject_termination": RejectImmediateTermination(provider_id=P, reason="r"),
        "lift": LiftSanction(provider_id=P, improvement="r"),
    }
    states = [EscalationState(P, s) for s in S] + [at_final_notice(), proposed()]
    for state in states:
        for when in (ISSUED + timedelta(days=1), ISSUED + timedelta(days=95)):
            for actor in (ANN, BEN):
                for s in ladder_steps(state, at=when, actor=actor.name, policy=POLICY):
                    if s.allowed:
                        step(state, commands[s.action], when, actor)
                    else:
                        with pytest.raises(NotAllowed) as refused:
                            step(state, commands[s.action], when, actor)
                        assert s.reason in str(refused.value)


def test_at_final_notice_the_steps_say_when_termination_becomes_possible() -> None:
    state = at_final_notice()
    steps = {s.action: s for s in ladder_steps(state, at=ISSUED + timedelta(days=53), actor="ann")}
    assert not steps["terminate"].allowed
    assert steps["terminate"].reason == "the final notice runs until 31 May 2026 (37 days left)"
    assert steps["propose_termination"].allowed and steps["lift"].allowed
    assert not steps["escalate"].allowed
