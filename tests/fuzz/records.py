"""One real record of each kind, made through the Application, so that fuzzed requests reach the
domain instead of stopping at "404 no such record"."""

from __future__ import annotations

from datetime import date, timedelta

from casework.bootstrap import Casework
from casework.domain.actors import Actor, Role
from casework.domain.commands import (
    AllocateIntelligence,
    LogIntelligence,
    NewActionItem,
    OpenAssessment,
    PlanVisit,
    RaiseActionPlan,
    RaiseSafeguardingConcern,
    RecordRef,
    RegisterProvider,
)
from casework.domain.notices import IssueRemedyNotice
from casework.domain.provider_failure import IdentifyFailureConcern

MANAGER = Actor("manager", Role.manager)


def make_records(cw: Casework) -> dict[str, str]:
    """Ids by the path parameter that names them (provider_id, record_id, ..., item_id)."""
    app, now = cw.application, cw.clock.now()

    def run(command: object) -> str:
        return app.execute(command, MANAGER).aggregate_id

    provider = run(RegisterProvider(name="Birch Grange", service_type="care_home_residential"))
    record = run(LogIntelligence(provider_id=provider, source="cqc", summary="Staffing concern",
                                 received_at=now - timedelta(hours=2)))
    run(AllocateIntelligence(record_id=record, officer="officer"))
    visit = run(PlanVisit(provider_id=provider, reason="full_monitoring",
                          planned_for=now + timedelta(days=7)))
    assessment = run(OpenAssessment(provider_id=provider))
    plan = run(RaiseActionPlan(
        provider_id=provider, raised_from=RecordRef(kind="visit", id=visit),
        items=[NewActionItem(description="Update care plans", theme="person_centred_care_planning",
                             owner="Registered manager", due=date(2026, 6, 1))],
    ))
    concern = run(RaiseSafeguardingConcern(provider_id=provider, category="neglect", summary="Missed meds"))
    notice = run(IssueRemedyNotice(provider_id=provider, breach="Staffing", actions=["Recruit"],
                                   remedy_by=date(2026, 5, 1)))
    procedure = run(IdentifyFailureConcern(provider_id=provider, trigger="financial_collapse",
                                           summary="Owner in administration"))
    return {
        "provider_id": provider, "record_id": record, "visit_id": visit, "assessment_id": assessment,
        "plan_id": plan, "item_id": "1", "concern_id": concern, "notice_id": notice,
        "procedure_id": procedure,
    }
