"""Intelligence records: logging, triage actions, the record and the triage inbox."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from casework.api.schemas.common import Body, Out, Restricted, UtcDateTime, WriteBody
from casework.domain.enums import (
    IntelligenceAction,
    IntelligenceOutcome,
    IntelligenceSource,
    IntelligenceState,
    RiskLevel,
)
from casework.domain.fields import Identifier, Name


class WhistleblowerIn(Body):
    name: Name = Field(min_length=1, description="Restricted: stored encrypted, shown to managers only.")
    contact: str | None = None


class Whistleblower(Out):
    """Who blew the whistle: shown to managers only."""

    person_id: str = Field(description="For `casework erase PERSON_ID` (erasure on request).")
    name: str
    contact: str | None = None


class ErasedPerson(Out):
    """The person's data was erased on request: it can never be read again."""

    person_id: str | None = None
    erased: bool = True


class LogIntelligenceIn(WriteBody):
    provider_id: Identifier
    source: IntelligenceSource
    received_at: UtcDateTime = Field(description="When the team received it.")
    summary: str = Field(min_length=1)
    whistleblower: WhistleblowerIn | None = None


class AllocateIn(WriteBody):
    officer: Name = Field(min_length=1, description="The officer's user name.")


class AssessIn(WriteBody):
    risk: RiskLevel
    action_required: bool
    rationale: str = Field(min_length=1)


class ActionIn(WriteBody):
    action: IntelligenceAction
    note: str | None = None


class CloseIn(WriteBody):
    outcome: IntelligenceOutcome
    note: str | None = None


class ReopenIn(WriteBody):
    reason: str = Field(min_length=1)


class IntelligenceOut(Out):
    id: str
    provider_id: str | None
    state: IntelligenceState
    source: IntelligenceSource | None
    received_at: UtcDateTime | None
    summary: str
    whistleblower: Whistleblower | Restricted | ErasedPerson | None = Field(
        description='Managers see name and contact; others `{"restricted": true}`.'
    )
    officer: str | None
    risk: RiskLevel | None
    action_required: bool | None
    actions: list[IntelligenceAction]
    outcome: IntelligenceOutcome | None
    version: int
    allowed_actions: list[str]


class TriageItemOut(Out):
    """One record in the triage inbox."""

    # The read model names it record_id; the API names every resource's id `id`.
    id: str = Field(validation_alias=AliasChoices("id", "record_id"), description="The record's id.")
    record_id: str = Field(
        deprecated=True,
        description="Deprecated: the same value as `id`, kept so that existing scripts work; use `id`.",
    )
    provider_id: str | None
    provider_name: str | None
    source: str
    summary: str
    has_whistleblower: bool = Field(description="Whether a whistleblower is recorded (never who).")
    state: str
    assigned_to: str | None
    risk: str | None
    action_required: bool | None
    outcome: str | None
    received_at: UtcDateTime
    logged_at: UtcDateTime
    service_level: str | None = Field(description="What is due next: allocation, risk_assessment…")
    due_at: UtcDateTime | None
    overdue: bool
    version: int
