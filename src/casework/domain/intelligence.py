"""Intelligence records: logged, allocated, risk assessed, actioned or closed with no further
action, re-opened with a reason (stream ``intelligence-<record_id>``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum, StrEnum
from types import MappingProxyType
from typing import ClassVar, Final

from pydantic import AwareDatetime

from casework.domain.aggregate import MANAGERS, Aggregate, Command, Context, Route, require_text
from casework.domain.errors import InvalidInput
from casework.domain.fields import Identifier, Link, Name, Text
from casework.domain.lifecycle import Lifecycle
from casework.domain.links import check_linkable, triggered
from casework.domain.personal_data import PersonDetails
from casework.domain.policy import Period, Timing
from casework.events.base import DomainEvent
from casework.events.intelligence import (
    IntelligenceAction,
    IntelligenceActionTaken,
    IntelligenceAllocated,
    IntelligenceClosed,
    IntelligenceLogged,
    IntelligenceOutcome,
    IntelligenceReopened,
    IntelligenceSource,
    IntelligenceState,
    RiskAssessed,
    RiskLevel,
)
from casework.events.links import RecordKind, RecordRef, RecordsLinked
from casework.events.personal_data import SealedPerson

R = IntelligenceState

RECORD_LIFECYCLE = Lifecycle(
    "intelligence record",
    IntelligenceState,
    [
        ("allocate", R.logged, R.allocated),
        ("allocate", R.allocated, R.allocated),  # re-allocation keeps the state
        ("allocate", R.risk_assessed, R.risk_assessed),
        ("allocate", R.actioned, R.actioned),
        ("assess", [R.allocated, R.risk_assessed], R.risk_assessed),
        ("take_action", [R.risk_assessed, R.actioned], R.actioned),
        ("close", [R.risk_assessed, R.actioned], R.closed),
        ("reopen", R.closed, R.allocated),
    ],
    initial=R.logged,
)

# The lifecycle action each event records (replay walks the same table). Read models replay
# stored events by type name (ACTION_OF_TYPE) without decoding them.
ACTION_OF: Mapping[type[DomainEvent], str] = MappingProxyType({
    IntelligenceAllocated: "allocate",
    RiskAssessed: "assess",
    IntelligenceActionTaken: "take_action",
    IntelligenceClosed: "close",
    IntelligenceReopened: "reopen",
})
ACTION_OF_TYPE: Mapping[str, str] = MappingProxyType({c.type_name: a for c, a in ACTION_OF.items()})
# Open: not closed (a closed record may be re-opened, so 'closed' is not a final state).
OPEN_STATES: frozenset[IntelligenceState] = frozenset(R) - {R.closed}
URGENT_RISKS: frozenset[RiskLevel] = frozenset({RiskLevel.high, RiskLevel.critical})


def allowed_actions(state: IntelligenceState | str) -> set[str]:
    return RECORD_LIFECYCLE.allowed_actions(state)


@dataclass(frozen=True, kw_only=True)
class IntelligenceRecord:
    id: str
    provider_id: str | None = None
    state: IntelligenceState = R.logged
    source: IntelligenceSource | None = None
    received_at: datetime | None = None
    summary: str = ""
    whistleblower: SealedPerson | None = None
    officer: str | None = None
    risk: RiskLevel | None = None
    action_required: bool | None = None
    actions: tuple[IntelligenceAction, ...] = ()
    outcome: IntelligenceOutcome | None = None
    links: tuple[RecordRef, ...] = ()
    version: int = 0

    @property
    def allowed_actions(self) -> set[str]:
        return RECORD_LIFECYCLE.allowed_actions(self.state)


# ----------------------------------------------------------------------------- service levels
class ServiceLevel(StrEnum):
    """What an open record is waiting for, against the council's service levels."""

    allocation = "allocation"  # within 1 working day of receipt
    risk_assessment = "risk_assessment"  # within 2 working days of allocation (or re-opening)
    first_action = "first_action"  # within 1 working day of an urgent assessment


def first_action_expected(risk: RiskLevel | str | None, action_required: bool | None) -> bool:
    """A first action is due only for a high or critical risk that requires action: a record
    assessed high with no action required expects none (so it has no service level)."""
    return bool(action_required) and risk in URGENT_RISKS


def service_level_in(
    state: IntelligenceState | str, risk: RiskLevel | str | None, action_required: bool | None
) -> ServiceLevel | None:
    """The service level a record in ``state`` works to (None: nothing is due)."""
    if state == R.logged:
        return ServiceLevel.allocation
    if state == R.allocated:
        return ServiceLevel.risk_assessment
    if state == R.risk_assessed and first_action_expected(risk, action_required):
        return ServiceLevel.first_action
    return None


