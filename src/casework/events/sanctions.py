"""Contract compliance escalation: the sanctions a manager issues and lifts (stream
``escalation-<provider_id>``). Stages in order: monitoring -> requirement_to_improve ->
contract_suspension -> final_notice_90_day -> terminated."""

from __future__ import annotations

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
    """A stage entered by escalation. ``skipped_stages`` are those passed over (reason required)."""

    provider_id: str
    from_stage: SanctionStage
    reason: str
    skipped_stages: list[SanctionStage] = []


class RequirementToImproveIssued(SanctionIssued, type_name="RequirementToImproveIssued"):
    pass


class ContractSuspended(SanctionIssued, type_name="ContractSuspended"):
    """No new placements while suspended (or beyond)."""


class FinalNoticeIssued(SanctionIssued, type_name="FinalNoticeIssued"):
    """The 90 day final notice: expires 90 days after issue, with a decision due on expiry."""


class ContractTerminated(SanctionIssued, type_name="ContractTerminated"):
    """Final: nothing follows termination."""


class SanctionLifted(DomainEvent, type_name="SanctionLifted"):
    """Verified improvement: back to monitoring, or one stage down."""

    provider_id: str
    from_stage: SanctionStage
    to_stage: SanctionStage
    improvement: str


# The stage each escalation event enters.
STAGE_ENTERED: dict[type[SanctionIssued], SanctionStage] = {
    RequirementToImproveIssued: SanctionStage.requirement_to_improve,
    ContractSuspended: SanctionStage.contract_suspension,
    FinalNoticeIssued: SanctionStage.final_notice_90_day,
    ContractTerminated: SanctionStage.terminated,
}
ISSUED_BY_STAGE: dict[SanctionStage, type[SanctionIssued]] = {v: k for k, v in STAGE_ENTERED.items()}
