"""Hand-written histories for projection tests: typed events appended straight to the store,
each with its provider in the metadata (as the Application does)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from casework.events import DomainEvent, Metadata, to_new_event
from casework.events.action_plans import (
    ActionItem,
    ActionItemCompleted,
    ActionItemVerified,
    ActionPlanClosed,
    ActionPlanRaised,
)
from casework.events.intelligence import (
    IntelligenceActionTaken,
    IntelligenceAllocated,
    IntelligenceClosed,
    IntelligenceLogged,
    RiskAssessed,
)
from casework.events.links import RecordKind, RecordRef
from casework.events.personal_data import SealedPerson
from casework.events.providers import (
    CqcRatingPublished,
    LeadOfficerAssigned,
    OwnershipChanged,
    ProviderRegistered,
    RiskCriterionRecorded,
)
from casework.events.safeguarding import (
    SafeguardingConcernClosed,
    SafeguardingConcernRaised,
    SafeguardingConcernReferred,
    SafeguardingOutcomeRecorded,
)
from casework.events.sanctions import ContractSuspended, RequirementToImproveIssued, SanctionLifted
from casework.events.store import EventStore, StoredEvent
from casework.events.visits import (
    AssessmentConcluded,
    AssessmentOpened,
    AssessmentVisitLinked,
    VisitCancelled,
    VisitCompleted,
    VisitPlanned,
)

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def new_id() -> str:
    return str(uuid.uuid4())


class Recorder:
    """Appends events about providers, each at an ``occurred_at`` of the caller's choosing."""

    def __init__(self, store: EventStore, actor: str = "amy") -> None:
        self.store = store
        self.actor = actor
        self.versions: dict[str, int] = {}

    def add(self, stream: str, provider_id: str, event: DomainEvent, at: datetime,
            reason: str | None = None) -> StoredEvent:
        meta = Metadata(actor=self.actor, provider_id=provider_id, reason=reason)
        new = to_new_event(event, metadata=meta, occurred_at=at)
        stored = self.store.append(stream, [new], expected_version=self.versions.get(stream, 0))
        self.versions[stream] = stored[-1].version
        return stored[-1]

    # ------------------------------------------------------------------ providers
    def provider(self, name: str = "Rose Court", service_type: str = "care_home_residential",
                 categories: tuple[str, ...] = ("OP",), at: datetime = T0,
                 provider_id: str | None = None) -> str:
        pid = provider_id or new_id()
        self.add(f"provider-{pid}", pid, ProviderRegistered(
            provider_id=pid, name=name, service_type=service_type, categories=list(categories),
            owner="Acme Care Ltd", registered_manager="J Smith", district="Leicester"), at)
        return pid

    def rating(self, pid: str, overall: str, on: date, at: datetime | None = None) -> None:
        self.add(f"provider-{pid}", pid, CqcRatingPublished(
            provider_id=pid, report_date=on, overall=overall), at or _at(on))

    def new_owner(self, pid: str, at: datetime) -> None:
        self.add(f"provider-{pid}", pid, OwnershipChanged(
            provider_id=pid, previous_owner="Acme Care Ltd", new_owner="Beta Homes"), at)

    def lead(self, pid: str, officer: str, at: datetime) -> None:
        self.add(f"provider-{pid}", pid, LeadOfficerAssigned(provider_id=pid, officer=officer), at)

    def criterion(self, pid: str, criterion: str, rag: str, at: datetime = T0) -> None:
        self.add(f"provider-{pid}", pid, RiskCriterionRecorded(
            provider_id=pid, criterion=criterion, rag=rag), at)

    # ------------------------------------------------------------------ intelligence
    def record(self, pid: str, at: datetime = T0, *, risk: str | None = None,
               action_required: bool = False, allocate_to: str | None = None,
               close: str | None = None, whistleblower: bool = False) -> str:
        rid = new_id()
        stream = f"intelligence-{rid}"
        sealed = SealedPerson(person_id=new_id(), ciphertext="c2VjcmV0") if whistleblower else None
        self.add(stream, pid, IntelligenceLogged(
            record_id=rid, provider_id=pid, source="whistleblowing" if whistleblower else "complaint",
            received_at=at, summary="Concern about night staffing", whistleblower=sealed), at)
        if allocate_to or risk:
            self.add(stream, pid, IntelligenceAllocated(record_id=rid, officer=allocate_to or "amy"),
                     at + timedelta(hours=2))
        if risk:
            self.add(stream, pid, RiskAssessed(record_id=rid, risk=risk,
                                               action_required=action_required,
                                               rationale="as assessed"), at + timedelta(hours=4))
        if close:
            if close == "actioned":
                self.add(stream, pid, IntelligenceActionTaken(record_id=rid,
                                                              action="responsive_visit"),
                         at + timedelta(hours=5))
            self.add(stream, pid, IntelligenceClosed(record_id=rid, outcome=close),
                     at + timedelta(hours=6))
        return rid

    # ------------------------------------------------------------------ safeguarding
    def concern(self, pid: str, at: datetime = T0, *, section_42: bool | None = None,
                close: bool = False) -> str:
        cid = new_id()
        stream = f"safeguarding-{cid}"
        self.add(stream, pid, SafeguardingConcernRaised(
            concern_id=cid, provider_id=pid, category="neglect", summary="Pressure sores"), at)
        if section_42 is not None:
            self.add(stream, pid, SafeguardingConcernReferred(concern_id=cid, section_42=section_42),
                     at + timedelta(hours=1))
        if close:  # the lifecycle closes a concern once its outcome is recorded
            self.add(stream, pid, SafeguardingOutcomeRecorded(concern_id=cid, outcome="inconclusive"),
                     at + timedelta(hours=2))
            self.add(stream, pid, SafeguardingConcernClosed(concern_id=cid), at + timedelta(hours=2))
        return cid

    # ------------------------------------------------------------------ visits
    def visit(self, pid: str, reason: str = "full_monitoring", at: datetime = T0, *,
              announced: bool = True, out_of_hours: bool = False, rag: str | None = None,
              compliant: bool | None = None, cancel: bool = False, complete: bool = True) -> str:
        vid = new_id()
        stream = f"visit-{vid}"
        self.add(stream, pid, VisitPlanned(visit_id=vid, provider_id=pid, reason=reason,
                                           planned_for=at, announced=announced,
                                           out_of_hours=out_of_hours), at - timedelta(days=7))
        if cancel:
            self.add(stream, pid, VisitCancelled(visit_id=vid, reason="provider asked"), at)
        elif complete:
            self.add(stream, pid, VisitCompleted(visit_id=vid, findings="seen", rag=rag,
                                                 compliant=compliant), at)
        return vid

    def assessment(self, pid: str, at: datetime = T0, *, outcome: str | None = None,
                   rag: str = "green", concluded_at: datetime | None = None,
                   visit_id: str | None = None) -> str:
        aid = new_id()
        stream = f"assessment-{aid}"
        self.add(stream, pid, AssessmentOpened(assessment_id=aid, provider_id=pid,
                                               framework_id="leicester-qaf", framework_version=1), at)
        if visit_id:
            self.add(stream, pid, AssessmentVisitLinked(assessment_id=aid, visit_id=visit_id), at)
        if outcome:
            self.add(stream, pid, AssessmentConcluded(assessment_id=aid, outcome=outcome, rag=rag),
                     concluded_at or at + timedelta(days=14))
        return aid

    # ------------------------------------------------------------------ action plans
    def plan(self, pid: str, at: datetime = T0, dues: tuple[date, ...] = (date(2026, 2, 1),),
             ) -> tuple[str, list[str]]:
        plan_id = new_id()
        items = [ActionItem(item_id=f"i{n}", description="Update care plans",
                            theme="person_centred_care_planning", owner="manager", due=due)
                 for n, due in enumerate(dues, 1)]
        self.add(f"action-plan-{plan_id}", pid, ActionPlanRaised(
            plan_id=plan_id, provider_id=pid, raised_from=RecordRef(kind=RecordKind.provider, id=pid),
            items=items), at)
        return plan_id, [i.item_id for i in items]

    def item_done(self, pid: str, plan_id: str, item_id: str, at: datetime,
                  verify: bool = True) -> None:
        stream = f"action-plan-{plan_id}"
        self.add(stream, pid, ActionItemCompleted(plan_id=plan_id, item_id=item_id), at)
        if verify:
            self.add(stream, pid, ActionItemVerified(plan_id=plan_id, item_id=item_id), at)

    def close_plan(self, pid: str, plan_id: str, at: datetime) -> None:
        self.add(f"action-plan-{plan_id}", pid, ActionPlanClosed(plan_id=plan_id), at)

    # ------------------------------------------------------------------ escalation
    def escalate(self, pid: str, stage: str, at: datetime, from_stage: str = "monitoring") -> None:
        cls: Any = {"requirement_to_improve": RequirementToImproveIssued,
                    "contract_suspension": ContractSuspended}[stage]
        self.add(f"escalation-{pid}", pid, cls(provider_id=pid, from_stage=from_stage,
                                                reason="serious concerns"), at, reason="serious")

    def lift(self, pid: str, from_stage: str, at: datetime, to: str = "monitoring") -> None:
        self.add(f"escalation-{pid}", pid, SanctionLifted(
            provider_id=pid, from_stage=from_stage, to_stage=to, improvement="verified"), at)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)


def rated_provider(cw: Any, name: str, *, contracted: bool, rating: Any, beds: int) -> str:
    """Through the Application: a residential home, contracted by the council or not, rated by
    CQC on 1 Jun 2025, with one intelligence record (1 Jul 2025)."""
    from casework.domain.actors import Actor, Role
    from casework.domain.enums import IntelligenceSource, ServiceType
    from casework.domain.intelligence import LogIntelligence
    from casework.domain.providers import PublishCqcRating, RegisterProvider

    officer, app = Actor("officer", Role.officer), cw.application
    pid = app.execute(RegisterProvider(name=name, service_type=ServiceType.care_home_residential,
                                       beds=beds, contracted=contracted), officer).aggregate_id
    app.execute(PublishCqcRating(provider_id=pid, report_date=date(2025, 6, 1), overall=rating), officer)
    app.execute(LogIntelligence(provider_id=pid, source=IntelligenceSource.cqc,
                                received_at=datetime(2025, 7, 1, 10, tzinfo=UTC),
                                summary=f"Concern about {name}"), officer)
    return pid
