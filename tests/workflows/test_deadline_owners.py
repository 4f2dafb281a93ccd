"""Every deadline has a named owner: the officer its case names, else the provider's lead
officer, else the team that owns the workflow (configurable), never "system" nor whoever typed
the event. Naming or changing the lead officer moves the provider's open deadlines; alerts that
already fired keep who owned them then. Runs on SQLite and PostgreSQL; time moves, nothing sleeps."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from casework.bootstrap import bootstrap
from casework.domain.actors import Actor, Role
from casework.domain.commands import (
    AllocateIntelligence,
    AssignLeadOfficer,
    LogIntelligence,
    RegisterProvider,
)
from casework.domain.errors import Forbidden, InvalidInput
from casework.domain.notices import IssueRemedyNotice
from casework.events.sanctions import ContractSuspended, SanctionStage
from casework.settings import load_settings
from casework.workflows import deadline_calendar
from casework.workflows.deadline_calendar import fired_alerts, pending_deadlines
from casework.workflows.deadlines import DeadlineKind, OwnerFrom
from casework.workflows.rulebook import derive

from .helpers import record

K = DeadlineKind
MANAGER = Actor("mia", Role.manager)
OFFICER = Actor("amy", Role.officer)
SYSTEM = "system"


def register(cw) -> str:
    return cw.application.execute(
        RegisterProvider(name="Rose Court", service_type="care_home_nursing"), MANAGER).aggregate_id


def suspend(cw, provider_id: str, at: datetime, actor: str = SYSTEM) -> None:
    record(cw.store, f"escalation-{provider_id}", ContractSuspended(
        provider_id=provider_id, from_stage=SanctionStage.requirement_to_improve, reason="unsafe staffing"),
        at, actor=actor)


def log_record(cw, provider_id: str) -> str:
    return cw.application.execute(LogIntelligence(
        provider_id=provider_id, source="cqc", received_at=cw.clock.now(), summary="late medication"),
        OFFICER).aggregate_id


def owners(cw, provider_id: str) -> dict[str, str]:
    """Pending deadlines (and reminders) of the provider: kind[+before] -> owner."""
    return {f"{d.kind}{'@' + d.before if d.before else ''}": d.owner
            for d in pending_deadlines(cw, provider_id=provider_id, reminders=True)}


def test_a_deadline_nobody_on_the_case_owns_goes_to_the_team_for_its_kind_never_to_system(casework) -> None:
    provider = register(casework)
    suspend(casework, provider, casework.clock.now(), actor=SYSTEM)  # as an import would record it
    log_record(casework, provider)
    casework.application.execute(IssueRemedyNotice(
        provider_id=provider, breach="staffing", actions=["recruit"], remedy_by=date(2026, 4, 30)), MANAGER)

    found = pending_deadlines(casework, provider_id=provider, reminders=True)
    assert {(d.kind, d.owner, d.owner_from) for d in found} == {
        (K.suspension_review, "contracts-team", OwnerFrom.team),
        (K.remedy_notice_due, "contracts-team", OwnerFrom.team),
        (K.intelligence_allocation, "quality-team", OwnerFrom.team),
    }
    assert not {d.owner for d in found} & {SYSTEM, "mia", "amy", "unassigned"}


def test_the_teams_come_from_settings_by_deadline_kind_with_a_default(settings, clock, monkeypatch) -> None:
    monkeypatch.setenv("CASEWORK_DEADLINE_TEAMS", '{"suspension_review": "reviews-team"}')
    monkeypatch.setenv("CASEWORK_DEFAULT_DEADLINE_TEAM", "triage-team")
    configured = load_settings(database_url=settings.database_url, scheduler_enabled=False)
    cw = bootstrap(configured, clock=clock)
    try:
        provider = register(cw)
        suspend(cw, provider, clock.now())
        log_record(cw, provider)
        cw.application.execute(IssueRemedyNotice(
            provider_id=provider, breach="b", actions=["a"], remedy_by=date(2026, 4, 30)), MANAGER)
        assert {d.kind: d.owner for d in pending_deadlines(cw, provider_id=provider)} == {
            K.suspension_review: "reviews-team",  # named for its kind
            K.remedy_notice_due: "contracts-team",  # kinds not named keep the policy's team
            K.intelligence_allocation: "triage-team",  # every other kind: the default team
        }
    finally:
        cw.close()


def test_a_team_named_for_a_kind_that_does_not_exist_is_refused_at_start(settings, clock) -> None:
    with pytest.raises(InvalidInput, match="suspension_reviews is not a deadline kind"):
        bootstrap(settings.model_copy(update={"deadline_teams": {"suspension_reviews": "x"}}), clock=clock)


def test_naming_a_lead_officer_moves_the_providers_open_deadlines_and_alerts_keep_their_owner(
    casework,
) -> None:
    provider = register(casework)
    start = casework.clock.now()
    suspend(casework, provider, start)
    casework.application.execute(IssueRemedyNotice(
        provider_id=provider, breach="b", actions=["a"], remedy_by=date(2026, 6, 30)), MANAGER)
    [review] = pending_deadlines(casework, provider_id=provider, source=f"escalation-{provider}")
    casework.clock.set(review.due_at)
    assert [d.kind for d in casework.scheduler.fire_due().fired] == [K.suspension_review]
    record_id = log_record(casework, provider)
    casework.application.execute(AllocateIntelligence(record_id=record_id, officer="amy"), MANAGER)

    casework.application.execute(AssignLeadOfficer(provider_id=provider, officer="bilal"), MANAGER)

    assert owners(casework, provider) == {
        "suspension_review": "bilal",  # the next review
        "remedy_notice_due": "bilal",
        "remedy_notice_due@7 working days": "bilal",
        "remedy_notice_due@1 working day": "bilal",
        "intelligence_risk_assessment": "amy",  # the officer the record is allocated to keeps it
        "intelligence_risk_assessment@1 working day": "amy",
    }
    [alert] = fired_alerts(casework, provider_id=provider)
    assert alert.deadline.owner == "contracts-team", "an alert keeps who owned it when it fired"

    # A deadline set after the lead is named is theirs from the start.
    casework.application.execute(IssueRemedyNotice(
        provider_id=provider, breach="c", actions=["d"], remedy_by=date(2026, 7, 31)), MANAGER)
    assert {d.owner for d in pending_deadlines(casework, provider_id=provider)
            if d.kind == K.remedy_notice_due} == {"bilal"}

    # Changing the lead moves them again; the record's officer still keeps hers.
    casework.application.execute(AssignLeadOfficer(provider_id=provider, officer="carys"), MANAGER)
    moved = owners(casework, provider)
    assert moved.pop("intelligence_risk_assessment") == "amy"
    assert moved.pop("intelligence_risk_assessment@1 working day") == "amy"
    assert set(moved.values()) == {"carys"}
    assert [d.kind for d in pending_deadlines(casework, owner="carys")].count(K.remedy_notice_due) == 2

    # The read model rebuilds to the same owners, and agrees with the pure fold of the log.
    before = pending_deadlines(casework, reminders=True)
    casework.projections.rebuild(["deadlines"])
    assert pending_deadlines(casework, reminders=True) == before
    derived = derive(casework.store.read_all(limit=100_000), casework.policy)
    assert derived.pending(reminders=True) == before


def test_reallocating_an_intelligence_record_moves_its_open_deadlines_to_the_new_officer(casework) -> None:
    provider = register(casework)
    record_id = log_record(casework, provider)
    casework.application.execute(AllocateIntelligence(record_id=record_id, officer="amy"), MANAGER)
    casework.application.execute(AllocateIntelligence(record_id=record_id, officer="dev"), MANAGER)
    assert owners(casework, provider) == {
        "intelligence_risk_assessment": "dev",
        "intelligence_risk_assessment@1 working day": "dev",
    }


def test_only_managers_name_a_lead_officer_and_naming_the_same_one_again_is_refused(casework) -> None:
    provider = register(casework)
    with pytest.raises(Forbidden):
        casework.application.execute(AssignLeadOfficer(provider_id=provider, officer="amy"), OFFICER)
    casework.application.execute(AssignLeadOfficer(provider_id=provider, officer="amy"), MANAGER)
    head = casework.store.head_position()
    with pytest.raises(InvalidInput, match="already the lead officer"):
        casework.application.execute(AssignLeadOfficer(provider_id=provider, officer="amy"), MANAGER)
    assert casework.store.head_position() == head, "nothing appended for a refused command"


def test_a_rebuild_after_the_lead_officer_was_named_mid_history_gives_the_same_owners(
    casework, monkeypatch
) -> None:
    """The rebuild writes in bounded memory; a lead named after some deadlines were written out
    must still move them (they are read back)."""
    provider = register(casework)
    suspend(casework, provider, casework.clock.now())
    casework.clock.advance(timedelta(days=1))
    casework.application.execute(AssignLeadOfficer(provider_id=provider, officer="ewa"), MANAGER)
    [review] = pending_deadlines(casework, provider_id=provider)
    assert review.owner == "ewa"
    casework.scheduler.fire_due(review.due_at)  # the next review is set by the firing: hers too
    before = pending_deadlines(casework, reminders=True)
    assert [(d.owner, d.owner_from) for d in before] == [("ewa", OwnerFrom.lead)]
    assert before[0].due_at > review.due_at
    monkeypatch.setattr(deadline_calendar, "REBUILD_DEADLINES_IN_MEMORY", 1)  # write out each one
    casework.projections.rebuild(["deadlines"])
    assert pending_deadlines(casework, reminders=True) == before
