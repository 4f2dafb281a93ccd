"""Read models and deadlines agree with the domain on two rules they once re-encoded by hand
(issue "One truth per rule", points 1 and 2). Both backends."""

from __future__ import annotations

from datetime import timedelta

from casework.domain.actors import Actor, Role
from casework.domain.commands import (
    AllocateIntelligence,
    AssessRisk,
    LogIntelligence,
    RegisterProvider,
)
from casework.domain.intelligence import INTELLIGENCE
from casework.domain.visits import VISIT_LIFECYCLE
from casework.projections.provider_view import provider_state
from casework.projections.triage import triage_inbox
from casework.workflows.deadline_calendar import pending_deadlines

MANAGER = Actor("mia", Role.manager)


def _assessed_record(casework, risk: str, action_required: bool) -> tuple[str, str]:
    app, clock = casework.application, casework.clock
    pid = app.execute(RegisterProvider(name="Rose Court", service_type="care_home_residential"),
                      MANAGER).aggregate_id
    rid = app.execute(LogIntelligence(provider_id=pid, source="complaint", received_at=clock.now(),
                                      summary="Night staffing"), MANAGER).aggregate_id
    clock.advance(timedelta(hours=1))
    app.execute(AllocateIntelligence(record_id=rid, officer="amy"), MANAGER)
    clock.advance(timedelta(hours=1))
    app.execute(AssessRisk(record_id=rid, risk=risk, action_required=action_required,
                           rationale="as found"), MANAGER)
    return pid, rid


def test_a_risk_assessed_record_re_allocated_stays_risk_assessed_in_every_read_model(casework) -> None:
    pid, rid = _assessed_record(casework, "medium", True)
    casework.clock.advance(timedelta(hours=1))
    casework.application.execute(AllocateIntelligence(record_id=rid, officer="bob"), MANAGER)

    record = casework.application.load(INTELLIGENCE, rid)
    [item] = triage_inbox(casework)
    assert record.state == "risk_assessed"
    assert (item.state, item.assigned_to) == ("risk_assessed", "bob")
    assert triage_inbox(casework, state="allocated") == []
    assert provider_state(casework, pid)["records"][rid][0] == "risk_assessed"


def test_a_high_risk_needing_no_action_has_no_first_action_service_level_nor_deadline(casework) -> None:
    _, rid = _assessed_record(casework, "high", False)

    [item] = triage_inbox(casework)
    assert (item.state, item.risk, item.action_required) == ("risk_assessed", "high", False)
    assert (item.service_level, item.due_at) == (None, None)
    assert [d.kind for d in pending_deadlines(casework) if d.source == f"intelligence-{rid}"] == []


def test_a_high_risk_needing_action_has_its_first_action_due_in_the_inbox_and_the_calendar(
    casework,
) -> None:
    _, rid = _assessed_record(casework, "high", True)

    [item] = triage_inbox(casework)
    [deadline] = [d for d in pending_deadlines(casework) if d.source == f"intelligence-{rid}"]
    assert (item.service_level, deadline.kind) == ("first_action", "high_risk_first_action")
    assert item.due_at == deadline.due_at


def test_a_visit_has_one_open_state_so_the_provider_view_keeps_no_state_for_planned_visits() -> None:
    open_states = set(VISIT_LIFECYCLE.states) - VISIT_LIFECYCLE.final_states
    assert open_states == {VISIT_LIFECYCLE.initial}
