"""Which events set and resolve which deadlines: contract escalation, notices to remedy breach
and the provider failure procedure. (Intelligence and action-plan service levels live in
``service_levels``.) Each rule is pure: a stored event and the timing policy in, effects out. Owners
and reminders: ``deadlines.make_deadline`` and ``deadlines.with_reminders``."""

from __future__ import annotations

from casework.domain.policy import Timing
from casework.events.notices import RemedyNoticeExtended, RemedyNoticeIssued
from casework.events.provider_failure import ProviderFailureProcedureInitiated
from casework.events.sanctions import (
    STAGE_ENTERED,
    ImmediateTerminationProposed,
    SanctionIssued,
    SanctionLifted,
    SanctionStage,
)
from casework.events.store import StoredEvent
from casework.workflows.deadlines import (
    Cancel,
    DeadlineKind,
    Effect,
    LeadAssigned,
    Schedule,
    make_deadline,
    with_reminders,
)

K = DeadlineKind


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
            Schedule(make_deadline(event, timing, K.improvement_plan_due,
                                   "Improvement plan due (requirement to improve)",
                                   timing.after(at, policy.improvement_plan_due))),
            Schedule(make_deadline(event, timing, K.requirement_to_improve_review,
                                   "Requirement to improve: review due",
                                   timing.after(at, policy.requirement_to_improve_review))),
        ]
    elif stage is SanctionStage.contract_suspension:
        period = policy.suspension_review_every
        effects.append(Schedule(make_deadline(
            event, timing, K.suspension_review, "Contract suspension: review due",
            timing.after(at, period), 1, repeat_every_days=period.days,
        )))
    elif stage is SanctionStage.final_notice_90_day:
        expiry = timing.after(at, policy.final_notice_expiry)
        decision = make_deadline(event, timing, K.final_notice_decision,
                                 "90 day final notice expired: decision due", expiry)
        effects += with_reminders(event, timing, decision, policy.final_notice_reminders)
    return effects


def termination_proposed(event: StoredEvent, timing: Timing) -> list[Effect]:
    """A proposal of immediate termination raises an alert at once, for a second manager: the
    team's (never the provider's lead officer, who may be the one who proposed it)."""
    typed = event.event
    assert isinstance(typed, ImmediateTerminationProposed)
    team = timing.policy.team_for(K.termination_approval)
    return [Schedule(make_deadline(
        event, timing, K.termination_approval,
        f"Immediate termination proposed by {typed.proposed_by} for a serious breach "
        f"({typed.grounds}): a second manager approves or rejects it",
        event.occurred_at, owner=team,
    ))]


# ------------------------------------------------------------------ notices to remedy breach
def remedy_notice_dated(event: StoredEvent, timing: Timing) -> list[Effect]:
    typed = event.event
    assert isinstance(typed, RemedyNoticeIssued | RemedyNoticeExtended)
    due = make_deadline(
        event, timing, K.remedy_notice_due,
        f"Notice to remedy breach: remedy-by date {typed.remedy_by.isoformat()} reached; "
        "record complied, extended or failed", timing.start_of(typed.remedy_by),
    )
    return [Cancel(event.stream), *with_reminders(event, timing, due, timing.policy.remedy_notice_reminders)]


def remedy_notice_complied(event: StoredEvent, timing: Timing) -> list[Effect]:
    return [Cancel(event.stream)]


def remedy_notice_failed(event: StoredEvent, timing: Timing) -> list[Effect]:
    """A failed notice raises an alert (at once) proposing escalation of the contract sanction."""
    return [
        Cancel(event.stream),
        Schedule(make_deadline(event, timing, K.escalation_proposed,
                               "Notice to remedy breach failed: consider escalating the contract sanction",
                               event.occurred_at)),
    ]


# ------------------------------------------------------------------ provider failure procedure
def strategy_meeting(event: StoredEvent, timing: Timing) -> list[Effect]:
    typed = event.event
    assert isinstance(typed, ProviderFailureProcedureInitiated)
    return [Schedule(make_deadline(
        event, timing, K.strategy_meeting_due, "Provider failure: strategy meeting due",
        timing.after(event.occurred_at, timing.policy.strategy_meeting_due), owner=typed.lead,
    ))]


def contingency_review(event: StoredEvent, timing: Timing) -> list[Effect]:
    """Reviews every 7 days, counted from the last review (or the start of planning)."""
    period = timing.policy.contingency_review_every
    return [
        Cancel(event.stream),
        Schedule(make_deadline(event, timing, K.contingency_review,
                               "Provider failure: contingency plan review due",
                               timing.after(event.occurred_at, period), 1, repeat_every_days=period.days)),
    ]


def procedure_moved_on(event: StoredEvent, timing: Timing) -> list[Effect]:
    return [Cancel(event.stream)]


# ------------------------------------------------------------------ the provider's lead officer
def lead_officer_assigned(event: StoredEvent, timing: Timing) -> list[Effect]:
    """The provider's open deadlines that no officer on their case owns move to the new lead."""
    return [LeadAssigned(event.data["provider_id"], event.data["officer"])]
