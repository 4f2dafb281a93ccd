"""Every lifecycle, table-driven: each (state, action) is allowed to one destination or refused
with NotAllowed naming the current state and the allowed actions."""

from __future__ import annotations

import pytest

from casework.domain.action_plans import ITEM_LIFECYCLE, PLAN_LIFECYCLE
from casework.domain.errors import NotAllowed
from casework.domain.intelligence import RECORD_LIFECYCLE
from casework.domain.lifecycle import Lifecycle
from casework.domain.providers import PROVIDER_LIFECYCLE
from casework.domain.safeguarding import CONCERN_LIFECYCLE
from casework.domain.visits import ASSESSMENT_LIFECYCLE, VISIT_LIFECYCLE

X = None  # refused

TABLES: dict[str, tuple[Lifecycle, dict[str, dict[str, str | None]]]] = {
    "intelligence": (
        RECORD_LIFECYCLE,
        {
            "logged": {"allocate": "allocated", "assess": X, "take_action": X, "close": X, "reopen": X},
            "allocated": {"allocate": "allocated", "assess": "risk_assessed", "take_action": X,
                          "close": X, "reopen": X},
            "risk_assessed": {"allocate": "risk_assessed", "assess": "risk_assessed",
                              "take_action": "actioned", "close": "closed", "reopen": X},
            "actioned": {"allocate": "actioned", "assess": X, "take_action": "actioned",
                         "close": "closed", "reopen": X},
            "closed": {"allocate": X, "assess": X, "take_action": X, "close": X,
                       "reopen": "allocated"},
        },
    ),
    "provider": (
        PROVIDER_LIFECYCLE,
        {
            "active": {"publish_rating": "active", "change_owner": "active",
                       "change_manager": "active", "assign_lead_officer": "active",
                       "record_risk_criterion": "active",
                       "update_details": "active", "start_contract": "active",
                       "end_contract": "active", "close": "closed"},
            "closed": {"publish_rating": X, "change_owner": X, "change_manager": X,
                       "assign_lead_officer": X,
                       "record_risk_criterion": X, "update_details": X, "start_contract": X,
                       "end_contract": X, "close": X},
        },
    ),
    "safeguarding": (
        CONCERN_LIFECYCLE,
        {
            "raised": {"refer": "referred", "record_outcome": X, "close": X},
            "referred": {"refer": X, "record_outcome": "outcome_recorded", "close": X},
            "outcome_recorded": {"refer": X, "record_outcome": X, "close": "closed"},
            "closed": {"refer": X, "record_outcome": X, "close": X},
        },
    ),
    "visit": (
        VISIT_LIFECYCLE,
        {
            "planned": {"reschedule": "planned", "complete": "completed", "cancel": "cancelled"},
            "completed": {"reschedule": X, "complete": X, "cancel": X},
            "cancelled": {"reschedule": X, "complete": X, "cancel": X},
        },
    ),
    "assessment": (
        ASSESSMENT_LIFECYCLE,
        {
            "ongoing": {"link_visit": "ongoing", "conclude": "concluded"},
            "concluded": {"link_visit": X, "conclude": X},
        },
    ),
    "action plan": (
        PLAN_LIFECYCLE,
        {"open": {"add_item": "open", "close": "closed"}, "closed": {"add_item": X, "close": X}},
    ),
    "action item": (
        ITEM_LIFECYCLE,
        {
            "open": {"start": "in_progress", "complete": "completed", "verify": X, "return": X,
                     "change_due_date": "open"},
            "in_progress": {"start": X, "complete": "completed", "verify": X, "return": X,
                            "change_due_date": "in_progress"},
            "completed": {"start": X, "complete": X, "verify": "verified", "return": "in_progress",
                          "change_due_date": X},
            "verified": {"start": X, "complete": X, "verify": X, "return": X, "change_due_date": X},
        },
    ),
}

CASES = [
    pytest.param(lifecycle, state, action, dest, id=f"{name}:{state}:{action}")
    for name, (lifecycle, table) in TABLES.items()
    for state, row in table.items()
    for action, dest in row.items()
]


@pytest.mark.parametrize(("lifecycle", "state", "action", "dest"), CASES)
def test_each_action_is_allowed_to_its_destination_or_refused(lifecycle, state, action, dest):
    if dest is None:
        with pytest.raises(NotAllowed) as refused:
            lifecycle.check("x-1", state, action)
        assert refused.value.state == state
        assert refused.value.allowed == sorted(lifecycle.allowed_actions(state))
        assert action not in refused.value.allowed
    else:
        assert lifecycle.check("x-1", state, action) == dest
        assert action in lifecycle.allowed_actions(state)


@pytest.mark.parametrize("name", TABLES)
def test_tables_cover_every_state_and_action(name):
    lifecycle, table = TABLES[name]
    assert set(table) == set(lifecycle.states)
    for row in table.values():
        assert set(row) == lifecycle.actions


def test_refusal_names_the_state_and_what_is_allowed():
    with pytest.raises(NotAllowed) as refused:
        RECORD_LIFECYCLE.check("41", "logged", "assess", "allocate it first")
    assert str(refused.value) == (
        "Cannot assess intelligence record 41: it is 'logged'; allocate it first (allowed: allocate)"
    )


def test_final_states_allow_nothing():
    assert VISIT_LIFECYCLE.is_final("completed")
    assert CONCERN_LIFECYCLE.is_final("closed")
    assert not RECORD_LIFECYCLE.is_final("closed")  # it can be re-opened
