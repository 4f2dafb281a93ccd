"""Visits (stream ``visit-<visit_id>``) and quality assurance framework assessments that may span
several visits (stream ``assessment-<assessment_id>``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar

from pydantic import AwareDatetime, Field

from casework.domain.aggregate import Aggregate, Command, Context, Route, require_text
from casework.domain.errors import InvalidInput
from casework.domain.fields import Identifier, Label, Link, Text
from casework.domain.frameworks import Framework, FrameworkRegistry
from casework.domain.lifecycle import Lifecycle
from casework.domain.links import check_linkable, triggered_by
from casework.events.base import DomainEvent
from casework.events.links import RecordKind, RecordRef, RecordsLinked
from casework.events.rag import Rag
from casework.events.visits import (
    AssessmentConcluded,
    AssessmentOpened,
    AssessmentOutcome,
    AssessmentState,
    AssessmentVisitLinked,
    Score,
    VisitCancelled,
    VisitCompleted,
    VisitPlanned,
    VisitReason,
    VisitRescheduled,
    VisitState,
)

V = VisitState
A = AssessmentState

VISIT_LIFECYCLE = Lifecycle(
    "visit",
    VisitState,
    [
        ("reschedule", V.planned, V.planned),
        ("complete", V.planned, V.completed),
        ("cancel", V.planned, V.cancelled),
    ],
    initial=V.planned,
)

ASSESSMENT_LIFECYCLE = Lifecycle(
    "assessment",
    AssessmentState,
    [("link_visit", A.ongoing, A.ongoing), ("conclude", A.ongoing, A.concluded)],
    initial=A.ongoing,
)


# The lifecycle action each event records; read models replay stored events by type name.
VISIT_ACTION_OF: Mapping[type[DomainEvent], str] = MappingProxyType({
    VisitRescheduled: "reschedule",
    VisitCompleted: "complete",
    VisitCancelled: "cancel",
})
VISIT_ACTION_OF_TYPE: Mapping[str, str] = MappingProxyType(
    {c.type_name: a for c, a in VISIT_ACTION_OF.items()}
)
ASSESSMENT_ACTION_OF: Mapping[type[DomainEvent], str] = MappingProxyType({
    AssessmentVisitLinked: "link_visit",
    AssessmentConcluded: "conclude",
})
ASSESSMENT_ACTION_OF_TYPE: Mapping[str, str] = MappingProxyType(
    {c.type_name: a for c, a in ASSESSMENT_ACTION_OF.items()}
)


def allowed_actions(state: VisitState | str) -> set[str]:
    return VISIT_LIFECYCLE.allowed_actions(state)


def assessment_allowed_actions(state: AssessmentState | str) -> set[str]:
    return ASSESSMENT_LIFECYCLE.allowed_actions(state)


@dataclass(frozen=True, kw_only=True)
class Visit:
    id: str
    provider_id: str | None = None
    state: VisitState = V.planned
    reason: VisitReason | None = None
    planned_for: datetime | None = None
    announced: bool = True
    out_of_hours: bool = False
    framework_id: str | None = None
    framework_version: int | None = None
    scores: dict[str, Score] = field(default_factory=dict)
    rag: Rag | None = None
    compliant: bool | None = None
    links: tuple[RecordRef, ...] = ()
    version: int = 0

    @property
    def allowed_actions(self) -> set[str]:
        return VISIT_LIFECYCLE.allowed_actions(self.state)


@dataclass(frozen=True, kw_only=True)
class Assessment:
    id: str
    provider_id: str | None = None
    state: AssessmentState = A.ongoing
    framework_id: str | None = None
    framework_version: int | None = None
    visit_ids: tuple[str, ...] = ()
    outcome: AssessmentOutcome | None = None
    rag: Rag | None = None
    links: tuple[RecordRef, ...] = ()
    version: int = 0

    @property
    def allowed_actions(self) -> set[str]:
        return ASSESSMENT_LIFECYCLE.allowed_actions(self.state)


# ----------------------------------------------------------------------------- commands
class PlanVisit(Command):
    verb: ClassVar[str] = "plan a visit"
    visit_id: Identifier | None = None
    provider_id: Identifier
    reason: VisitReason
    planned_for: AwareDatetime
    announced: bool = True
    out_of_hours: bool = False
    triggered_by: Link | None = None  # e.g. the intelligence record that prompted it


class RescheduleVisit(Command):
    verb: ClassVar[str] = "reschedule a visit"
    visit_id: Identifier
    planned_for: AwareDatetime
    reason: Text | None = None


class CompleteVisit(Command):
    """Scores use ``framework_id``/``framework_version`` (default: the default framework, latest
    version). ``rag`` and ``compliant`` default to the framework's outcome of the scores."""

    verb: ClassVar[str] = "record a visit"
    visit_id: Identifier
    findings: Text
    framework_id: Label | None = None
    framework_version: int | None = None
    scores: dict[str, Score] = {}
    rag: Rag | None = None
    compliant: bool | None = None


