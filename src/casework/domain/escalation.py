"""Contract compliance escalation, one per provider (stream ``escalation-<provider_id>``).

The ladder (Nottingham City's four stages): monitoring -> requirement_to_improve ->
contract_suspension -> final_notice_90_day -> terminated. From contract_suspension on, the
provider is closed to new placements.

- A manager escalates one stage at a time, naming the reason. Skipping a stage needs grounds
  from the council's list of serious breaches (``SanctionPolicy.grounds``) as well.
- ``terminate`` follows a 90 day final notice only, once its period (the deadline policy's
  ``final_notice_expiry``) has run.
- Immediate termination for a serious breach, from any stage and before a notice ran its
  course, is two steps by two managers: ``propose_termination`` (grounds from the list and a
  written reason), then ``approve_termination`` by another manager within the approval window
  (or ``reject_termination``: by another manager, or withdrawn by its proposer). An unapproved
  proposal lapses; the lapse is recorded with the next step on the contract. While a proposal
  waits, the ladder does not move.
- ``lift`` (naming the verified improvement) returns to monitoring or one stage down.
- ``terminated`` is final.

The lifecycle table says which actions each stage has; ``refusal`` adds the guards of time,
grounds and people. Together they are the one truth: ``decide`` refuses with them, and
``ladder_steps`` lists every action with whether it is allowed now and, if not, why (the API's
``actions`` and the buttons a page offers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from types import MappingProxyType
from typing import ClassVar

from casework.domain.actors import Role
from casework.domain.aggregate import Aggregate, Command, Context, Route
from casework.domain.errors import InvalidInput, NotAllowed
from casework.domain.fields import Identifier, Label, Text
from casework.domain.lifecycle import Lifecycle, Row
from casework.domain.sanction_policy import DEFAULT_SANCTION_POLICY, SanctionPolicy
from casework.events.base import DomainEvent
from casework.events.sanctions import (
    ISSUED_BY_STAGE,
    STAGE_ENTERED,
    STAGE_ORDER,
    ContractTerminated,
    FinalNoticeIssued,
    ImmediateTerminationApproved,
    ImmediateTerminationLapsed,
    ImmediateTerminationProposed,
    ImmediateTerminationRejected,
    SanctionIssued,
    SanctionLifted,
    SanctionStage,
)

S = SanctionStage
LADDER = STAGE_ORDER[:-1]  # every stage but terminated

# Every action of the ladder, in the order a page offers them.
ACTIONS: tuple[str, ...] = (
    "escalate", "terminate", "propose_termination", "approve_termination", "reject_termination", "lift",
)
# In words, for messages and pages.
ACTION_WORDS: Mapping[str, str] = MappingProxyType({
    "escalate": "escalate",
    "terminate": "terminate the contract",
    "propose_termination": "propose immediate termination",
    "approve_termination": "approve immediate termination",
    "reject_termination": "reject or withdraw the proposal",
    "lift": "lift the sanction",
})
STAGE_WORDS: Mapping[str, str] = MappingProxyType({
    S.monitoring: "monitoring (no sanction)",
    S.requirement_to_improve: "requirement to improve",
    S.contract_suspension: "contract suspension",
    S.final_notice_90_day: "90 day final notice",
    S.terminated: "terminated",
})


def _rank(stage: SanctionStage) -> int:
    return STAGE_ORDER.index(stage)


def _escalation_rows() -> list[Row]:
    rows: list[Row] = []
    for source in LADDER[:-1]:
        # up the ladder to the final notice at most: termination is never an escalation
        rows += [("escalate", source, dest) for dest in LADDER[_rank(source) + 1 :]]
    rows.append(("terminate", S.final_notice_90_day, S.terminated))
    for source in LADDER:
        rows += [
            ("propose_termination", source, source),
            ("approve_termination", source, S.terminated),
            ("reject_termination", source, source),
        ]
    for source in (S.requirement_to_improve, S.contract_suspension, S.final_notice_90_day):
        rows.append(("lift", source, S.monitoring))
        if source is not S.requirement_to_improve:
            rows.append(("lift", source, STAGE_ORDER[_rank(source) - 1]))
    return rows


ESCALATION_LIFECYCLE = Lifecycle("contract escalation", STAGE_ORDER, _escalation_rows(), S.monitoring)

CLOSED_TO_PLACEMENTS = frozenset({S.contract_suspension, S.final_notice_90_day, S.terminated})

# The stage each escalating event enters, by type name (a lift names its own: ``to_stage``).
STAGE_ENTERED_BY_TYPE: Mapping[str, SanctionStage] = MappingProxyType(
    {cls.type_name: stage for cls, stage in STAGE_ENTERED.items()}
)


def closed_to_new_placements(stage: SanctionStage) -> bool:
    """True from contract_suspension on: no new placements with this provider."""
    return stage in CLOSED_TO_PLACEMENTS


@dataclass(frozen=True)
class Proposal:
    """An immediate termination awaiting a second manager."""

    grounds: str
    reason: str
    proposed_by: str
    proposed_at: datetime


@dataclass(frozen=True)
class EscalationState:
    provider_id: str
    stage: SanctionStage = S.monitoring
    version: int = 0
    notice_issued_at: datetime | None = None  # the final notice in force, when at that stage
    proposal: Proposal | None = None  # the last proposal not yet approved, rejected or lapsed


# ----------------------------------------------------------------------------- commands
class EscalateContract(Command):
    """Escalate to ``to`` (default: the next stage), naming the reason. Skipping a stage needs
    ``grounds`` from the council's list of serious breaches."""

    permitted: ClassVar[frozenset[Role]] = frozenset({Role.manager})
    verb: ClassVar[str] = "escalate a contract sanction"
    provider_id: Identifier
    to: SanctionStage | None = None
    reason: Text
    grounds: Label | None = None


