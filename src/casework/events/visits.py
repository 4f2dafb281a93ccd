"""Visits to providers (stream ``visit-<visit_id>``) and quality assurance framework assessments
that may span several visits (stream ``assessment-<assessment_id>``).

Visit states: ``planned`` -> ``completed`` | ``cancelled``.
Assessment states: ``ongoing`` -> ``concluded`` (outcome compliant / non_compliant, with a RAG).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from casework.events.base import DomainEvent
from casework.events.rag import Rag

Score = int | str  # an indicator's score on its framework's scale (a number or a label)


class VisitReason(StrEnum):
    welcome = "welcome"
    full_monitoring = "full_monitoring"  # a quality assurance framework assessment visit
    action_plan_review = "action_plan_review"
    responsive = "responsive"
    safe_and_wellbeing = "safe_and_wellbeing"
    high_risk_welfare_check = "high_risk_welfare_check"
    # An additional assessment visit beyond the announced and unannounced ones (Leicester's
    # "20 additional"): counted as an assessment visit.
    additional = "additional"


ASSESSMENT_VISIT_REASONS = frozenset({VisitReason.full_monitoring, VisitReason.additional})


class VisitState(StrEnum):
    planned = "planned"
    completed = "completed"
    cancelled = "cancelled"


class AssessmentState(StrEnum):
    ongoing = "ongoing"
    concluded = "concluded"


class AssessmentOutcome(StrEnum):
    compliant = "compliant"
    non_compliant = "non_compliant"


class VisitPlanned(DomainEvent, type_name="VisitPlanned"):
    visit_id: str
    provider_id: str
    reason: VisitReason
    planned_for: datetime
    announced: bool = True
    out_of_hours: bool = False  # night, weekend or bank holiday


class VisitRescheduled(DomainEvent, type_name="VisitRescheduled"):
    visit_id: str
    planned_for: datetime
    reason: str | None = None


class VisitCompleted(DomainEvent, type_name="VisitCompleted"):
    """The visit took place (``occurred_at``). ``scores`` are per framework indicator, on the
    framework version named; ``rag`` and ``compliant`` are the outcome recorded at the time
    (computed from the scores by the framework unless the officer gave them)."""

    visit_id: str
    findings: str
    framework_id: str | None = None
    framework_version: int | None = None
    scores: dict[str, Score] = {}
    rag: Rag | None = None
    compliant: bool | None = None


class VisitCancelled(DomainEvent, type_name="VisitCancelled"):
    visit_id: str
    reason: str


class AssessmentOpened(DomainEvent, type_name="AssessmentOpened"):
    assessment_id: str
    provider_id: str
    framework_id: str
    framework_version: int


class AssessmentVisitLinked(DomainEvent, type_name="AssessmentVisitLinked"):
    assessment_id: str
    visit_id: str


class AssessmentConcluded(DomainEvent, type_name="AssessmentConcluded"):
    assessment_id: str
    outcome: AssessmentOutcome
    rag: Rag
    note: str | None = None