class CancelVisit(Command):
    verb: ClassVar[str] = "cancel a visit"
    visit_id: Identifier
    reason: Text


class OpenAssessment(Command):
    verb: ClassVar[str] = "open an assessment"
    assessment_id: Identifier | None = None
    provider_id: Identifier
    framework_id: Label | None = None
    framework_version: int | None = None


class LinkAssessmentVisit(Command):
    verb: ClassVar[str] = "add a visit to an assessment"
    assessment_id: Identifier
    visit_id: Identifier


class ConcludeAssessment(Command):
    """``outcome`` and ``rag`` default to the framework's outcome of the linked completed visits'
    scores (the latest score of each indicator)."""

    verb: ClassVar[str] = "conclude an assessment"
    assessment_id: Identifier
    outcome: AssessmentOutcome | None = None
    rag: Rag | None = None
    note: Text | None = Field(default=None)


# ----------------------------------------------------------------------------- evolve
def evolve_visit(state: Visit, event: DomainEvent) -> Visit:
    match event:
        case VisitPlanned():
            return replace(
                state,
                provider_id=event.provider_id,
                reason=event.reason,
                planned_for=event.planned_for,
                announced=event.announced,
                out_of_hours=event.out_of_hours,
            )
        case VisitRescheduled():
            return replace(state, state=_replay_visit(state, event), planned_for=event.planned_for)
        case VisitCompleted():
            return replace(
                state,
                state=_replay_visit(state, event),
                framework_id=event.framework_id,
                framework_version=event.framework_version,
                scores=dict(event.scores),
                rag=event.rag,
                compliant=event.compliant,
            )
        case VisitCancelled():
            return replace(state, state=_replay_visit(state, event))
        case RecordsLinked():
            return replace(state, links=(*state.links, event.linked))
    return state


def _replay_visit(state: Visit, event: DomainEvent) -> VisitState:
    return V(VISIT_LIFECYCLE.replay(state.id, state.state, VISIT_ACTION_OF[type(event)]))


def evolve_assessment(state: Assessment, event: DomainEvent) -> Assessment:
    match event:
        case AssessmentOpened():
            return replace(
                state,
                provider_id=event.provider_id,
                framework_id=event.framework_id,
                framework_version=event.framework_version,
            )
        case AssessmentVisitLinked():
            ASSESSMENT_LIFECYCLE.replay(state.id, state.state, ASSESSMENT_ACTION_OF[type(event)])
            return replace(state, visit_ids=(*state.visit_ids, event.visit_id))
        case AssessmentConcluded():
            dest = ASSESSMENT_LIFECYCLE.replay(state.id, state.state, ASSESSMENT_ACTION_OF[type(event)])
            return replace(state, state=A(dest), outcome=event.outcome, rag=event.rag)
        case RecordsLinked():
            return replace(state, links=(*state.links, event.linked))
    return state


# ----------------------------------------------------------------------------- decide
def decide_visit(state: Visit, command: Command, ctx: Context) -> list[DomainEvent]:
    vid = state.id
    match command:
        case PlanVisit():
            events: list[DomainEvent] = [
                VisitPlanned(
                    visit_id=vid,
                    provider_id=command.provider_id,
                    reason=command.reason,
                    planned_for=command.planned_for,
                    announced=command.announced,
                    out_of_hours=command.out_of_hours,
                )
            ]
            if command.triggered_by is not None:
                check_linkable(ctx, "triggered_by", command.triggered_by, command.provider_id)
                events.append(triggered_by(RecordKind.visit, vid, command.triggered_by))
            return events
        case RescheduleVisit():
            VISIT_LIFECYCLE.check(vid, state.state, "reschedule")
            return [VisitRescheduled(visit_id=vid, planned_for=command.planned_for, reason=command.reason)]
        case CompleteVisit():
            VISIT_LIFECYCLE.check(vid, state.state, "complete")
            return [_completed(vid, command, ctx)]
        case CancelVisit():
            VISIT_LIFECYCLE.check(vid, state.state, "cancel")
            return [VisitCancelled(visit_id=vid, reason=require_text("reason", command.reason))]
    raise TypeError(f"visits cannot handle {type(command).__name__}")


