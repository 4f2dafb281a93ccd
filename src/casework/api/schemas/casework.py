"""Visits and assessments, action plans, safeguarding concerns."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from casework.api.schemas.common import Body, CaseDate, Out, Restricted, UtcDateTime, WriteBody
from casework.domain.enums import (
    ActionItemState,
    ActionPlanState,
    ActionTheme,
    AssessmentOutcome,
    Rag,
    RecordKind,
    SafeguardingCategory,
    SafeguardingOutcome,
    SafeguardingState,
    VisitReason,
)
from casework.domain.fields import Identifier, Label, Name


class RecordRefIn(Body):
    kind: RecordKind
    id: Identifier


# ----------------------------------------------------------------------------- visits
class PlanVisitIn(WriteBody):
    provider_id: Identifier
    reason: VisitReason
    planned_for: UtcDateTime
    announced: bool = True
    out_of_hours: bool = Field(False, description="Night, weekend or bank holiday.")
    triggered_by: RecordRefIn | None = Field(None, description="e.g. the intelligence record.")


class RescheduleVisitIn(WriteBody):
    planned_for: UtcDateTime
    reason: str | None = None


class CompleteVisitIn(WriteBody):
    findings: str = Field(min_length=1)
    framework_id: Label | None = Field(None, description="Default: the council's default framework.")
    framework_version: int | None = Field(None, ge=1, le=10_000)
    scores: dict[str, int | str] = Field({}, description="Per framework indicator.")
    rag: Rag | None = Field(None, description="Default: the framework's outcome of the scores.")
    compliant: bool | None = None


class CancelVisitIn(WriteBody):
    reason: str = Field(min_length=1)


class OpenAssessmentIn(WriteBody):
    provider_id: Identifier
    framework_id: Label | None = None
    framework_version: int | None = Field(None, ge=1, le=10_000)


class AssessmentVisitIn(WriteBody):
    visit_id: Identifier


class ConcludeAssessmentIn(WriteBody):
    outcome: AssessmentOutcome | None = None
    rag: Rag | None = None
    note: str | None = None


# ----------------------------------------------------------------------------- action plans
class ActionItemIn(Body):
    item_id: Identifier | None = Field(None, description='Default: "1", "2", … in order.')
    description: str = Field(min_length=1)
    theme: ActionTheme
    owner: Name = Field(min_length=1)
    due: CaseDate


class RaiseActionPlanIn(WriteBody):
    provider_id: Identifier
    raised_from: RecordRefIn = Field(description="The visit or intelligence record it comes from.")
    title: str | None = None
    items: list[ActionItemIn] = Field(min_length=1)


class AddItemIn(WriteBody):
    item: ActionItemIn


class ItemNoteIn(WriteBody):
    note: str | None = None


class VerifyItemIn(WriteBody):
    visit_id: Identifier | None = Field(None, description="The review visit that verified it.")
    note: str | None = None


class ReturnItemIn(WriteBody):
    reason: str = Field(min_length=1)


class ItemDueIn(WriteBody):
    due: CaseDate
    reason: str = Field(min_length=1)


class ActionItemOut(Out):
    item_id: str
    description: str
    theme: ActionTheme
    owner: str
    due: date
    state: ActionItemState


class ActionPlanOut(Out):
    id: str
    provider_id: str | None
    state: ActionPlanState
    title: str | None
    items: list[ActionItemOut]
    version: int


# ----------------------------------------------------------------------------- safeguarding
class PersonIn(Body):
    name: Name = Field(min_length=1)
    contact: str | None = None


class RaiseConcernIn(WriteBody):
    provider_id: Identifier
    category: SafeguardingCategory
    summary: str = Field(min_length=1, description="Do not name adults at risk here.")
    adults_at_risk: list[PersonIn] = Field(
        [], description="Restricted: stored encrypted, shown to managers only."
    )
    triggered_by: RecordRefIn | None = None


class ReferConcernIn(WriteBody):
    section_42: bool = Field(description="Whether a section 42 enquiry was opened.")
    note: str | None = None


class ConcernOutcomeIn(WriteBody):
    outcome: SafeguardingOutcome
    note: str | None = None


class ConcernNoteIn(WriteBody):
    note: str | None = None


class PersonOut(Out):
    person_id: str | None = Field(None, description="For `casework erase PERSON_ID` (managers).")
    name: str | None = None
    contact: str | None = None
    erased: bool | None = None


class ConcernOut(Out):
    id: str
    provider_id: str | None
    state: SafeguardingState
    category: SafeguardingCategory | None
    summary: str
    adults_at_risk: list[PersonOut] | Restricted = Field(
        description="Managers see names; others `{\"restricted\": true}`."
    )
    outcome: SafeguardingOutcome | None
    version: int
    allowed_actions: list[str]
