"""Intelligence triage, decided and evolved in memory."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casework.domain.errors import InvalidInput, NotAllowed
from casework.domain.intelligence import (
    INTELLIGENCE,
    KEEP,
    AllocateIntelligence,
    AssessRisk,
    CloseIntelligence,
    LinkIntelligence,
    LogIntelligence,
    ReopenIntelligence,
    ServiceLevel,
    ServiceLevelDue,
    TakeIntelligenceAction,
    service_level_after,
    service_level_in,
)
from casework.domain.personal_data import InMemoryKeyStore, PersonVault
from casework.domain.policy import Timing
from casework.events.intelligence import IntelligenceAllocated, IntelligenceLogged, RiskAssessed
from casework.events.links import LinkRelation, RecordsLinked

from .helpers import NOW, context, run

RECEIVED = NOW - timedelta(days=1)


def log(**kw) -> LogIntelligence:
    fields = {"provider_id": "p1", "source": "complaint", "received_at": RECEIVED, "summary": "x"}
    return LogIntelligence(**{**fields, **kw})


def assessed():
    return run(INTELLIGENCE, "r1", [
        log(),
        AllocateIntelligence(record_id="r1", officer="amy"),
        AssessRisk(record_id="r1", risk="high", action_required=True, rationale="falls"),
    ])


def test_logging_then_allocating_records_the_officer():
    state = run(INTELLIGENCE, "r1", [log()])
    events = INTELLIGENCE.run_decide(state, AllocateIntelligence(record_id="r1", officer="amy"), context())
    assert events == [IntelligenceAllocated(record_id="r1", officer="amy", previous_officer=None)]
    assert INTELLIGENCE.fold("r1", events, state).state == "allocated"


def test_a_whole_triage_ends_closed_as_actioned():
    state = run(INTELLIGENCE, "r1", [
        log(),
        AllocateIntelligence(record_id="r1", officer="amy"),
        AssessRisk(record_id="r1", risk="high", action_required=True, rationale="falls"),
        TakeIntelligenceAction(record_id="r1", action="responsive_visit"),
        CloseIntelligence(record_id="r1", outcome="actioned"),
    ])
    assert (state.state, state.risk, state.actions, state.outcome) == (
        "closed", "high", ("responsive_visit",), "actioned",
    )
    assert state.allowed_actions == {"reopen"}


def test_reopening_needs_a_reason_and_returns_to_allocated():
    state = run(INTELLIGENCE, "r1", [log(), AllocateIntelligence(record_id="r1", officer="amy"),
                                      AssessRisk(record_id="r1", risk="low", action_required=False,
                                                 rationale="none"),
                                      CloseIntelligence(record_id="r1", outcome="no_further_action")])
    with pytest.raises(InvalidInput) as bad:
        INTELLIGENCE.run_decide(state, ReopenIntelligence(record_id="r1", reason="  "), context())
    assert bad.value.errors[0][0] == "reason"
    reopened = INTELLIGENCE.run_decide(
        state, ReopenIntelligence(record_id="r1", reason="new complaint"), context()
    )
    state = INTELLIGENCE.fold("r1", reopened, state)
    assert state.state == "allocated" and state.officer == "amy"
    assert (state.risk, state.action_required, state.outcome) == (None, None, None)  # assess again


def test_assessing_before_allocation_is_refused_naming_state_and_allowed_actions():
    state = run(INTELLIGENCE, "r1", [log()])
    with pytest.raises(NotAllowed) as refused:
        INTELLIGENCE.run_decide(
            state, AssessRisk(record_id="r1", risk="low", action_required=False, rationale="r"), context()
        )
    assert refused.value.state == "logged" and refused.value.allowed == ["allocate"]


def test_closing_as_actioned_without_an_action_is_invalid():
    with pytest.raises(InvalidInput) as bad:
        INTELLIGENCE.run_decide(assessed(), CloseIntelligence(record_id="r1", outcome="actioned"), context())
    assert bad.value.errors[0][0] == "outcome"


def test_closing_with_no_further_action_after_actions_is_invalid():
    state = INTELLIGENCE.fold("r1", INTELLIGENCE.run_decide(
        assessed(), TakeIntelligenceAction(record_id="r1", action="information_request"), context()),
        assessed())
    with pytest.raises(InvalidInput):
        INTELLIGENCE.run_decide(state, CloseIntelligence(record_id="r1", outcome="no_further_action"),
                                context())


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"summary": "   "}, "summary"),
        ({"received_at": NOW + timedelta(minutes=5)}, "received_at"),
    ],
)
def test_logging_refuses_bad_input_naming_the_field(fields, field):
    with pytest.raises(InvalidInput) as bad:
        INTELLIGENCE.run_decide(INTELLIGENCE.initial("r1"), log(**fields), context())
    assert bad.value.errors[0][0] == field


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"source": "rumour"}, "source"),
        ({"received_at": "2026-03-01T09:00:00"}, "received_at"),  # no offset
        ({"summary": None}, "summary"),
        ({"provider_id": None}, "provider_id"),
    ],
)
def test_parsing_a_log_command_names_the_bad_field(data, field):
    base = {"provider_id": "p1", "source": "cqc", "received_at": RECEIVED.isoformat(), "summary": "x"}
    with pytest.raises(InvalidInput) as bad:
        LogIntelligence.parse({**base, **data})
    assert bad.value.errors[0][0] == field


@pytest.mark.parametrize("risk", ["severe", "", "HIGH "])
def test_an_unknown_risk_level_is_invalid(risk):
    with pytest.raises(InvalidInput) as bad:
        AssessRisk.parse({"record_id": "r1", "risk": risk, "action_required": True, "rationale": "r"})
    assert bad.value.errors[0][0] == "risk"


def test_an_empty_rationale_is_invalid():
    state = run(INTELLIGENCE, "r1", [log(), AllocateIntelligence(record_id="r1", officer="amy")])
    with pytest.raises(InvalidInput) as bad:
        INTELLIGENCE.run_decide(
            state, AssessRisk(record_id="r1", risk="low", action_required=False, rationale=""), context()
        )
    assert bad.value.errors[0][0] == "rationale"


def test_the_whistleblower_is_sealed_not_stored_in_clear():
    vault = PersonVault(InMemoryKeyStore())
    command = log(source="whistleblowing", whistleblower={"name": "Jo Bloggs", "contact": "07700 900123"})
    [event] = INTELLIGENCE.run_decide(INTELLIGENCE.initial("r1"), command, context(vault=vault))
    assert isinstance(event, IntelligenceLogged)
    assert "Jo Bloggs" not in event.model_dump_json() and "07700" not in event.model_dump_json()
    assert vault.reveal_details(event.whistleblower).name == "Jo Bloggs"


def test_linking_a_record_to_what_it_triggered():
    ctx = context(known={("visit", "v1"): run(INTELLIGENCE, "x", [log()])})  # any state of p1
    [event] = INTELLIGENCE.run_decide(
        assessed(), LinkIntelligence(record_id="r1", linked={"kind": "visit", "id": "v1"}), ctx
    )
    assert isinstance(event, RecordsLinked) and event.relation is LinkRelation.triggered
    assert event.mirror().record.id == "v1" and event.mirror().relation is LinkRelation.triggered_by


def test_linking_to_an_unknown_record_is_invalid():
    with pytest.raises(InvalidInput) as bad:
        INTELLIGENCE.run_decide(
            assessed(), LinkIntelligence(record_id="r1", linked={"kind": "visit", "id": "nope"}), context()
        )
    assert bad.value.errors[0][0] == "linked"


# ----------------------------------------------------------------------------- service levels
def test_service_levels_follow_the_state_and_a_first_action_needs_urgency_and_required_action():
    assert service_level_in("logged", None, None) is ServiceLevel.allocation
    assert service_level_in("allocated", None, None) is ServiceLevel.risk_assessment
    assert service_level_in("risk_assessed", "critical", True) is ServiceLevel.first_action
    assert service_level_in("risk_assessed", "high", False) is None
    assert service_level_in("risk_assessed", "medium", True) is None
    assert service_level_in("actioned", "high", True) is None


def test_an_allocation_starts_the_assessment_clock_and_a_re_allocation_keeps_the_running_one():
    timing = Timing()
    first = service_level_after(IntelligenceAllocated(record_id="r1", officer="amy"), NOW, timing)
    assert isinstance(first, ServiceLevelDue)
    assert (first.level, first.since) == (ServiceLevel.risk_assessment, NOW)
    again = IntelligenceAllocated(record_id="r1", officer="bob", previous_officer="amy")
    assert service_level_after(again, NOW + timedelta(hours=3), timing) is KEEP


def test_an_assessment_starts_the_first_action_clock_only_when_a_first_action_is_expected():
    timing = Timing()
    urgent = service_level_after(
        RiskAssessed(record_id="r1", risk="high", action_required=True, rationale="r"), NOW, timing)
    assert isinstance(urgent, ServiceLevelDue) and urgent.level is ServiceLevel.first_action
    calm = RiskAssessed(record_id="r1", risk="high", action_required=False, rationale="r")
    assert service_level_after(calm, NOW, timing) is None
