"""Service levels for intelligence records and action-plan item due dates, as deadline rules.

Intelligence (stream ``intelligence-<id>``): allocated within 1 working day of receipt; risk
assessed within 2 working days of allocation; a high or critical risk that requires action gets
its first action within 1 working day of the assessment. The rule is the domain's
(``casework.domain.intelligence.service_level_after``); one deadline follows it per record, and
meeting a service level cancels its deadline.

Action-plan items (stream ``action-plan-<id>``, scope = item id): a reminder 7 days before the
due date and an overdue alert on the day. An item reported completed suspends them; verified
ends them; returned (verification failed) resumes them, firing at once if already past due.
"""

from __future__ import annotations

from datetime import date, datetime

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
    Deadline,
    DeadlineKind,
    Effect,
    Resume,
    Schedule,
    Suspend,
    deadline_id,
)

K = DeadlineKind


def _deadline(event: StoredEvent, kind: K, title: str, due_at: datetime, owner: str | None, *parts: object,
              scope: str = "") -> Deadline:
    return Deadline(
        deadline_id=deadline_id(event, kind, *parts), provider_id=event.provider_id, kind=kind,
        title=title, due_at=due_at, owner=owner or event.actor or "unassigned", source=event.stream,
        scope=scope,
    )


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
    if due is KEEP:
        return []
    effects: list[Effect] = []
    if event.version > 1:  # a new stream has nothing to cancel (and the read model no rows to read)
        effects.append(Cancel(event.stream) if isinstance(typed, IntelligenceClosed)
                       else Cancel(event.stream, kinds=_ALL_LEVELS))
    if isinstance(due, ServiceLevelDue):
        owner = typed.officer if isinstance(typed, IntelligenceAllocated) else None
        kind = SERVICE_LEVEL_KINDS[due.level]
        effects.append(Schedule(_deadline(event, kind, _title(typed, due.level), due.due_at, owner)))
    return effects


# ------------------------------------------------------------------ action-plan items
def _item_deadlines(event: StoredEvent, timing: Timing, item_id: str, due_date: date, owner: str | None
                    ) -> list[Effect]:
    due = timing.start_of(due_date)
    effects: list[Effect] = [
        Schedule(_deadline(event, K.action_item_reminder, f"Action plan item due in {days} days",
                           timing.days_before(due, days), owner, item_id, days, scope=item_id))
        for days in timing.policy.action_item_reminders
    ]
    effects.append(Schedule(_deadline(
        event, K.action_item_overdue, f"Action plan item overdue (due {due_date.isoformat()})", due, owner,
        item_id, scope=item_id,
    )))
    return effects


def _items(event: StoredEvent, timing: Timing, items: list[ActionItem]) -> list[Effect]:
    return [e for item in items for e in _item_deadlines(event, timing, item.item_id, item.due, item.owner)]


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
            *_item_deadlines(event, timing, typed.item_id, typed.due, None)]


def action_item_completed(event: StoredEvent, timing: Timing) -> list[Effect]:
    return [Suspend(event.stream, scope=event.data["item_id"])]


def action_item_returned(event: StoredEvent, timing: Timing) -> list[Effect]:
    return [Resume(event.stream, scope=event.data["item_id"])]


def action_item_verified(event: StoredEvent, timing: Timing) -> list[Effect]:
    return [Cancel(event.stream, scope=event.data["item_id"])]
