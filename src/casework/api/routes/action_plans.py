"""Action plans and their items: open -> in_progress -> completed -> verified (or returned)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from casework.api import API_PREFIX
from casework.api.auth import current_actor
from casework.api.problems import READ_ERRORS, WRITE_ERRORS
from casework.api.schemas.casework import (
    ActionItemOut,
    ActionPlanOut,
    AddItemIn,
    ItemDueIn,
    ItemNoteIn,
    RaiseActionPlanIn,
    ReturnItemIn,
    VerifyItemIn,
)
from casework.api.schemas.common import WriteBody, WriteResult
from casework.api.writes import WriteContext, WriteRoute, runs
from casework.domain.action_plans import (
    ACTION_PLAN,
    AddActionItem,
    ChangeActionItemDueDate,
    CompleteActionItem,
    RaiseActionPlan,
    ReturnActionItem,
    StartActionItem,
    VerifyActionItem,
)
from casework.domain.actors import Actor

router = APIRouter(prefix=f"{API_PREFIX}/action-plans", tags=["action plans"],
                   route_class=WriteRoute)
ITEM = "/{plan_id}/items/{item_id}"


@router.post("", status_code=201, response_model=WriteResult, responses=WRITE_ERRORS,
             summary="Raise an action plan from a visit or a record")
@runs(RaiseActionPlan)
def raise_plan(body: RaiseActionPlanIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(RaiseActionPlan.parse(body.data()))


@router.post("/{plan_id}/items", response_model=WriteResult, responses=WRITE_ERRORS,
             summary="Add an item to an open plan")
@runs(AddActionItem)
def add_item(plan_id: str, body: AddItemIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(AddActionItem.parse(body.data(plan_id=plan_id)))


@router.post(f"{ITEM}/start", response_model=WriteResult, responses=WRITE_ERRORS,
             summary="The provider started work on the item")
@runs(StartActionItem)
def start(plan_id: str, item_id: str, body: WriteBody, w: WriteContext = Depends()) -> WriteResult:
    return w.write(StartActionItem.parse(body.data(plan_id=plan_id, item_id=item_id)))


@router.post(f"{ITEM}/complete", response_model=WriteResult, responses=WRITE_ERRORS,
             summary="The provider completed the item")
@runs(CompleteActionItem)
def complete(plan_id: str, item_id: str, body: ItemNoteIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(CompleteActionItem.parse(body.data(plan_id=plan_id, item_id=item_id)))


@router.post(f"{ITEM}/verify", response_model=WriteResult, responses=WRITE_ERRORS,
             summary="An officer verified the item (e.g. at a review visit)")
@runs(VerifyActionItem)
def verify(plan_id: str, item_id: str, body: VerifyItemIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(VerifyActionItem.parse(body.data(plan_id=plan_id, item_id=item_id)))


@router.post(f"{ITEM}/return", response_model=WriteResult, responses=WRITE_ERRORS,
             summary="Not verified: back to the provider, with the reason")
@runs(ReturnActionItem)
def return_item(plan_id: str, item_id: str, body: ReturnItemIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(ReturnActionItem.parse(body.data(plan_id=plan_id, item_id=item_id)))


@router.post(f"{ITEM}/due-date", response_model=WriteResult, responses=WRITE_ERRORS,
             summary="Move the item's due date, with the reason")
@runs(ChangeActionItemDueDate)
def change_due(plan_id: str, item_id: str, body: ItemDueIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(ChangeActionItemDueDate.parse(body.data(plan_id=plan_id, item_id=item_id)))


@router.get("/{plan_id}", response_model=ActionPlanOut, responses=READ_ERRORS,
            summary="A plan and its items")
def get_plan(request: Request, plan_id: str, _: Actor = Depends(current_actor)) -> ActionPlanOut:
    plan = request.app.state.casework.application.load(ACTION_PLAN, plan_id)
    return ActionPlanOut(
        id=plan.id, provider_id=plan.provider_id, state=plan.state, title=plan.title,
        items=[ActionItemOut.model_validate(i) for i in plan.items], version=plan.version,
    )

