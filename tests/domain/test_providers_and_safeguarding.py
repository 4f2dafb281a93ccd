"""Providers and safeguarding concerns, in memory."""

from __future__ import annotations

from datetime import date

import pytest

from casework.domain.errors import InvalidInput, NotAllowed
from casework.domain.personal_data import InMemoryKeyStore, PersonVault
from casework.domain.providers import (
    PROVIDER,
    ChangeOwner,
    ChangeRegisteredManager,
    CloseProvider,
    PublishCqcRating,
    RecordRiskCriterion,
    RegisterProvider,
    StartContract,
)
from casework.domain.safeguarding import (
    SAFEGUARDING,
    CloseSafeguardingConcern,
    RaiseSafeguardingConcern,
    RecordSafeguardingOutcome,
    ReferSafeguardingConcern,
)
from casework.events.providers import OwnershipChanged

from .helpers import context, run

REGISTER = RegisterProvider(
    name="Oak House", service_type="care_home_nursing", categories=["OP", "PDSI"], beds=40,
    district="Dover", nhs_area="SKC", contract_reference="SS14142", registered_manager="Ann",
    owner="Oak Ltd", cqc_location_id="1-123",
)


def test_a_provider_keeps_its_registration_ratings_changes_and_risk_criteria():
    state = run(PROVIDER, "p1", [
        REGISTER,
        PublishCqcRating(provider_id="p1", report_date=date(2025, 6, 1), overall="requires_improvement",
                         key_questions={"safe": "inadequate", "well_led": "requires_improvement"}),
        PublishCqcRating(provider_id="p1", report_date=date(2024, 1, 1), overall="good"),  # older
        ChangeRegisteredManager(provider_id="p1", new_manager="Bea"),
        RecordRiskCriterion(provider_id="p1", criterion="food_hygiene", rag="amber"),
    ])
    assert (state.name, state.service_type, state.categories, state.beds) == (
        "Oak House", "care_home_nursing", ("OP", "PDSI"), 40
    )
    assert state.cqc_overall == "requires_improvement" and state.registered_manager == "Bea"
    assert state.risk_criteria == {"food_hygiene": "amber"}


def test_a_change_of_owner_names_the_previous_owner():
    state = run(PROVIDER, "p1", [REGISTER])
    assert PROVIDER.run_decide(state, ChangeOwner(provider_id="p1", new_owner="Elm plc"), context()) == [
        OwnershipChanged(provider_id="p1", previous_owner="Oak Ltd", new_owner="Elm plc")
    ]


def test_a_closed_provider_takes_no_more_changes():
    state = run(PROVIDER, "p1", [REGISTER, CloseProvider(provider_id="p1", kind="hand_back",
                                                       reason="contract handed back")])
    with pytest.raises(NotAllowed) as refused:
        PROVIDER.run_decide(state, ChangeOwner(provider_id="p1", new_owner="X"), context())
    assert refused.value.state == "closed"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"service_type": "hospital"}, "service_type"),
        ({"categories": ["OAP"]}, "categories.0"),
        ({"beds": -1}, "beds"),
    ],
)
def test_registration_names_the_bad_field(data, field):
    with pytest.raises(InvalidInput) as bad:
        RegisterProvider.parse({"name": "Oak", "service_type": "home_care", **data})
    assert bad.value.errors[0][0] == field


def test_a_risk_criterion_derived_from_events_cannot_be_recorded_by_hand():
    with pytest.raises(InvalidInput) as bad:
        RecordRiskCriterion.parse({"provider_id": "p1", "criterion": "cqc_overall_rating", "rag": "red"})
    assert bad.value.errors[0][0] == "criterion"


def test_a_cqc_report_dated_in_the_future_is_invalid():
    with pytest.raises(InvalidInput) as bad:
        PROVIDER.run_decide(run(PROVIDER, "p1", [REGISTER]),
                            PublishCqcRating(provider_id="p1", report_date=date(2027, 1, 1)), context())
    assert bad.value.errors[0][0] == "report_date"


def test_a_safeguarding_concern_runs_raised_referred_outcome_closed():
    state = run(SAFEGUARDING, "s1", [
        RaiseSafeguardingConcern(provider_id="p1", category="neglect", summary="pressure sores"),
        ReferSafeguardingConcern(concern_id="s1", section_42=True),
        RecordSafeguardingOutcome(concern_id="s1", outcome="partially_substantiated"),
        CloseSafeguardingConcern(concern_id="s1"),
    ])
    assert (state.state, state.section_42, state.outcome) == ("closed", True, "partially_substantiated")


def test_a_concern_cannot_close_before_its_outcome():
    state = run(SAFEGUARDING, "s1", [
        RaiseSafeguardingConcern(provider_id="p1", category="financial", summary="missing money"),
    ])
    with pytest.raises(NotAllowed) as refused:
        SAFEGUARDING.run_decide(state, CloseSafeguardingConcern(concern_id="s1"), context())
    assert refused.value.allowed == ["refer"]


def test_adults_at_risk_are_never_named_in_the_event():
    vault = PersonVault(InMemoryKeyStore())
    command = RaiseSafeguardingConcern(provider_id="p1", category="physical", summary="bruising",
                                       adults_at_risk=[{"name": "Mrs Agnes Smith"}])
    [event] = SAFEGUARDING.run_decide(SAFEGUARDING.initial("s1"), command, context(vault=vault))
    assert "Agnes" not in event.model_dump_json()
    assert vault.reveal_details(event.adults_at_risk[0]).name == "Mrs Agnes Smith"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"category": "bullying"}, "category"),
        ({"adults_at_risk": [{"nickname": "A"}]}, "adults_at_risk.0.name"),
    ],
)
def test_raising_a_concern_names_the_bad_field(data, field):
    with pytest.raises(InvalidInput) as bad:
        RaiseSafeguardingConcern.parse({"provider_id": "p1", "category": "neglect", "summary": "s", **data})
    assert bad.value.errors[0][0] == field


def test_a_contract_cannot_end_before_it_starts():
    with pytest.raises(InvalidInput) as bad:
        PROVIDER.run_decide(run(PROVIDER, "p1", [REGISTER]), StartContract(
            provider_id="p1", contract_reference="SS1", starts_on=date(2026, 4, 1),
            ends_on=date(2026, 3, 1)), context())
    assert bad.value.errors[0][0] == "ends_on"