def _completed(vid: str, command: CompleteVisit, ctx: Context) -> VisitCompleted:
    findings = require_text("findings", command.findings)
    rag, compliant = command.rag, command.compliant
    framework: Framework | None = None
    scores: dict[str, Score] = {}
    if command.scores or command.framework_id:
        framework = _framework(ctx, command.framework_id, command.framework_version)
        scores = framework.validate_scores(command.scores)
    if scores and framework is not None:
        outcome = framework.outcome(scores)
        rag = rag or outcome.rag
        compliant = outcome.compliant if compliant is None else compliant
    return VisitCompleted(
        visit_id=vid,
        findings=findings,
        framework_id=framework.id if framework else None,
        framework_version=framework.version if framework else None,
        scores=scores,
        rag=rag,
        compliant=compliant,
    )


def decide_assessment(state: Assessment, command: Command, ctx: Context) -> list[DomainEvent]:
    aid = state.id
    match command:
        case OpenAssessment():
            framework = _framework(ctx, command.framework_id, command.framework_version)
            return [
                AssessmentOpened(
                    assessment_id=aid,
                    provider_id=command.provider_id,
                    framework_id=framework.id,
                    framework_version=framework.version,
                )
            ]
        case LinkAssessmentVisit():
            ASSESSMENT_LIFECYCLE.check(aid, state.state, "link_visit")
            if command.visit_id in state.visit_ids:
                raise InvalidInput("visit_id", "is already part of this assessment")
            ref = RecordRef(kind=RecordKind.visit, id=command.visit_id)
            check_linkable(ctx, "visit_id", ref, state.provider_id)
            return [AssessmentVisitLinked(assessment_id=aid, visit_id=command.visit_id)]
        case ConcludeAssessment():
            ASSESSMENT_LIFECYCLE.check(aid, state.state, "conclude")
            outcome, rag = command.outcome, command.rag
            if outcome is None or rag is None:
                computed = _assessment_outcome(state, ctx)
                rag = rag or computed.rag
                if outcome is None:
                    compliant = computed.compliant
                    outcome = AssessmentOutcome.compliant if compliant else AssessmentOutcome.non_compliant
            return [AssessmentConcluded(assessment_id=aid, outcome=outcome, rag=rag, note=command.note)]
    raise TypeError(f"assessments cannot handle {type(command).__name__}")


def _assessment_outcome(state: Assessment, ctx: Context) -> Any:
    scores: dict[str, Score] = {}
    for visit_id in state.visit_ids:
        visit = ctx.lookup("visit", visit_id)
        if visit is not None and visit.state is V.completed and visit.framework_id == state.framework_id:
            scores.update(visit.scores)
    if not scores:
        raise InvalidInput(
            "outcome", "no completed visit of this assessment has scores: give outcome and rag"
        )
    return _framework(ctx, state.framework_id, state.framework_version).outcome(scores)


def _framework(ctx: Context, framework_id: str | None, version: int | None) -> Framework:
    registry: FrameworkRegistry | None = ctx.frameworks
    if registry is None:
        raise InvalidInput("framework_id", "no quality assurance frameworks are configured")
    return registry.get(framework_id, version)


VISIT = Aggregate(
    kind="visit",
    stream_prefix="visit",
    initial=lambda ident: Visit(id=ident),
    evolve=evolve_visit,
    decide=decide_visit,
    routes={
        PlanVisit: Route(lambda c: c.visit_id, creates=True, provider_of=lambda c: c.provider_id),
        RescheduleVisit: Route(lambda c: c.visit_id),
        CompleteVisit: Route(lambda c: c.visit_id),
        CancelVisit: Route(lambda c: c.visit_id),
    },
    lifecycle=VISIT_LIFECYCLE,
    state_of=lambda s: s.state,
)

ASSESSMENT = Aggregate(
    kind="assessment",
    stream_prefix="assessment",
    initial=lambda ident: Assessment(id=ident),
    evolve=evolve_assessment,
    decide=decide_assessment,
    routes={
        OpenAssessment: Route(
            lambda c: c.assessment_id, creates=True, provider_of=lambda c: c.provider_id
        ),
        LinkAssessmentVisit: Route(lambda c: c.assessment_id),
        ConcludeAssessment: Route(lambda c: c.assessment_id),
    },
    lifecycle=ASSESSMENT_LIFECYCLE,
    state_of=lambda s: s.state,
)