def service_level_of(record: IntelligenceRecord) -> ServiceLevel | None:
    return service_level_in(record.state, record.risk, record.action_required)


@dataclass(frozen=True)
class ServiceLevelDue:
    level: ServiceLevel
    since: datetime  # when its clock started
    due_at: datetime


class Keep(Enum):
    """The event leaves the record's service level and its clock as they were."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP


_PERIOD_OF: Mapping[ServiceLevel, str] = MappingProxyType({
    ServiceLevel.allocation: "intelligence_allocation",
    ServiceLevel.risk_assessment: "intelligence_risk_assessment",
    ServiceLevel.first_action: "high_risk_first_action",
})


def service_level_period(level: ServiceLevel, timing: Timing) -> Period:
    """The council's period for ``level`` (``DeadlinePolicy``)."""
    return getattr(timing.policy, _PERIOD_OF[level])


# The state each event leaves a record in, when the event alone says so (from the lifecycle
# table); None for an allocation, whose destination depends on the state it starts from.
_ENTERS: Mapping[type[DomainEvent], str | None] = MappingProxyType({
    IntelligenceLogged: RECORD_LIFECYCLE.initial,
    **{cls: RECORD_LIFECYCLE.entered_by(action) for cls, action in ACTION_OF.items()},
})
_FIRST_ALLOCATION = RECORD_LIFECYCLE.destination(RECORD_LIFECYCLE.initial, "allocate")


def service_level_after(
    event: DomainEvent, at: datetime, timing: Timing
) -> ServiceLevelDue | None | Keep:
    """What an event (that happened ``at``) does to its record's service level: starts the
    clock of the level the record now works to (``ServiceLevelDue``), stops it (None: nothing is
    due), or ``KEEP``s the running one. The triage inbox and the deadline rules both fold this.

    The level comes from the state the event enters (``service_level_in``). An allocation from
    'logged' (no previous officer) starts the risk-assessment clock; a re-allocation leaves the
    record in whatever state it was (the lifecycle says so) and hands the running clock to the
    new officer without restarting it: re-allocating does not buy time. Each risk assessment
    restarts the first-action clock, or stops it when no first action is expected."""
    cls = type(event)
    entered = _ENTERS.get(cls)
    if cls is IntelligenceAllocated and event.previous_officer is None:  # type: ignore[attr-defined]
        entered = _FIRST_ALLOCATION
    if entered is None:
        return KEEP
    if cls is RiskAssessed:
        level = service_level_in(entered, event.risk, event.action_required)  # type: ignore[attr-defined]
    else:
        level = service_level_in(entered, None, None)
    if level is None:
        return None
    since = event.received_at if cls is IntelligenceLogged else at  # type: ignore[attr-defined]
    return ServiceLevelDue(level, since, timing.after(since, service_level_period(level, timing)))


# ----------------------------------------------------------------------------- commands
class LogIntelligence(Command):
    verb: ClassVar[str] = "log intelligence"
    record_id: Identifier | None = None  # default: a new id
    provider_id: Identifier
    source: IntelligenceSource
    received_at: AwareDatetime
    summary: Text
    whistleblower: PersonDetails | None = None


class AllocateIntelligence(Command):
    permitted: ClassVar = MANAGERS
    verb: ClassVar[str] = "allocate intelligence"
    record_id: Identifier
    officer: Name  # a user name (the triage inbox filters on it)


class AssessRisk(Command):
    verb: ClassVar[str] = "risk assess intelligence"
    record_id: Identifier
    risk: RiskLevel
    action_required: bool
    rationale: Text


class TakeIntelligenceAction(Command):
    verb: ClassVar[str] = "record an action on intelligence"
    record_id: Identifier
    action: IntelligenceAction
    note: Text | None = None


class CloseIntelligence(Command):
    verb: ClassVar[str] = "close intelligence"
    record_id: Identifier
    outcome: IntelligenceOutcome
    note: Text | None = None


class ReopenIntelligence(Command):
    verb: ClassVar[str] = "re-open intelligence"
    record_id: Identifier
    reason: Text


class LinkIntelligence(Command):
    """Record what this record triggered (a visit, action plan, safeguarding concern, sanction...);
    the link is kept on both records."""

    verb: ClassVar[str] = "link intelligence to another record"
    record_id: Identifier
    linked: Link
    note: Text | None = None


