"""Service levels for intelligence records and action-plan item due dates, as deadline rules.

Intelligence (stream ``intelligence-<id>``): allocated within 1 working day of receipt; risk
assessed within 2 working days of allocation; a high or critical risk that requires action gets
its first action within 1 working day of the assessment. The rule is the domain's
(``casework.domain.intelligence.service_level_after``); one deadline follows it per record, and
meeting a service level cancels its deadline.

Action-plan items (stream ``action-plan-<id>``, scope = item id): reminders before the due date
(policy ``action_item_reminders``) and an overdue alert on the day. The item's own owner is the
provider's (a home manager): the deadlines belong to the council's lead officer or team. An
item reported completed suspends them; verified ends them; returned (verification failed)
resumes them, firing at once if already past due.
"""

from __future__ import annotations

from datetime import date

from casework.domain.intelligence import KEEP, ServiceLevel, ServiceLevelDue, service_level_after
from casework.domain.policy import Timing
from casework.events.action_plans import (
    ActionItem,
    ActionItemAdded,
    ActionItemDueDateChanged,
    ActionPlanRaised,
)
from casework.events.base import DomainEvent
from casework.events.intelligence import (
    IntelligenceAllocated,
    IntelligenceClosed,
    IntelligenceReopened,
    RiskAssessed,
)
from casework.events.store import StoredEvent
from casework.workflows.deadlines import (
    Cancel,
    DeadlineKind,
    Effect,
    Reassign,
    Resume,
    Suspend,
    make_deadline,
    with_reminders,
)

K = DeadlineKind


# ------------------------------------------------------------------ intelligence
# Which service level is due, and from when, is the domain's ``service_level_after`` (the
# triage inbox folds the same function): here it only becomes deadlines.
SERVICE_LEVEL_KINDS: dict[ServiceLevel, K] = {
    ServiceLevel.allocation: K.intelligence_allocation,
    ServiceLevel.risk_assessment: K.intelligence_risk_assessment,
    ServiceLevel.first_action: K.high_risk_first_action,
}
_ALL_LEVELS = frozenset(SERVICE_LEVEL_KINDS.values())


def _title(typed: DomainEvent, level: ServiceLevel) -> str:
    match typed, level:
        case IntelligenceReopened(), ServiceLevel.risk_assessment:
            return "Re-opened intelligence record: risk assessment due"
        case RiskAssessed(), ServiceLevel.first_action:
            return f"{typed.risk.capitalize()} risk: first action due"
    return f"Intelligence record: {level.value.replace('_', ' ')} due"


def intelligence_service_level(event: StoredEvent, timing: Timing) -> list[Effect]:
    """A record's service-level deadline follows its service level: a new level cancels the
    running deadline and schedules its own; a stopped one cancels it; a kept one (a
    re-allocation) leaves it. A closed record's deadlines all stop. The risk-assessment
    deadline of an allocation is owned by the officer it was allocated to."""
    typed = event.event
    due = service_level_after(typed, event.occurred_at, timing)
    if due is KEEP:  # a re-allocation: the record's open deadlines move to the new officer
        return [Reassign(event.stream, typed.officer)] if isinstance(typed, IntelligenceAllocated) else []
    effects: list[Effect] = []
    if event.version > 1:  # a new stream has nothing to cancel (and the read model no rows to read)
        effects.append(Cancel(event.stream) if isinstance(typed, IntelligenceClosed)
                       else Cancel(event.stream, kinds=_ALL_LEVELS))
    if isinstance(due, ServiceLevelDue):
        owner = typed.officer if isinstance(typed, IntelligenceAllocated) else None
        kind = SERVICE_LEVEL_KINDS[due.level]
        deadline = make_deadline(event, timing, kind, _title(typed, due.level), due.due_at, owner=owner)
        effects += with_reminders(event, timing, deadline, timing.policy.service_level_reminders)
    return effects


# ------------------------------------------------------------------ action-plan items
def _item_deadlines(event: StoredEvent, timing: Timing, item_id: str, due_date: date) -> list[Effect]:
    overdue = make_deadline(
        event, timing, K.action_item_overdue, f"Action plan item overdue (due {due_date.isoformat()})",
        timing.start_of(due_date), item_id, scope=item_id,
    )
    return with_reminders(event, timing, overdue, timing.policy.action_item_reminders)


def _items(event: StoredEvent, timing: Timing, items: list[ActionItem]) -> list[Effect]:
    return [e for item in items for e in _item_deadlines(event, timing, item.item_id, item.due)]


def action_plan_raised(event: StoredEvent, timing: Timing) -> list[Effect]:
    typed = event.event
    assert isinstance(typed, ActionPlanRaised)
    return _items(event, timing, typed.items)


def action_item_added(event: StoredEvent, timing: Timing) -> list[Effect]:
    typed = event.event
    assert isinstance(typed, ActionItemAdded)
    return _items(event, timing, [typed.item])


def action_item_due_date_changed(event: StoredEvent, timing: Timing) -> list[Effect]:
    typed = event.event
    assert isinstance(typed, ActionItemDueDateChanged)
    return [Cancel(event.stream, scope=typed.item_id),
            *_item_deadlines(event, timing, typed.item_id, typed.due)]


def action_item_completed(event: StoredEvent, timing: Timing) -> list[Effect]:
    return [Suspend(event.stream, scope=event.data["item_id"])]


def action_item_returned(event: StoredEvent, timing: Timing) -> list[Effect]:
    return [Resume(event.stream, scope=event.data["item_id"])]


def action_item_verified(event: StoredEvent, timing: Timing) -> list[Effect]:
    return [Cancel(event.stream, scope=event.data["item_id"])]
