"""Issue 18, four eyes: a proposal of immediate termination is not left waiting unseen. It raises
an alert at once, owned by the contracts team (a second manager), never by the provider's lead
officer, who may be the manager who proposed it (both backends)."""

from __future__ import annotations

from casework.domain.actors import Actor, Role
from casework.domain.enums import ServiceType
from casework.domain.escalation import ProposeImmediateTermination
from casework.domain.providers import AssignLeadOfficer, RegisterProvider
from casework.workflows.deadline_calendar import fired_alerts, pending_deadlines
from casework.workflows.deadlines import DeadlineKind

MANNY = Actor("manny", Role.manager)


def test_a_proposal_alerts_the_contracts_team_at_once_even_when_the_proposer_leads_the_case(
    casework,
) -> None:
    app = casework.application
    pid = app.execute(RegisterProvider(name="Elm Court", service_type=ServiceType.home_care),
                      MANNY).aggregate_id
    app.execute(AssignLeadOfficer(provider_id=pid, officer="manny"), MANNY)
    before = fired_alerts(casework)
    app.execute(ProposeImmediateTermination(provider_id=pid, grounds="fraud", reason="Forged invoices"),
                MANNY)
    report = casework.scheduler.fire_due()
    [alert] = [d for d in report.alerts if d.kind == DeadlineKind.termination_approval]
    assert alert.owner == "contracts-team" and alert.provider_id == pid
    assert "proposed by manny" in alert.title and "(fraud)" in alert.title
    assert "second manager" in alert.title
    assert len(fired_alerts(casework)) == len(before) + 1
    assert not [d for d in pending_deadlines(casework) if d.kind == DeadlineKind.termination_approval]
    assert casework.scheduler.fire_due().alerts == []  # fired once
