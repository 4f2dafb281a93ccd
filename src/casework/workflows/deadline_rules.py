"""Which events set and resolve which deadlines: contract escalation, notices to remedy breach
and the provider failure procedure. (Intelligence and action-plan service levels live in
``service_levels``.) Each rule is pure: a stored event and the timing policy in, effects out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from casework.domain.policy import Timing
from casework.events.notices import RemedyNoticeExtended, RemedyNoticeIssued
from casework.events.provider_failure import ProviderFailureProcedureInitiated
from casework.events.sanctions import STAGE_ENTERED, SanctionIssued, SanctionLifted, SanctionStage
from casework.events.store import StoredEvent
from casework.workflows.deadlines import (
    Cancel,
    Deadline,
    DeadlineKind,
    Effect,
    Schedule,
    deadline_id,
)

K = DeadlineKind


def _deadline(
    event: StoredEvent, kind: K, title: str, due_at: datetime, *parts: object, **kw: Any
) -> Deadline:
    return Deadline(
        deadline_id=deadline_id(event, kind, *parts),
        provider_id=event.provider_id,
        kind=kind,
        title=title,
        due_at=due_at,
        owner=kw.pop("owner", None) or event.actor or "unassigned",
        source=event.stream,
        **kw,
    )


# ------------------------------------------------------------------ contract escalation
def sanction_stage_entered(event: StoredEvent, timing: Timing) -> list[Effect]:
    """Leaving a stage ends its deadlines; entering one sets the new stage's."""
    typed = event.event
    assert isinstance(typed, SanctionIssued | SanctionLifted)
    stage = typed.to_stage if isinstance(typed, SanctionLifted) else STAGE_ENTERED[type(typed)]
    effects: list[Effect] = [Cancel(event.stream)]
    policy, at = timing.policy, event.occurred_at
    if stage is SanctionStage.requirement_to_improve:
        effects += [
            Schedule(_deadline(event, K.improvement_plan_due, "Improvement plan due (requirement to improve)",
                               timing.after(at, policy.improvement_plan_due))),
            Schedule(_deadline(event, K.requirement_to_improve_review, "Requirement to improve: review due",
                               timing.after(at, policy.requirement_to_improve_review))),
        ]
    elif stage is SanctionStage.contract_suspension:
        period = policy.suspension_review_every
        effects.append(Schedule(_deadline(
            event, K.suspension_review, "Contract suspension: review due",
            timing.after(at, period), 1, repeat_every_days=period.days,
        )))
    elif stage is SanctionStage.final_notice_90_day:
        expiry = timing.after(at, policy.final_notice_expiry)
        effects += [
            Schedule(_deadline(event, K.final_notice_reminder, f"90 day final notice expires in {days} days",
                               timing.days_before(expiry, days), days))
            for days in policy.final_notice_reminders
        ]
        effects.append(Schedule(_deadline(
            event, K.final_notice_decision, "90 day final notice expired: decision due", expiry)))
    return effects


# ------------------------------------------------------------------ notices to remedy breach
def remedy_notice_dated(event: StoredEvent, timing: Timing) -> list[Effect]:
    typed = event.event
    assert isinstance(typed, RemedyNoticeIssued | RemedyNoticeExtended)
    due = timing.start_of(typed.remedy_by)
    effects: list[Effect] = [Cancel(event.stream)]
    effects += [
        Schedule(_deadline(event, K.remedy_notice_reminder,
                           f"Notice to remedy breach: remedy-by date in {days} days",
                           timing.days_before(due, days), days))
        for days in timing.policy.remedy_notice_reminders
    ]
    effects.append(Schedule(_deadline(
        event, K.remedy_notice_due,
        f"Notice to remedy breach: remedy-by date {typed.remedy_by.isoformat()} reached; "
        "record complied, extended or failed", due,
    )))
    return effects


def remedy_notice_complied(event: StoredEvent, timing: Timing) -> list[Effect]:
    return [Cancel(event.stream)]


def remedy_notice_failed(event: StoredEvent, timing: Timing) -> list[Effect]:
    """A failed notice raises an alert (at once) proposing escalation of the contract sanction."""
    return [
        Cancel(event.stream),
        Schedule(_deadline(event, K.escalation_proposed,
                           "Notice to remedy breach failed: consider escalating the contract sanction",
                           event.occurred_at)),
    ]


# ------------------------------------------------------------------ provider failure procedure
def strategy_meeting(event: StoredEvent, timing: Timing) -> list[Effect]:
    typed = event.event
    assert isinstance(typed, ProviderFailureProcedureInitiated)
    return [Schedule(_deadline(
        event, K.strategy_meeting_due, "Provider failure: strategy meeting due",
        timing.after(event.occurred_at, timing.policy.strategy_meeting_due), owner=typed.lead,
    ))]


def contingency_review(event: StoredEvent, timing: Timing) -> list[Effect]:
    """Reviews every 7 days, counted from the last review (or the start of planning)."""
    period = timing.policy.contingency_review_every
    return [
        Cancel(event.stream),
        Schedule(_deadline(event, K.contingency_review, "Provider failure: contingency plan review due",
                           timing.after(event.occurred_at, period), 1, repeat_every_days=period.days)),
    ]


def procedure_moved_on(event: StoredEvent, timing: Timing) -> list[Effect]:
    return [Cancel(event.stream)]
