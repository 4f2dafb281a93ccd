"""Escalation, notices to remedy breach, provider failure, deadlines and alerts."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from casework.api.schemas.common import CaseDate, Out, UtcDateTime, WriteBody
from casework.domain.fields import Name
from casework.events.provider_failure import FailureKind, FailureOutcome, FailureTrigger
from casework.events.sanctions import SanctionStage


class EscalationAction(StrEnum):
    escalate = "escalate"
    lift = "lift"
    terminate = "terminate"


class EscalationIn(WriteBody):
    action: EscalationAction
    to: SanctionStage | None = Field(
        None,
        description="escalate: the stage to go to (default the next; skipping needs a reason); "
        "lift: monitoring (default) or one stage down.",
    )
    reason: str = Field("", description="Why; required when skipping stages, and for lift (the "
                        "verified improvement).")
    expected_version: int | None = Field(
        None, ge=0, le=2**31 - 1,
        description="The escalation version you read: 409 if it changed since.",
    )


class DeadlineOut(Out):
    id: str = Field(validation_alias="deadline_id")
    provider_id: str | None
    kind: str
    title: str
    due_at: UtcDateTime
    owner: str
    source: str = Field(description="The stream whose events set it.")


class EscalationOut(Out):
    provider_id: str
    stage: SanctionStage
    version: int
    closed_to_new_placements: bool
    allowed_actions: list[str]
    deadlines: list[DeadlineOut] = Field(description="The stage's pending deadlines, soonest first.")


class NoticeIn(WriteBody):
    breach: str = Field(min_length=1, description="The breach of contract.")
    actions: list[str] = Field(min_length=1, description="What must be done to remedy it.")
    remedy_by: CaseDate


class NoticeNoteIn(WriteBody):
    note: str = ""


class NoticeExtendIn(WriteBody):
    remedy_by: CaseDate = Field(description="The new date (later than the current one).")
    reason: str = Field(min_length=1)


class FailureConcernIn(WriteBody):
    kind: FailureKind = FailureKind.provider_failure
    trigger: FailureTrigger
    summary: str = Field(min_length=1)


class InitiateIn(WriteBody):
    lead: Name = Field(min_length=1, description="Who leads the procedure.")


class ContingencyIn(WriteBody):
    strategy_meeting_notes: str = Field(min_length=1)


class ReviewIn(WriteBody):
    note: str = Field(min_length=1)
    residents_moves_planned: int = Field(0, ge=0, le=10_000)


class ResidentsMovingIn(WriteBody):
    residents_to_move: int = Field(ge=0, le=10_000)


class CloseProcedureIn(WriteBody):
    outcome: FailureOutcome
    note: str = Field(min_length=1)


class DeliveryOut(Out):
    """One email of an alert: to whom, and whether it went."""

    to: str = Field(..., description="The address it was sent (or is to be sent) to.")
    user: str | None = Field(None, description="The user it is for; null for a team address.")
    kind: str = Field(..., description="alert or reminder")
    status: str = Field(..., description="pending (not yet sent, or waiting to retry), sent, or "
                                         "failed (refused for good, or out of attempts).")
    attempts: int
    sent_at: UtcDateTime | None = None
    next_attempt_at: UtcDateTime | None = Field(None, description="When pending: the next try.")
    last_error: str | None = None


class AlertOut(Out):
    id: str
    provider_id: str | None
    kind: str
    title: str
    due_at: UtcDateTime
    owner: str
    source: str
    fired_at: UtcDateTime | None
    missed: int = Field(1, description="Occurrences this alert stands for (a recurring deadline "
                        "that fell due several times while Casework was down); due_at is the first.")
    missed_note: str = Field("", description='"missed 20 reviews since 2019-01-07" where missed > 1.')
    email: str = Field("off", description="on: alerts are emailed (see deliveries); off: "
                                          "CASEWORK_SMTP_URL is not set, alerts stay in the app.")
    deliveries: list[DeliveryOut] = Field(default_factory=list,
                                          description="Each email of this alert, to whom and when.")