class TerminateContract(Command):
    """Terminate once the 90 day final notice has run its course."""

    permitted: ClassVar[frozenset[Role]] = frozenset({Role.manager})
    verb: ClassVar[str] = "terminate a contract"
    provider_id: Identifier
    reason: Text


class ProposeImmediateTermination(Command):
    """The first of two managers: terminate at once for a serious breach."""

    permitted: ClassVar[frozenset[Role]] = frozenset({Role.manager})
    verb: ClassVar[str] = "propose immediate termination"
    provider_id: Identifier
    grounds: Label
    reason: Text


class ApproveImmediateTermination(Command):
    """The second manager (not the proposer) approves: the contract is terminated."""

    permitted: ClassVar[frozenset[Role]] = frozenset({Role.manager})
    verb: ClassVar[str] = "approve immediate termination"
    provider_id: Identifier
    note: Text = ""


class RejectImmediateTermination(Command):
    """Another manager rejects the proposal, or its proposer withdraws it."""

    permitted: ClassVar[frozenset[Role]] = frozenset({Role.manager})
    verb: ClassVar[str] = "reject immediate termination"
    provider_id: Identifier
    reason: Text


class LiftSanction(Command):
    """Verified improvement: back to ``to`` (monitoring, the default, or one stage down)."""

    permitted: ClassVar[frozenset[Role]] = frozenset({Role.manager})
    verb: ClassVar[str] = "lift a contract sanction"
    provider_id: Identifier
    to: SanctionStage = S.monitoring
    improvement: Text


ACTION_OF_COMMAND: Mapping[type[Command], str] = MappingProxyType({
    EscalateContract: "escalate",
    TerminateContract: "terminate",
    ProposeImmediateTermination: "propose_termination",
    ApproveImmediateTermination: "approve_termination",
    RejectImmediateTermination: "reject_termination",
    LiftSanction: "lift",
})
COMMAND_OF_ACTION: Mapping[str, type[Command]] = MappingProxyType(
    {action: command for command, action in ACTION_OF_COMMAND.items()}
)


# ----------------------------------------------------------------------------- evolve
def evolve(state: EscalationState, event: DomainEvent) -> EscalationState:
    version = state.version + 1
    match event:
        case SanctionIssued():
            issued = event.issued_at if isinstance(event, FinalNoticeIssued) else None
            return replace(state, stage=STAGE_ENTERED[type(event)], version=version,
                           notice_issued_at=issued, proposal=None)
        case SanctionLifted():
            return replace(state, stage=event.to_stage, version=version, notice_issued_at=None,
                           proposal=None)
        case ImmediateTerminationProposed():
            proposal = Proposal(event.grounds, event.reason, event.proposed_by, event.proposed_at)
            return replace(state, version=version, proposal=proposal)
        case ImmediateTerminationRejected() | ImmediateTerminationLapsed():
            return replace(state, version=version, proposal=None)
        case ImmediateTerminationApproved():
            return replace(state, version=version)
    return state


