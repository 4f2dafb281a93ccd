"""Escalation, notices to remedy breach, provider failure, deadlines and alerts."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from casework.api.schemas.common import CaseDate, Out, UtcDateTime, WriteBody
from casework.domain.fields import Label, Name, Text
from casework.events.provider_failure import FailureKind, FailureOutcome, FailureTrigger
from casework.events.sanctions import SanctionStage


class EscalationAction(StrEnum):
    escalate = "escalate"
    lift = "lift"
    terminate = "terminate"
    propose_termination = "propose_termination"
    approve_termination = "approve_termination"
    reject_termination = "reject_termination"


class EscalationIn(WriteBody):
    action: EscalationAction = Field(description=(
        "escalate (one stage; skipping needs grounds), terminate (from a 90 day final notice "
        "that has run its course), propose_termination / approve_termination / "
        "reject_termination (immediate termination for a serious breach: a second manager "
        "approves; the proposer may withdraw), lift (the verified improvement)."))
    to: SanctionStage | None = Field(
        None,
        description="escalate: the stage to go to (default the next; skipping needs grounds); "
        "lift: monitoring (default) or one stage down.",
    )
    reason: Text = Field("", description="Why: required for every step; for lift, the verified "
                         "improvement; for approve_termination, an optional note.")
    grounds: Label | None = Field(None, description=(
        "One of the council's serious breaches (`grounds` of GET .../escalation): required to "
        "propose immediate termination or to skip a stage."))
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


class LadderActionOut(Out):
    action: str
    allowed: bool
    reason: str = Field(description="Why it is not allowed now (empty when it is).")
    to: list[str] = Field(description="Where it may lead, when allowed.")


class FinalNoticeOut(Out):
    issued_at: UtcDateTime
    expires_at: UtcDateTime = Field(description="When it has run its course (the council's period).")
    days_left: int = Field(description="Days until it runs out (0 on the day; negative after).")
    expired: bool


class ProposalOut(Out):
    grounds: str
    reason: str
    proposed_by: str
    proposed_at: UtcDateTime
    lapses_at: UtcDateTime = Field(description="Unapproved by then, it lapses.")
    lapsed: bool


class EscalationOut(Out):
    provider_id: str
    stage: SanctionStage
    version: int
    closed_to_new_placements: bool
    allowed_actions: list[str] = Field(description="The actions you may take now.")
    actions: list[LadderActionOut] = Field(
        description="Every action of the ladder: allowed now or not, and why not.")
    final_notice: FinalNoticeOut | None = Field(
        None, description="The 90 day final notice in force: issued, runs out, days left.")
    proposal: ProposalOut | None = Field(
        None, description="An immediate termination proposed and not yet decided.")
    grounds: list[str] = Field(description="The council's serious breaches.")
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
    email: str = Field("off", description="on: alerts are emailed (see deliveries); off: "
                                          "CASEWORK_SMTP_URL is not set, alerts stay in the app.")
    deliveries: list[DeliveryOut] = Field(default_factory=list,
                                          description="Each email of this alert, to whom and when.")
