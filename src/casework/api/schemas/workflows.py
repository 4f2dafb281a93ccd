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


OWNER_DOC = ("Who owns it: the officer its case names, else the provider's lead officer, else "
             "the team that owns the workflow (never \"system\").")
OWNER_FROM_DOC = "case (an officer the case names), lead (the provider's lead officer) or team."


class DeadlineOut(Out):
    id: str = Field(validation_alias="deadline_id")
    provider_id: str | None
    kind: str
    title: str
    due_at: UtcDateTime = Field(description="When it falls due; for a reminder, when it is sent.")
    owner: str = Field(description=OWNER_DOC)
    owner_from: str = Field(description=OWNER_FROM_DOC)
    source: str = Field(description="The stream whose events set it.")
    reminder_of: str = Field("", description="A reminder: the id of the deadline it precedes.")
    before: str = Field("", description='A reminder: how far ahead ("30 days", "1 working day").')
    reminds_due_at: UtcDateTime | None = Field(None, description="A reminder: when its deadline falls due.")


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


class AlertOut(Out):
    id: str
    type: str = Field("alert", description="alert (a deadline fell due) or reminder (one is coming).")
    provider_id: str | None
    kind: str
    title: str
    due_at: UtcDateTime = Field(description="When the deadline fell (or, for a reminder, falls) due.")
    owner: str = Field(description=OWNER_DOC + " As it was when the alert fired.")
    source: str
    fired_at: UtcDateTime | None
    deadline_id: str = Field(description="The deadline (a reminder's id is its own).")
    remind_at: UtcDateTime | None = Field(None, description="A reminder: when it was due to be sent.")
    before: str = Field("", description='A reminder: how far ahead ("30 days", "1 working day").')
    missed: int = Field(1, description="Occurrences this alert stands for (a recurring deadline "
                        "that fell due several times while Casework was down); due_at is the first.")
    missed_note: str = Field("", description='"missed 20 reviews since 2019-01-07" where missed > 1.')