# ----------------------------------------------------------------------------- evolve
def evolve(state: IntelligenceRecord, event: DomainEvent) -> IntelligenceRecord:
    match event:
        case IntelligenceLogged():
            return replace(
                state,
                provider_id=event.provider_id,
                state=R.logged,
                source=event.source,
                received_at=event.received_at,
                summary=event.summary,
                whistleblower=event.whistleblower,
            )
        case RecordsLinked():
            return replace(state, links=(*state.links, event.linked))
    action = ACTION_OF.get(type(event))
    if action is None:
        return state
    state = replace(state, state=R(RECORD_LIFECYCLE.replay(state.id, state.state, action)))
    match event:
        case IntelligenceAllocated():
            return replace(state, officer=event.officer)
        case RiskAssessed():
            return replace(state, risk=event.risk, action_required=event.action_required)
        case IntelligenceActionTaken():
            return replace(state, actions=(*state.actions, event.action))
        case IntelligenceClosed():
            return replace(state, outcome=event.outcome)
        case IntelligenceReopened():
            # Re-opened to be risk assessed again: the earlier assessment no longer stands.
            return replace(state, outcome=None, risk=None, action_required=None)
    return state


# ----------------------------------------------------------------------------- decide
def decide(state: IntelligenceRecord, command: Command, ctx: Context) -> list[DomainEvent]:
    rid = state.id
    match command:
        case LogIntelligence():
            summary = require_text("summary", command.summary)
            if command.received_at > ctx.now:
                raise InvalidInput("received_at", "is in the future")
            whistleblower = None
            if command.whistleblower is not None:
                require_text("whistleblower.name", command.whistleblower.name)
                whistleblower = ctx.sealed(command.whistleblower.to_text())
            return [
                IntelligenceLogged(
                    record_id=rid,
                    provider_id=command.provider_id,
                    source=command.source,
                    received_at=command.received_at,
                    summary=summary,
                    whistleblower=whistleblower,
                )
            ]
        case AllocateIntelligence():
            RECORD_LIFECYCLE.check(rid, state.state, "allocate")
            officer = require_text("officer", command.officer)
            return [IntelligenceAllocated(record_id=rid, officer=officer, previous_officer=state.officer)]
        case AssessRisk():
            RECORD_LIFECYCLE.check(rid, state.state, "assess", "allocate it to an officer first")
            rationale = require_text("rationale", command.rationale)
            return [
                RiskAssessed(
                    record_id=rid,
                    risk=command.risk,
                    action_required=command.action_required,
                    rationale=rationale,
                )
            ]
        case TakeIntelligenceAction():
            RECORD_LIFECYCLE.check(rid, state.state, "take_action", "risk assess it first")
            return [
                IntelligenceActionTaken(record_id=rid, action=command.action, note=command.note)
            ]
        case CloseIntelligence():
            RECORD_LIFECYCLE.check(rid, state.state, "close", "risk assess it first")
            if command.outcome is IntelligenceOutcome.actioned and not state.actions:
                raise InvalidInput(
                    "outcome", "no action was taken: record an action or close as no_further_action"
                )
            if command.outcome is IntelligenceOutcome.no_further_action and state.actions:
                raise InvalidInput("outcome", "actions were taken: close as actioned")
            return [IntelligenceClosed(record_id=rid, outcome=command.outcome, note=command.note)]
        case ReopenIntelligence():
            RECORD_LIFECYCLE.check(rid, state.state, "reopen")
            reason = require_text("reason", command.reason)
            return [IntelligenceReopened(record_id=rid, reason=reason)]
        case LinkIntelligence():
            if command.linked in state.links:
                raise InvalidInput("linked", "is already linked to this record")
            check_linkable(ctx, "linked", command.linked, state.provider_id)
            return [triggered(RecordKind.intelligence, rid, command.linked, command.note)]
    raise TypeError(f"intelligence cannot handle {type(command).__name__}")


INTELLIGENCE = Aggregate(
    kind="intelligence record",
    stream_prefix="intelligence",
    initial=lambda ident: IntelligenceRecord(id=ident),
    evolve=evolve,
    decide=decide,
    routes={
        LogIntelligence: Route(
            lambda c: c.record_id, creates=True, provider_of=lambda c: c.provider_id
        ),
        AllocateIntelligence: Route(lambda c: c.record_id),
        AssessRisk: Route(lambda c: c.record_id),
        TakeIntelligenceAction: Route(lambda c: c.record_id),
        CloseIntelligence: Route(lambda c: c.record_id),
        ReopenIntelligence: Route(lambda c: c.record_id),
        LinkIntelligence: Route(lambda c: c.record_id),
    },
    lifecycle=RECORD_LIFECYCLE,
    state_of=lambda s: s.state,
)
