"""Action plans and their items, in memory."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from casework.domain.action_plans import (
    ACTION_PLAN,
    CompleteActionItem,
    RaiseActionPlan,
    ReturnActionItem,
    StartActionItem,
    VerifyActionItem,
    is_overdue,
)
from casework.domain.errors import InvalidInput, NotAllowed, NotFound
from casework.domain.visits import VISIT, PlanVisit
from casework.events.action_plans import ActionItemVerified, ActionPlanClosed

from .helpers import NOW, context, run

VISITED = run(VISIT, "v1", [PlanVisit(provider_id="p1", reason="full_monitoring", planned_for=NOW)])
CTX = context(known={("visit", "v1"): VISITED})


def item(**kw):
    return {"description": "update care plans", "theme": "person_centred_care_planning",
            "owner": "registered manager", "due": date(2026, 4, 1), **kw}


def raise_plan(*items):
    return RaiseActionPlan(provider_id="p1", raised_from={"kind": "visit", "id": "v1"},
                           items=list(items) or [item()])


def test_a_plan_closes_when_its_last_item_is_verified():
    state = run(ACTION_PLAN, "ap1", [
        raise_plan(item(), item(theme="medication_management")),
        StartActionItem(plan_id="ap1", item_id="1"),
        CompleteActionItem(plan_id="ap1", item_id="1"),
        VerifyActionItem(plan_id="ap1", item_id="1"),
        CompleteActionItem(plan_id="ap1", item_id="2"),
    ], CTX)
    assert state.state == "open"
    events = ACTION_PLAN.run_decide(state, VerifyActionItem(plan_id="ap1", item_id="2"), CTX)
    assert events == [ActionItemVerified(plan_id="ap1", item_id="2"), ActionPlanClosed(plan_id="ap1")]
    assert ACTION_PLAN.fold("ap1", events, state).state == "closed"


def test_an_item_cannot_be_verified_before_the_provider_completes_it():
    state = run(ACTION_PLAN, "ap1", [raise_plan()], CTX)
    with pytest.raises(NotAllowed) as refused:
        ACTION_PLAN.run_decide(state, VerifyActionItem(plan_id="ap1", item_id="1"), CTX)
    assert refused.value.state == "open" and refused.value.allowed == [
        "change_due_date", "complete", "start"
    ]


def test_a_failed_verification_returns_the_item_to_in_progress():
    state = run(ACTION_PLAN, "ap1", [
        raise_plan(), CompleteActionItem(plan_id="ap1", item_id="1"),
        ReturnActionItem(plan_id="ap1", item_id="1", reason="not evidenced"),
    ], CTX)
    assert state.items[0].state == "in_progress"


def test_an_unknown_item_is_not_found():
    state = run(ACTION_PLAN, "ap1", [raise_plan()], CTX)
    with pytest.raises(NotFound):
        ACTION_PLAN.run_decide(state, StartActionItem(plan_id="ap1", item_id="9"), CTX)


def test_a_due_date_before_the_plan_was_raised_is_invalid():
    with pytest.raises(InvalidInput) as bad:
        ACTION_PLAN.run_decide(
            ACTION_PLAN.initial("ap1"), raise_plan(item(), item(due=date(2026, 3, 1))), CTX
        )
    assert bad.value.errors[0][0] == "items.1.due"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"items": [item(theme="paperwork")]}, "items.0.theme"),
        ({"items": []}, "items"),
        ({"items": [item(due="soon")]}, "items.0.due"),
    ],
)
def test_raising_a_plan_names_the_bad_field(data, field):
    base = {"provider_id": "p1", "raised_from": {"kind": "visit", "id": "v1"}, "items": [item()]}
    with pytest.raises(InvalidInput) as bad:
        RaiseActionPlan.parse({**base, **data})
    assert bad.value.errors[0][0] == field


def test_a_plan_must_be_raised_from_a_known_visit_or_record_of_the_same_provider():
    command = RaiseActionPlan(provider_id="p1", raised_from={"kind": "visit", "id": "v2"}, items=[item()])
    with pytest.raises(InvalidInput) as bad:
        ACTION_PLAN.run_decide(ACTION_PLAN.initial("ap1"), command, CTX)
    assert bad.value.errors[0][0] == "raised_from"
    other = RaiseActionPlan(provider_id="p2", raised_from={"kind": "visit", "id": "v1"}, items=[item()])
    with pytest.raises(InvalidInput):
        ACTION_PLAN.run_decide(ACTION_PLAN.initial("ap1"), other, CTX)


def test_overdue_is_derived_from_the_due_date_and_the_clock():
    state = run(ACTION_PLAN, "ap1", [raise_plan(item(due=date(2026, 3, 10)))], CTX)
    [open_item] = state.items
    assert not is_overdue(open_item, NOW + timedelta(days=8))  # on 10 March itself
    assert is_overdue(open_item, NOW + timedelta(days=9))
    completed = ACTION_PLAN.run_decide(state, CompleteActionItem(plan_id="ap1", item_id="1"), CTX)
    done = ACTION_PLAN.fold("ap1", completed, state)
    assert not is_overdue(done.items[0], NOW + timedelta(days=30))