# ----------------------------------------------------------------------------- the guards
def day(instant: datetime, policy: SanctionPolicy = DEFAULT_SANCTION_POLICY) -> str:
    """``4 Mar 2019``: the council-local date of ``instant``."""
    local = instant.astimezone(policy.timing.policy.zone)
    return f"{local.day} {local:%b %Y}"


def days_left(until: datetime, at: datetime, policy: SanctionPolicy = DEFAULT_SANCTION_POLICY) -> int:
    """Whole council-local days from ``at`` to ``until`` (0 on the day, negative after)."""
    zone = policy.timing.policy.zone
    return (until.astimezone(zone).date() - at.astimezone(zone).date()).days


def notice_expires(state: EscalationState, policy: SanctionPolicy) -> datetime | None:
    """When the final notice in force runs out (None when none is, or its date is unknown)."""
    if state.stage is not S.final_notice_90_day or state.notice_issued_at is None:
        return None
    return policy.notice_expires(state.notice_issued_at)


def pending_proposal(state: EscalationState, at: datetime, policy: SanctionPolicy) -> Proposal | None:
    """The proposal still awaiting approval at ``at`` (None when there is none or it lapsed)."""
    p = state.proposal
    if p is None or at >= policy.proposal_lapses(p.proposed_at):
        return None
    return p


def _not_on_this_stage(state: EscalationState, action: str) -> str:
    stage = state.stage
    if ESCALATION_LIFECYCLE.is_final(stage):
        return "the contract is terminated: termination is final"
    if action == "terminate":
        return (f"termination follows a 90 day final notice once it has run its course, and the "
                f"contract is at {STAGE_WORDS[stage]}; for a serious breach, propose immediate "
                "termination (a second manager approves)")
    if action == "escalate":
        return ("the 90 day final notice is the last stage: terminate once it has run its course, "
                "or propose immediate termination for a serious breach")
    if action == "lift":
        return "there is no sanction to lift"
    return f"not possible at {STAGE_WORDS[stage]}"


def refusal(
    state: EscalationState, action: str, *, at: datetime, actor: str,
    policy: SanctionPolicy = DEFAULT_SANCTION_POLICY,
) -> str | None:
    """Why ``actor`` may not take ``action`` at ``at``, in words; None when it is allowed.
    The lifecycle table's stages first, then the guards of proposals, people and time."""
    if ESCALATION_LIFECYCLE.is_final(state.stage):
        return _not_on_this_stage(state, action)
    waiting = pending_proposal(state, at, policy)
    if action in ("approve_termination", "reject_termination"):
        p = state.proposal
        if p is None:
            return "no immediate termination has been proposed"
        if waiting is None:
            return (f"the proposal of {day(p.proposed_at, policy)} lapsed unapproved on "
                    f"{day(policy.proposal_lapses(p.proposed_at), policy)}; propose again if the "
                    "grounds still hold")
        if at < p.proposed_at:
            return f"it was proposed on {day(p.proposed_at, policy)}: a decision cannot precede it"
        if action == "approve_termination" and actor == p.proposed_by:
            return f"{actor} proposed it: a second manager must approve (four eyes)"
        return None
    if waiting is not None:
        return (f"an immediate termination proposed by {waiting.proposed_by} on "
                f"{day(waiting.proposed_at, policy)} awaits a second manager until "
                f"{day(policy.proposal_lapses(waiting.proposed_at), policy)}: approve or reject it first")
    if action not in ESCALATION_LIFECYCLE.allowed_actions(state.stage):
        return _not_on_this_stage(state, action)
    if action == "terminate":
        expires = notice_expires(state, policy)
        if expires is None:
            return ("the final notice's issue date was not recorded, so when it runs out is not "
                    "known; propose immediate termination instead")
        if at < expires:
            left = days_left(expires, at, policy)
            when = "it runs out later today" if left <= 0 else f"{left} day{'s' if left != 1 else ''} left"
            return f"the final notice runs until {day(expires, policy)} ({when})"
    return None


