"""Intelligence records: anything the team learns about a provider, triaged (stream
``intelligence-<record_id>``).

States: ``logged`` -> ``allocated`` -> ``risk_assessed`` -> ``actioned`` (one or more actions
taken) -> ``closed`` (outcome ``actioned`` or ``no_further_action``); re-opened with a reason.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from casework.events.base import DomainEvent
from casework.events.personal_data import SealedPerson


class IntelligenceSource(StrEnum):
    cqc = "cqc"
    other_local_authority = "other_local_authority"
    whistleblowing = "whistleblowing"
    complaint = "complaint"
    safeguarding_referral = "safeguarding_referral"
    health_professional = "health_professional"  # health professional / NHS
    social_worker = "social_worker"  # social worker or reviewing officer
    service_user_or_family = "service_user_or_family"
    healthwatch = "healthwatch"
    provider_self_notification = "provider_self_notification"
    internal = "internal"


class RiskLevel(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class IntelligenceAction(StrEnum):
    responsive_visit = "responsive_visit"
    safeguarding_referral = "safeguarding_referral"
    action_plan = "action_plan"
    information_request = "information_request"
    escalation = "escalation"
    cqc_referral = "cqc_referral"


class IntelligenceOutcome(StrEnum):
    actioned = "actioned"
    no_further_action = "no_further_action"


class IntelligenceState(StrEnum):
    logged = "logged"
    allocated = "allocated"
    risk_assessed = "risk_assessed"
    actioned = "actioned"
    closed = "closed"


class IntelligenceLogged(DomainEvent, type_name="IntelligenceLogged"):
    """``received_at`` is when the team received it; the envelope's ``occurred_at`` when it was
    logged. ``whistleblower`` is sealed: never clear text."""

    record_id: str
    provider_id: str
    source: IntelligenceSource
    received_at: datetime
    summary: str
    whistleblower: SealedPerson | None = None


class IntelligenceAllocated(DomainEvent, type_name="IntelligenceAllocated"):
    record_id: str
    officer: str
    previous_officer: str | None = None


class RiskAssessed(DomainEvent, type_name="RiskAssessed"):
    record_id: str
    risk: RiskLevel
    action_required: bool
    rationale: str


class IntelligenceActionTaken(DomainEvent, type_name="IntelligenceActionTaken"):
    record_id: str
    action: IntelligenceAction
    note: str | None = None


class IntelligenceClosed(DomainEvent, type_name="IntelligenceClosed"):
    record_id: str
    outcome: IntelligenceOutcome
    note: str | None = None


class IntelligenceReopened(DomainEvent, type_name="IntelligenceReopened"):
    """Back to ``allocated`` (same officer) so that it is risk assessed again."""

    record_id: str
    reason: str
