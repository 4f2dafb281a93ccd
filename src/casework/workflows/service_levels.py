"""Service levels for intelligence records and action-plan item due dates, as deadline rules.

Intelligence (stream ``intelligence-<id>``): allocated within 1 working day of receipt; risk
assessed within 2 working days of allocation; a high or critical risk gets its first action
within 1 working day of the assessment. Meeting a service level in time cancels its deadline.

Action-plan items (stream ``action-plan-<id>``, scope = item id): a reminder 7 days before the
due date and an overdue alert on the day. An item reported completed suspends them; verified
ends them; returned (verification failed) resumes them, firing at once if already past due.
"""

from __future__ import annotations

from casework.domain.policy import Timing
from casework.events.action_plans import (
    ActionItem,
    ActionItemAdded,
    ActionItemDueDateChanged,
    ActionPlanRaised,
)
from casework.events.intelligence import (
    IntelligenceAllocated,
    IntelligenceLogged,
    RiskAssessed,
    RiskLevel,
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
URGENT = frozenset({RiskLevel.high, RiskLevel.critical})


def _deadline(event: StoredEvent, kind: K, title: str, due_at, owner: str | None, *parts: object,
              scope: str = "") -> Deadline:
    return Deadline(
        deadline_id=deadline_id(event, kind, *parts), provider_id=event.provider_id, kind=kind,
        title=title, due_at=due_at, owner=owner or event.actor or "unassigned", source=event.stream,
        scope=scope,
    )


# ------------------------------------------------------------------ intelligence
def intelligence_logged(event: StoredEvent, timing: Timing) -> list[Effect]:
    typed = event.event
    assert isinstance(typed, IntelligenceLogged)
    due = timing.after(typed.received_at, timing.policy.intelligence_allocation)
    return [Schedule(_deadline(event, K.intelligence_allocation, "Intelligence record: allocation due",
                               due, None))]


def intelligence_allocated(event: StoredEvent, timing: Timing) -> list[Effect]:
    """Allocation meets its service level; risk assessment is due 2 working days after it.
    A re-allocation restarts the assessment clock for the new officer."""
    typed = event.event
    assert isinstance(typed, IntelligenceAllocated)
    due = timing.after(event.occurred_at, timing.policy.intelligence_risk_assessment)
    return [
        Cancel(event.stream, kinds=frozenset({K.intelligence_allocation, K.intelligence_risk_assessment})),
        Schedule(_deadline(event, K.intelligence_risk_assessment, "Intelligence record: risk assessment due",
                           due, typed.officer)),
    ]


def intelligence_reopened(event: StoredEvent, timing: Timing) -> list[Effect]:
    due = timing.after(event.occurred_at, timing.policy.intelligence_risk_assessment)
    return [
        Cancel(event.stream),
        Schedule(_deadline(event, K.intelligence_risk_assessment,
                           "Re-opened intelligence record: risk assessment due", due, None)),
    ]


def risk_assessed(event: StoredEvent, timing: Timing) -> list[Effect]:
    typed = event.event
    assert isinstance(typed, RiskAssessed)
    effects: list[Effect] = [Cancel(event.stream, kinds=frozenset({K.intelligence_risk_assessment}))]
    if typed.risk in URGENT:
        due = timing.after(event.occurred_at, timing.policy.high_risk_first_action)
        effects.append(Schedule(_deadline(
            event, K.high_risk_first_action, f"{typed.risk.capitalize()} risk: first action due", due, None,
        )))
    return effects


def intelligence_action_taken(event: StoredEvent, timing: Timing) -> list[Effect]:
    return [Cancel(event.stream, kinds=frozenset({K.high_risk_first_action}))]


def intelligence_closed(event: StoredEvent, timing: Timing) -> list[Effect]:
    return [Cancel(event.stream)]


# ------------------------------------------------------------------ action-plan items
def _item_deadlines(event: StoredEvent, timing: Timing, item_id: str, due_date, owner: str | None
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