@dataclass(frozen=True)
class LadderStep:
    """One action of the ladder now: allowed or not, and why not; where it may lead."""

    action: str
    allowed: bool
    reason: str = ""
    to: tuple[str, ...] = ()

    @property
    def words(self) -> str:
        return ACTION_WORDS[self.action]


def ladder_steps(
    state: EscalationState, *, at: datetime, actor: str,
    policy: SanctionPolicy = DEFAULT_SANCTION_POLICY,
) -> list[LadderStep]:
    """Every action of the ladder for ``actor`` at ``at``: what ``decide`` would allow."""
    steps = []
    for action in ACTIONS:
        why = refusal(state, action, at=at, actor=actor, policy=policy)
        to = () if why else tuple(ESCALATION_LIFECYCLE.destinations(state.stage, action))
        steps.append(LadderStep(action, why is None, why or "", to))
    return steps


def allowed_now(
    state: EscalationState, *, at: datetime, actor: str, policy: SanctionPolicy = DEFAULT_SANCTION_POLICY
) -> list[str]:
    return [s.action for s in ladder_steps(state, at=at, actor=actor, policy=policy) if s.allowed]


# ----------------------------------------------------------------------------- decide
def decide(state: EscalationState, command: Command, ctx: Context) -> list[DomainEvent]:
    action = ACTION_OF_COMMAND.get(type(command))
    if action is None:
        raise TypeError(f"escalation cannot handle {type(command).__name__}")
    policy: SanctionPolicy = ctx.sanctions or DEFAULT_SANCTION_POLICY
    at, actor = ctx.occurred_at, ctx.actor.name
    why = refusal(state, action, at=at, actor=actor, policy=policy)
    if why is not None:
        raise NotAllowed(
            ESCALATION_LIFECYCLE.kind, state.provider_id, state.stage, action,
            allowed_now(state, at=at, actor=actor, policy=policy), why,
        )
    events = _lapsed(state, at, policy)
    match command:
        case EscalateContract():
            events.append(_escalate(state, command, at, policy))
        case TerminateContract():
            _require(command.reason, "reason", "say why the contract is terminated")
            events.append(ContractTerminated(
                provider_id=state.provider_id, from_stage=state.stage, reason=command.reason))
        case ProposeImmediateTermination():
            ground = _ground(command.grounds, policy, "immediate termination")
            _require(command.reason, "reason", "write the reason for terminating at once")
            events.append(ImmediateTerminationProposed(
                provider_id=state.provider_id, stage=state.stage, grounds=ground,
                reason=command.reason, proposed_by=actor, proposed_at=at,
            ))
        case ApproveImmediateTermination():
            events += _approve(state, command, actor)
        case RejectImmediateTermination():
            assert state.proposal is not None  # refusal() checked it
            _require(command.reason, "reason", "say why the proposal is rejected or withdrawn")
            events.append(ImmediateTerminationRejected(
                provider_id=state.provider_id, proposed_by=state.proposal.proposed_by,
                rejected_by=actor, withdrawn=actor == state.proposal.proposed_by,
                reason=command.reason,
            ))
        case LiftSanction():
            events.append(_lift(state, command))
    return events


def _require(value: str, field: str, what: str) -> None:
    if not value.strip():
        raise InvalidInput(field, f"must not be empty: {what}")


def _ground(given: str | None, policy: SanctionPolicy, what: str) -> str:
    ground = policy.ground(given)
    if ground is None:
        listed = "; ".join(policy.grounds)
        if (given or "").strip():
            raise InvalidInput("grounds", f"{given!r} is not one of the council's serious breaches "
                                          f"({listed}); {what} needs one of them")
        raise InvalidInput("grounds", f"{what} needs grounds: one of the council's serious "
                                      f"breaches ({listed})")
    return ground


def _lapsed(state: EscalationState, at: datetime, policy: SanctionPolicy) -> list[DomainEvent]:
    """A proposal that lapsed unapproved is recorded as lapsed before the next step."""
    p = state.proposal
    if p is None or pending_proposal(state, at, policy) is not None:
        return []
    return [ImmediateTerminationLapsed(
        provider_id=state.provider_id, proposed_by=p.proposed_by, proposed_at=p.proposed_at,
        lapsed_at=policy.proposal_lapses(p.proposed_at),
    )]


