"""Action plans raised from a visit or a record, with items worked by the provider and verified
by an officer (stream ``action-plan-<plan_id>``). The plan closes with its last verification.

"Overdue" is derived, never stored: ``is_overdue(item, now)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from types import MappingProxyType
from typing import ClassVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from casework.domain.aggregate import Aggregate, Command, Context, Route, require_text
from casework.domain.errors import InvalidInput, NotAllowed, NotFound
from casework.domain.fields import Identifier, Link, Name, Text
from casework.domain.lifecycle import Lifecycle
from casework.domain.links import check_linkable, triggered_by
from casework.events.action_plans import (
    ActionItem,
    ActionItemAdded,
    ActionItemCompleted,
    ActionItemDueDateChanged,
    ActionItemReturned,
    ActionItemStarted,
    ActionItemState,
    ActionItemVerified,
    ActionPlanClosed,
    ActionPlanRaised,
    ActionPlanState,
    ActionTheme,
)
from casework.events.base import DomainEvent
from casework.events.links import RecordKind, RecordRef, RecordsLinked

IS = ActionItemState
PS = ActionPlanState
ENGLAND = ZoneInfo("Europe/London")

PLAN_LIFECYCLE = Lifecycle(
    "action plan",
    ActionPlanState,
    [("add_item", PS.open, PS.open), ("close", PS.open, PS.closed)],
    initial=PS.open,
)

ITEM_LIFECYCLE = Lifecycle(
    "action item",
    ActionItemState,
    [
        ("start", IS.open, IS.in_progress),
        ("complete", [IS.open, IS.in_progress], IS.completed),
        ("verify", IS.completed, IS.verified),
        ("return", IS.completed, IS.in_progress),
        ("change_due_date", IS.open, IS.open),
        ("change_due_date", IS.in_progress, IS.in_progress),
    ],
    initial=IS.open,
)

# What can be raised from: a visit or a record.
RAISED_FROM_KINDS = frozenset(
    {RecordKind.visit, RecordKind.intelligence, RecordKind.safeguarding, RecordKind.assessment}
)

# The lifecycle action each item event records; read models replay stored events by type name.
ITEM_ACTION_OF: Mapping[type[DomainEvent], str] = MappingProxyType({
    ActionItemStarted: "start",
    ActionItemCompleted: "complete",
    ActionItemVerified: "verify",
    ActionItemReturned: "return",
    ActionItemDueDateChanged: "change_due_date",
})
ITEM_ACTION_OF_TYPE: Mapping[str, str] = MappingProxyType(
    {c.type_name: a for c, a in ITEM_ACTION_OF.items()}
)
# Items the provider still has to do: these are open, and overdue once their due date passes.
ITEM_OPEN_STATES: frozenset[ActionItemState] = frozenset({IS.open, IS.in_progress})


def allowed_actions(state: ActionPlanState | str) -> set[str]:
    return PLAN_LIFECYCLE.allowed_actions(state)


def item_allowed_actions(state: ActionItemState | str) -> set[str]:
    return ITEM_LIFECYCLE.allowed_actions(state)


@dataclass(frozen=True, kw_only=True)
class PlanItem:
    item_id: str
    description: str
    theme: ActionTheme
    owner: str
    due: date
    state: ActionItemState = IS.open

    @property
    def allowed_actions(self) -> set[str]:
        return ITEM_LIFECYCLE.allowed_actions(self.state)


def is_overdue(item: PlanItem, now: datetime) -> bool:
    """Overdue: not yet completed and its due date (in England) has passed."""
    return item.state in ITEM_OPEN_STATES and item.due < now.astimezone(ENGLAND).date()


@dataclass(frozen=True, kw_only=True)
class ActionPlan:
    id: str
    provider_id: str | None = None
    state: ActionPlanState = PS.open
    raised_from: RecordRef | None = None
    title: str | None = None
    items: tuple[PlanItem, ...] = ()
    links: tuple[RecordRef, ...] = ()
    version: int = 0

    @property
    def allowed_actions(self) -> set[str]:
        return PLAN_LIFECYCLE.allowed_actions(self.state)

    def item(self, item_id: str) -> PlanItem:
        for item in self.items:
            if item.item_id == item_id:
                return item
        raise NotFound("action item", f"{self.id}/{item_id}")

    def overdue_items(self, now: datetime) -> list[PlanItem]:
        return [i for i in self.items if is_overdue(i, now)]


# ----------------------------------------------------------------------------- commands
class NewActionItem(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    item_id: Identifier | None = None  # default: "1", "2", ... in order
    description: Text
    theme: ActionTheme
    owner: Name
    due: date


class RaiseActionPlan(Command):
    verb: ClassVar[str] = "raise an action plan"
    plan_id: Identifier | None = None
    provider_id: Identifier
    raised_from: Link  # the visit or intelligence record (or concern, assessment)
    title: Text | None = None
    items: list[NewActionItem] = Field(min_length=1)


class AddActionItem(Command):
    verb: ClassVar[str] = "add an action item"
    plan_id: Identifier
    item: NewActionItem


class _ItemCommand(Command):
    plan_id: Identifier
    item_id: Identifier


class StartActionItem(_ItemCommand):
    verb: ClassVar[str] = "start an action item"


class CompleteActionItem(_ItemCommand):
    """The provider reports the item done."""

    verb: ClassVar[str] = "record an action item completed"
    note: Text | None = None


class VerifyActionItem(_ItemCommand):
    verb: ClassVar[str] = "verify an action item"
    visit_id: Identifier | None = None
    note: Text | None = None


class ReturnActionItem(_ItemCommand):
    verb: ClassVar[str] = "return an action item"
    reason: Text


class ChangeActionItemDueDate(_ItemCommand):
    verb: ClassVar[str] = "change an action item's due date"
    due: date
    reason: Text


# ----------------------------------------------------------------------------- evolve
def evolve(state: ActionPlan, event: DomainEvent) -> ActionPlan:
    match event:
        case ActionPlanRaised():
            return replace(
                state,
                provider_id=event.provider_id,
                raised_from=event.raised_from,
                title=event.title,
                items=tuple(_plan_item(i) for i in event.items),
            )
        case ActionItemAdded():
            return replace(state, items=(*state.items, _plan_item(event.item)))
        case ActionPlanClosed():
            return replace(state, state=PS(PLAN_LIFECYCLE.replay(state.id, state.state, "close")))
        case RecordsLinked():
            return replace(state, links=(*state.links, event.linked))
    action = ITEM_ACTION_OF.get(type(event))
    if action is None:
        return state
    item = state.item(event.item_id)  # type: ignore[attr-defined]
    dest = ITEM_LIFECYCLE.replay(f"{state.id}/{item.item_id}", item.state, action)
    changed = replace(item, state=IS(dest))
    if isinstance(event, ActionItemDueDateChanged):
        changed = replace(changed, due=event.due)
    return replace(state, items=tuple(changed if i.item_id == item.item_id else i for i in state.items))


def _plan_item(item: ActionItem) -> PlanItem:
    return PlanItem(**item.model_dump())


# ----------------------------------------------------------------------------- decide
def decide(state: ActionPlan, command: Command, ctx: Context) -> list[DomainEvent]:
    pid = state.id
    match command:
        case RaiseActionPlan():
            return _raise(pid, command, ctx)
        case AddActionItem():
            PLAN_LIFECYCLE.check(pid, state.state, "add_item")
            taken = {i.item_id for i in state.items}
            item = _new_item(command.item, "item", str(len(state.items) + 1), ctx, taken)
            return [ActionItemAdded(plan_id=pid, item=item)]
        case _ItemCommand():
            return _decide_item(state, command, ctx)
    raise TypeError(f"action plans cannot handle {type(command).__name__}")


def _raise(pid: str, command: RaiseActionPlan, ctx: Context) -> list[DomainEvent]:
    if command.raised_from.kind not in RAISED_FROM_KINDS:
        raise InvalidInput("raised_from.kind", "raise a plan from a visit or a record")
    check_linkable(ctx, "raised_from", command.raised_from, command.provider_id)
    items: list[ActionItem] = []
    taken: set[str] = set()
    for index, new in enumerate(command.items):
        item = _new_item(new, f"items.{index}", str(index + 1), ctx, taken)
        taken.add(item.item_id)
        items.append(item)
    return [
        ActionPlanRaised(
            plan_id=pid,
            provider_id=command.provider_id,
            raised_from=command.raised_from,
            title=command.title,
            items=items,
        ),
        triggered_by(RecordKind.action_plan, pid, command.raised_from),
    ]


def _new_item(new: NewActionItem, where: str, default_id: str, ctx: Context, taken: set[str]) -> ActionItem:
    item_id = new.item_id or default_id
    if item_id in taken:
        raise InvalidInput(f"{where}.item_id", f"{item_id!r} is already an item of this plan")
    raised_on = ctx.occurred_at.astimezone(ENGLAND).date()
    if new.due < raised_on:
        raise InvalidInput(f"{where}.due", f"{new.due} is before the plan was raised ({raised_on})")
    return ActionItem(
        item_id=item_id,
        description=require_text(f"{where}.description", new.description),
        theme=new.theme,
        owner=require_text(f"{where}.owner", new.owner),
        due=new.due,
    )


def _decide_item(state: ActionPlan, command: _ItemCommand, ctx: Context) -> list[DomainEvent]:
    pid = state.id
    if state.state is PS.closed:
        raise NotAllowed("action plan", pid, state.state, command.describe(), set(), "it is closed")
    item = state.item(command.item_id)
    ident = f"{pid}/{item.item_id}"
    base = {"plan_id": pid, "item_id": item.item_id}
    match command:
        case StartActionItem():
            ITEM_LIFECYCLE.check(ident, item.state, "start")
            return [ActionItemStarted(**base)]
        case CompleteActionItem():
            ITEM_LIFECYCLE.check(ident, item.state, "complete")
            return [ActionItemCompleted(**base, note=command.note)]
        case VerifyActionItem():
            ITEM_LIFECYCLE.check(ident, item.state, "verify", "the provider must complete it first")
            if command.visit_id is not None:
                check_linkable(ctx, "visit_id", RecordRef(kind=RecordKind.visit, id=command.visit_id),
                               state.provider_id)
            events: list[DomainEvent] = [
                ActionItemVerified(**base, visit_id=command.visit_id, note=command.note)
            ]
            if all(i.state is IS.verified for i in state.items if i.item_id != item.item_id):
                events.append(ActionPlanClosed(plan_id=pid))
            return events
        case ReturnActionItem():
            ITEM_LIFECYCLE.check(ident, item.state, "return")
            return [ActionItemReturned(**base, reason=require_text("reason", command.reason))]
        case ChangeActionItemDueDate():
            ITEM_LIFECYCLE.check(ident, item.state, "change_due_date")
            reason = require_text("reason", command.reason)
            return [ActionItemDueDateChanged(**base, due=command.due, reason=reason)]
    raise TypeError(f"action items cannot handle {type(command).__name__}")


ACTION_PLAN = Aggregate(
    kind="action plan",
    stream_prefix="action-plan",
    initial=lambda ident: ActionPlan(id=ident),
    evolve=evolve,
    decide=decide,
    routes={
        RaiseActionPlan: Route(lambda c: c.plan_id, creates=True, provider_of=lambda c: c.provider_id),
        AddActionItem: Route(lambda c: c.plan_id),
        StartActionItem: Route(lambda c: c.plan_id),
        CompleteActionItem: Route(lambda c: c.plan_id),
        VerifyActionItem: Route(lambda c: c.plan_id),
        ReturnActionItem: Route(lambda c: c.plan_id),
        ChangeActionItemDueDate: Route(lambda c: c.plan_id),
    },
    lifecycle=PLAN_LIFECYCLE,
    state_of=lambda s: s.state,
)
