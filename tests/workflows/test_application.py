"""The workflows through the Application (command bus), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from casework.domain.actors import Actor, Role
from casework.domain.errors import Forbidden, NotAllowed
from casework.domain.escalation import EscalateContract, LiftSanction
from casework.domain.notices import IssueRemedyNotice, RecordNoticeFailed
from casework.domain.provider_failure import IdentifyFailureConcern, InitiateProcedure
from casework.domain.providers import RegisterProvider
from casework.events.errors import ConcurrencyError
from casework.workflows.deadline_calendar import pending_deadlines
from casework.workflows.deadlines import DeadlineKind
from casework.workflows.status import escalation_status

MANAGER = Actor("mia", Role.manager)
OFFICER = Actor("amy", Role.officer)


@pytest.fixture
def provider_id(casework) -> str:
    result = casework.application.execute(
        RegisterProvider(name="Rose Court", service_type="care_home_nursing"), MANAGER
    )
    return result.aggregate_id


def test_escalating_answers_the_stage_and_its_deadlines(casework, provider_id) -> None:
    result = casework.application.execute(
        EscalateContract(
            provider_id=provider_id, to="final_notice_90_day", reason="residents at risk",
            grounds="serious safeguarding failure",
        ),
        MANAGER,
        expected_version=0,
    )
    assert result.stream == f"escalation-{provider_id}"
    status = escalation_status(casework, provider_id)
    assert status.stage == "final_notice_90_day"
    assert status.closed_to_new_placements
    assert [d.kind for d in status.deadlines] == [DeadlineKind.final_notice_decision]
    # No lead officer named for the provider: the team that owns contract escalation, not the
    # manager who escalated (nor "system").
    assert status.to_json()["deadlines"][0]["owner"] == "contracts-team"
    assert result.events[0].provider_id == provider_id  # in the provider's history


def test_only_managers_issue_sanctions(casework, provider_id) -> None:
    with pytest.raises(Forbidden):
        casework.application.execute(EscalateContract(provider_id=provider_id, reason="r"), OFFICER)


def test_a_stale_expected_version_is_refused(casework, provider_id) -> None:
    casework.application.execute(EscalateContract(provider_id=provider_id, reason="r"), MANAGER)
    with pytest.raises(ConcurrencyError):
        casework.application.execute(EscalateContract(provider_id=provider_id, reason="r"), MANAGER,
                                     expected_version=0)


def test_lifting_from_monitoring_is_refused_naming_allowed_actions(casework, provider_id) -> None:
    with pytest.raises(NotAllowed) as refused:
        casework.application.execute(LiftSanction(provider_id=provider_id, improvement="x"), MANAGER)
    assert refused.value.allowed == ["escalate", "propose_termination"]


def test_a_failed_notice_fires_an_alert_proposing_escalation(casework, provider_id) -> None:
    issued = casework.application.execute(
        IssueRemedyNotice(
            provider_id=provider_id, breach="staffing", actions=["recruit"], remedy_by=date(2026, 3, 20)
        ),
        MANAGER,
    )
    casework.clock.advance(timedelta(days=20))
    casework.application.execute(RecordNoticeFailed(notice_id=issued.aggregate_id, note="none"), OFFICER)
    fired = casework.scheduler.fire_due().fired
    # The remedy-by date passed unfired: the failure, recorded first, resolved it.
    assert [(d.kind, d.owner) for d in fired] == [(DeadlineKind.escalation_proposed, "contracts-team")]


def test_only_managers_open_provider_failure_procedures(casework, provider_id) -> None:
    command = IdentifyFailureConcern(provider_id=provider_id, trigger="financial_collapse", summary="admin")
    with pytest.raises(Forbidden):
        casework.application.execute(command, OFFICER)
    opened = casework.application.execute(command, MANAGER)
    casework.application.execute(InitiateProcedure(procedure_id=opened.aggregate_id, lead="mia"), MANAGER)
    [meeting] = pending_deadlines(casework, provider_id=provider_id)
    assert meeting.kind == DeadlineKind.strategy_meeting_due
