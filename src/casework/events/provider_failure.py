"""Provider failure procedure and large scale enquiry (stream ``provider-failure-<id>``):
concern_identified -> procedure_initiated -> contingency_planning -> residents_moving ->
closed_provider_exited | closed_recovered."""

from __future__ import annotations

from enum import StrEnum

from casework.events.base import DomainEvent


class FailureKind(StrEnum):
    provider_failure = "provider_failure"
    large_scale_enquiry = "large_scale_enquiry"


class FailureTrigger(StrEnum):
    financial_collapse = "financial_collapse"
    contract_hand_back = "contract_hand_back"
    cqc_enforcement = "cqc_enforcement"
    safeguarding_across_service = "safeguarding_across_service"
    other = "other"


class FailureOutcome(StrEnum):
    provider_exited = "provider_exited"
    recovered = "recovered"


class ProviderFailureConcernIdentified(DomainEvent, type_name="ProviderFailureConcernIdentified"):
    procedure_id: str
    provider_id: str
    kind: FailureKind
    trigger: FailureTrigger
    summary: str


class ProviderFailureProcedureInitiated(DomainEvent, type_name="ProviderFailureProcedureInitiated"):
    """The strategy meeting is due within 2 working days (policy: strategy_meeting_due)."""

    procedure_id: str
    provider_id: str
    lead: str


class ContingencyPlanningStarted(DomainEvent, type_name="ContingencyPlanningStarted"):
    """The strategy meeting was held; contingency plans are reviewed every 7 days from now."""

    procedure_id: str
    provider_id: str
    strategy_meeting_notes: str


class ContingencyPlanReviewed(DomainEvent, type_name="ContingencyPlanReviewed"):
    procedure_id: str
    provider_id: str
    note: str
    residents_moves_planned: int = 0


class ResidentsMovingStarted(DomainEvent, type_name="ResidentsMovingStarted"):
    procedure_id: str
    provider_id: str
    residents_to_move: int


class ProviderFailureProcedureClosed(DomainEvent, type_name="ProviderFailureProcedureClosed"):
    procedure_id: str
    provider_id: str
    outcome: FailureOutcome
    note: str
