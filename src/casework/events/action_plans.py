"""Action plans raised from a visit or a record (stream ``action-plan-<plan_id>``).

Plan states: ``open`` -> ``closed`` (when every item is verified).
Item states: ``open`` -> ``in_progress`` -> ``completed`` (by the provider) -> ``verified`` (by an
officer); a failed verification returns the item to ``in_progress``. "Overdue" is derived from
the due date and the clock (``casework.domain.action_plans.is_overdue``), never stored.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from casework.events.base import DomainEvent
from casework.events.links import RecordRef


class ActionTheme(StrEnum):
    outcome_setting_recording = "outcome_setting_recording"
    person_centred_care_planning = "person_centred_care_planning"
    mental_capacity_assessments = "mental_capacity_assessments"
    medication_management = "medication_management"
    staffing = "staffing"
    governance = "governance"
    other = "other"


class ActionPlanState(StrEnum):
    open = "open"
    closed = "closed"


class ActionItemState(StrEnum):
    open = "open"
    in_progress = "in_progress"
    completed = "completed"
    verified = "verified"


class ActionItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    item_id: str
    description: str
    theme: ActionTheme
    owner: str
    due: date


class ActionPlanRaised(DomainEvent, type_name="ActionPlanRaised"):
    plan_id: str
    provider_id: str
    raised_from: RecordRef  # the visit or intelligence record it was raised from
    items: list[ActionItem]
    title: str | None = None


class ActionItemAdded(DomainEvent, type_name="ActionItemAdded"):
    plan_id: str
    item: ActionItem


class ActionItemStarted(DomainEvent, type_name="ActionItemStarted"):
    plan_id: str
    item_id: str


class ActionItemCompleted(DomainEvent, type_name="ActionItemCompleted"):
    """The provider reports the item done (recorded by an officer)."""

    plan_id: str
    item_id: str
    note: str | None = None


class ActionItemVerified(DomainEvent, type_name="ActionItemVerified"):
    """An officer verified the item, usually at a review visit (``visit_id``)."""

    plan_id: str
    item_id: str
    visit_id: str | None = None
    note: str | None = None


class ActionItemReturned(DomainEvent, type_name="ActionItemReturned"):
    """Verification failed: the item goes back to ``in_progress``."""

    plan_id: str
    item_id: str
    reason: str


class ActionItemDueDateChanged(DomainEvent, type_name="ActionItemDueDateChanged"):
    plan_id: str
    item_id: str
    due: date
    reason: str


class ActionPlanClosed(DomainEvent, type_name="ActionPlanClosed"):
    """Appended with the verification of the last item."""

    plan_id: str