def _escalate(
    state: EscalationState, command: EscalateContract, at: datetime, policy: SanctionPolicy
) -> SanctionIssued:
    wanted = command.to or STAGE_ORDER[_rank(state.stage) + 1]
    hint = ("escalation only moves up, to the 90 day final notice at most; to go down, lift the "
            "sanction; termination is its own action")
    ESCALATION_LIFECYCLE.check_to(state.provider_id, state.stage, "escalate", wanted, hint=hint)
    _require(command.reason, "reason", f"say why the contract is escalated to {STAGE_WORDS[wanted]}")
    skipped = list(STAGE_ORDER[_rank(state.stage) + 1 : _rank(wanted)])
    ground = None
    if skipped:
        passed = ", ".join(STAGE_WORDS[s] for s in skipped)
        ground = _ground(command.grounds, policy, f"skipping {passed}")
    elif command.grounds:
        raise InvalidInput("grounds", "grounds are for skipping a stage; this step skips none")
    extra = {"issued_at": at} if wanted is S.final_notice_90_day else {}
    return ISSUED_BY_STAGE[wanted](
        provider_id=state.provider_id, from_stage=state.stage, reason=command.reason,
        skipped_stages=skipped, grounds=ground, **extra,
    )


def _approve(state: EscalationState, command: ApproveImmediateTermination, actor: str) -> list[DomainEvent]:
    p = state.proposal
    assert p is not None  # refusal() checked it
    return [
        ImmediateTerminationApproved(
            provider_id=state.provider_id, proposed_by=p.proposed_by, approved_by=actor,
            grounds=p.grounds, note=command.note,
        ),
        ContractTerminated(
            provider_id=state.provider_id, from_stage=state.stage, reason=p.reason,
            skipped_stages=list(STAGE_ORDER[_rank(state.stage) + 1 : -1]), grounds=p.grounds,
            immediate=True,
        ),
    ]


def _lift(state: EscalationState, command: LiftSanction) -> SanctionLifted:
    ESCALATION_LIFECYCLE.check_to(
        state.provider_id, state.stage, "lift", command.to,
        hint="lift returns to monitoring or one stage down",
    )
    _require(command.improvement, "improvement", "name the verified improvement that lifts the sanction")
    return SanctionLifted(
        provider_id=state.provider_id, from_stage=state.stage, to_stage=command.to,
        improvement=command.improvement,
    )


def replay(provider_id: str, events: list[DomainEvent]) -> EscalationState:
    state = EscalationState(provider_id)
    for event in events:
        state = evolve(state, event)
    return state


_BY_PROVIDER = Route(lambda c: c.provider_id, provider_of=lambda c: c.provider_id)

ESCALATION = Aggregate(
    kind="contract escalation",
    stream_prefix="escalation",
    initial=EscalationState,
    evolve=evolve,
    decide=decide,
    routes={command: _BY_PROVIDER for command in ACTION_OF_COMMAND},
    lifecycle=ESCALATION_LIFECYCLE,
    state_of=lambda s: s.stage,
    exists_without_events=True,  # every provider is in 'monitoring' before its first sanction
    allowed_now=lambda s, ctx: set(allowed_now(
        s, at=ctx.occurred_at, actor=ctx.actor.name, policy=ctx.sanctions or DEFAULT_SANCTION_POLICY)),
)


__all__ = [
    "ACTIONS",
    "ACTION_OF_COMMAND",
    "ACTION_WORDS",
    "CLOSED_TO_PLACEMENTS",
    "COMMAND_OF_ACTION",
    "ESCALATION",
    "ESCALATION_LIFECYCLE",
    "STAGE_ENTERED_BY_TYPE",
    "STAGE_WORDS",
    "ApproveImmediateTermination",
    "EscalateContract",
    "EscalationState",
    "LadderStep",
    "LiftSanction",
    "Proposal",
    "ProposeImmediateTermination",
    "RejectImmediateTermination",
    "TerminateContract",
    "allowed_now",
    "closed_to_new_placements",
    "day",
    "days_left",
    "decide",
    "evolve",
    "ladder_steps",
    "notice_expires",
    "pending_proposal",
    "refusal",
    "replay",
]
