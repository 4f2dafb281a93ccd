"""Answers for the escalation endpoint and provider pages: the stage, the final notice in force
(issued, runs out, days left), an immediate termination awaiting approval, every action of the
ladder with whether the asker may take it now (and why not), and the stage's deadlines.

``actions`` come from ``casework.domain.escalation.ladder_steps``: the same guards ``decide``
refuses with, at the clock's time, for the actor asking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from casework.domain.actors import Actor
from casework.domain.errors import Forbidden
from casework.domain.escalation import (
    COMMAND_OF_ACTION,
    ESCALATION,
    LadderStep,
    closed_to_new_placements,
    days_left,
    ladder_steps,
    notice_expires,
    pending_proposal,
)
from casework.domain.sanction_policy import DEFAULT_SANCTION_POLICY, SanctionPolicy
from casework.events.sanctions import SanctionStage
from casework.workflows.deadline_calendar import pending_deadlines
from casework.workflows.deadlines import Deadline


@dataclass(frozen=True)
class FinalNotice:
    issued_at: datetime
    expires_at: datetime
    days_left: int  # council-local days until it runs out; 0 on the day, negative after
    expired: bool  # it has run its course: termination may be decided

    def to_json(self) -> dict[str, Any]:
        return {
            "issued_at": self.issued_at.isoformat(), "expires_at": self.expires_at.isoformat(),
            "days_left": self.days_left, "expired": self.expired,
        }


@dataclass(frozen=True)
class ProposalStatus:
    grounds: str
    reason: str
    proposed_by: str
    proposed_at: datetime
    lapses_at: datetime
    lapsed: bool  # not approved in time (recorded as lapsed with the next step)

    def to_json(self) -> dict[str, Any]:
        return {
            "grounds": self.grounds, "reason": self.reason, "proposed_by": self.proposed_by,
            "proposed_at": self.proposed_at.isoformat(), "lapses_at": self.lapses_at.isoformat(),
            "lapsed": self.lapsed,
        }


@dataclass(frozen=True)
class EscalationStatus:
    provider_id: str
    stage: SanctionStage
    version: int
    closed_to_new_placements: bool
    allowed_actions: list[str]  # the actions of ``actions`` the asker may take now
    actions: list[LadderStep]  # every action of the ladder, allowed or not (with the reason)
    final_notice: FinalNotice | None
    proposal: ProposalStatus | None
    grounds: list[str]  # the council's serious breaches (immediate termination, skipping)
    deadlines: list[Deadline]  # the stage's pending deadlines, soonest first

    def to_json(self) -> dict[str, Any]:
        return {
            "provider_id": self.provider_id,
            "stage": str(self.stage),
            "version": self.version,
            "closed_to_new_placements": self.closed_to_new_placements,
            "allowed_actions": self.allowed_actions,
            "actions": [step_json(s) for s in self.actions],
            "final_notice": self.final_notice.to_json() if self.final_notice else None,
            "proposal": self.proposal.to_json() if self.proposal else None,
            "grounds": self.grounds,
            "deadlines": [deadline_json(d) for d in self.deadlines],
        }


def step_json(s: LadderStep) -> dict[str, Any]:
    return {"action": s.action, "allowed": s.allowed, "reason": s.reason, "to": list(s.to)}


def deadline_json(d: Deadline) -> dict[str, Any]:
    return {
        "id": d.deadline_id,
        "provider_id": d.provider_id,
        "kind": str(d.kind),
        "title": d.title,
        "due_at": d.due_at.isoformat(),
        "owner": d.owner,
        "source": d.source,
    }


def _for_role(step: LadderStep, actor: Actor | None) -> LadderStep:
    """The step as ``actor``'s role finds it: the command's ``permitted`` roles decide."""
    command = COMMAND_OF_ACTION[step.action]
    if actor is None or actor.role in command.permitted:
        return step
    return LadderStep(step.action, False, str(Forbidden(actor.role.value, command.describe())))


def escalation_status(cw: Any, provider_id: str, actor: Actor | None = None) -> EscalationStatus:
    """The provider's escalation now (the clock's time), for ``actor`` (their role decides what
    they may do, their name whether they may approve a proposal: not their own; None: as any
    manager would find it), with its pending deadlines (from the
    deadline read model, which this process catches up as it appends: the answer to a command
    just executed already includes the deadlines it set)."""
    policy: SanctionPolicy = getattr(cw, "sanctions", None) or DEFAULT_SANCTION_POLICY
    now = cw.clock.now()
    loaded = cw.application.read(ESCALATION, provider_id)
    state = loaded.state
    stream = ESCALATION.stream(provider_id)
    steps = [_for_role(s, actor) for s in
             ladder_steps(state, at=now, actor=actor.name if actor else "", policy=policy)]
    notice = None
    expires = notice_expires(state, policy)
    if expires is not None and state.notice_issued_at is not None:
        notice = FinalNotice(state.notice_issued_at, expires, days_left(expires, now, policy),
                             now >= expires)
    proposal = None
    if state.proposal is not None:
        p = state.proposal
        proposal = ProposalStatus(p.grounds, p.reason, p.proposed_by, p.proposed_at,
                                  policy.proposal_lapses(p.proposed_at),
                                  pending_proposal(state, now, policy) is None)
    return EscalationStatus(
        provider_id=provider_id,
        stage=state.stage,
        version=loaded.version,
        closed_to_new_placements=closed_to_new_placements(state.stage),
        allowed_actions=[s.action for s in steps if s.allowed],
        actions=steps,
        final_notice=notice,
        proposal=proposal,
        grounds=list(policy.grounds),
        deadlines=pending_deadlines(cw, provider_id=provider_id, source=stream),
    )
