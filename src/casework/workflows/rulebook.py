"""Every deadline rule, listed once: which event type sets, resolves or fires which deadlines.

The rules themselves sit beside the workflow they serve (``deadline_rules`` for contract
escalation, notices and provider failure; ``service_levels`` for intelligence and action-plan
items; ``deadlines.deadline_reached`` and ``reminder_sent`` for firing). This table is the
only place that says which rule an event type runs, so the deadline read model, the scheduler
and the tests all fold the same effects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from casework.domain.policy import DEFAULT_POLICY, DeadlinePolicy, Timing
from casework.domain.working_days import ENGLAND, WorkingCalendar
from casework.events.sanctions import STAGE_ENTERED
from casework.events.store import StoredEvent
from casework.workflows import deadline_rules as sanctions
from casework.workflows import service_levels as levels
from casework.workflows.deadlines import DeadlineBook, Effect, Rule, deadline_reached, reminder_sent

RULES: Mapping[str, Rule] = MappingProxyType({
    # contract escalation: entering or leaving a stage
    **{cls.type_name: sanctions.sanction_stage_entered for cls in STAGE_ENTERED},
    "SanctionLifted": sanctions.sanction_stage_entered,
    # immediate termination: a proposal waits for a second manager
    "ImmediateTerminationProposed": sanctions.termination_proposed,
    # notices to remedy breach
    "RemedyNoticeIssued": sanctions.remedy_notice_dated,
    "RemedyNoticeExtended": sanctions.remedy_notice_dated,
    "RemedyNoticeComplied": sanctions.remedy_notice_complied,
    "RemedyNoticeFailed": sanctions.remedy_notice_failed,
    # provider failure procedure
    "ProviderFailureProcedureInitiated": sanctions.strategy_meeting,
    "ContingencyPlanningStarted": sanctions.contingency_review,
    "ContingencyPlanReviewed": sanctions.contingency_review,
    "ResidentsMovingStarted": sanctions.procedure_moved_on,
    "ProviderFailureProcedureClosed": sanctions.procedure_moved_on,
    # intelligence service levels
    **{name: levels.intelligence_service_level for name in (
        "IntelligenceLogged", "IntelligenceAllocated", "IntelligenceReopened", "RiskAssessed",
        "IntelligenceActionTaken", "IntelligenceClosed",
    )},
    # action-plan items
    "ActionPlanRaised": levels.action_plan_raised,
    "ActionItemAdded": levels.action_item_added,
    "ActionItemDueDateChanged": levels.action_item_due_date_changed,
    "ActionItemCompleted": levels.action_item_completed,
    "ActionItemReturned": levels.action_item_returned,
    "ActionItemVerified": levels.action_item_verified,
    # the provider's lead officer (owns the open deadlines no officer on their case owns)
    "LeadOfficerAssigned": sanctions.lead_officer_assigned,
    # a deadline fired (a recurring one schedules its next occurrence); a reminder was sent
    "DeadlineReached": deadline_reached,
    "DeadlineReminder": reminder_sent,
})

DEADLINE_EVENT_TYPES: frozenset[str] = frozenset(RULES)


def effects_of(event: StoredEvent, timing: Timing) -> list[Effect]:
    """The deadline effects of one stored event ([] for events no deadline depends on)."""
    fn = RULES.get(event.type)
    return fn(event, timing) if fn else []


def deadline_event_types() -> frozenset[str]:
    """The event types that set, resolve or fire deadlines (what the read model folds)."""
    return DEADLINE_EVENT_TYPES


def derive(
    events: Iterable[StoredEvent],
    policy: DeadlinePolicy = DEFAULT_POLICY,
    calendar: WorkingCalendar = ENGLAND,
    book: DeadlineBook | None = None,
) -> DeadlineBook:
    """Fold a history (position order) into the book of pending, cancelled and fired deadlines."""
    book = book or DeadlineBook()
    timing = Timing(policy, calendar)
    for event in events:
        for effect in effects_of(event, timing):
            book.apply(effect)
    return book
