"""Contract compliance escalation: the sanctions a manager issues and lifts (stream
``escalation-<provider_id>``). Stages in order: monitoring -> requirement_to_improve ->
contract_suspension -> final_notice_90_day -> terminated."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from casework.events.base import DomainEvent


class SanctionStage(StrEnum):
    monitoring = "monitoring"
    requirement_to_improve = "requirement_to_improve"
    contract_suspension = "contract_suspension"
    final_notice_90_day = "final_notice_90_day"
    terminated = "terminated"


STAGE_ORDER: tuple[SanctionStage, ...] = tuple(SanctionStage)


class SanctionIssued(DomainEvent):
    """A stage entered by escalation. ``skipped_stages`` are those passed over: that needs
    ``grounds`` from the council's list of serious breaches (None where no stage was skipped)."""

    provider_id: str
    from_stage: SanctionStage
    reason: str
    skipped_stages: list[SanctionStage] = []
    grounds: str | None = None


class RequirementToImproveIssued(SanctionIssued, type_name="RequirementToImproveIssued"):
    pass


class ContractSuspended(SanctionIssued, type_name="ContractSuspended"):
    """No new placements while suspended (or beyond)."""


class FinalNoticeIssued(SanctionIssued, type_name="FinalNoticeIssued"):
    """The 90 day final notice: expires the council's period (90 days) after ``issued_at``, with
    a decision due on expiry. ``issued_at`` is None only for notices recorded before Casework
    kept it (their expiry is not known, so they cannot lead to termination without a proposal)."""

    issued_at: datetime | None = None


class ContractTerminated(SanctionIssued, type_name="ContractTerminated"):
    """Final: nothing follows termination. ``immediate``: for a serious breach, before a final
    notice ran its course, on ``grounds``, proposed by one manager and approved by another
    (``ImmediateTerminationApproved`` just before it names both)."""

    immediate: bool = False


class SanctionLifted(DomainEvent, type_name="SanctionLifted"):
    """Verified improvement: back to monitoring, or one stage down."""

    provider_id: str
    from_stage: SanctionStage
    to_stage: SanctionStage
    improvement: str


class ImmediateTerminationProposed(DomainEvent, type_name="ImmediateTerminationProposed"):
    """A manager proposes terminating the contract at once for a serious breach. Nothing changes
    until a second manager approves; it lapses unapproved after the council's approval window."""

    provider_id: str
    stage: SanctionStage  # the stage the contract was at
    grounds: str
    reason: str
    proposed_by: str
    proposed_at: datetime


class ImmediateTerminationApproved(DomainEvent, type_name="ImmediateTerminationApproved"):
    """A second manager approved the proposal; ``ContractTerminated`` (immediate) follows."""

    provider_id: str
    proposed_by: str
    approved_by: str
    grounds: str
    note: str = ""


class ImmediateTerminationRejected(DomainEvent, type_name="ImmediateTerminationRejected"):
    """The proposal was rejected by another manager, or ``withdrawn`` by its proposer."""

    provider_id: str
    proposed_by: str
    rejected_by: str
    withdrawn: bool
    reason: str


class ImmediateTerminationLapsed(DomainEvent, type_name="ImmediateTerminationLapsed"):
    """The proposal was not approved in time (recorded with the next step on the contract)."""

    provider_id: str
    proposed_by: str
    proposed_at: datetime
    lapsed_at: datetime


PROPOSAL_EVENTS: tuple[type[DomainEvent], ...] = (
    ImmediateTerminationProposed, ImmediateTerminationApproved, ImmediateTerminationRejected,
    ImmediateTerminationLapsed,
)


# The stage each escalation event enters.
STAGE_ENTERED: dict[type[SanctionIssued], SanctionStage] = {
    RequirementToImproveIssued: SanctionStage.requirement_to_improve,
    ContractSuspended: SanctionStage.contract_suspension,
    FinalNoticeIssued: SanctionStage.final_notice_90_day,
    ContractTerminated: SanctionStage.terminated,
}
ISSUED_BY_STAGE: dict[SanctionStage, type[SanctionIssued]] = {v: k for k, v in STAGE_ENTERED.items()}
