"""Intelligence records: logged, allocated, risk assessed, actioned or closed with no further
action, re-opened with a reason (stream ``intelligence-<record_id>``)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar

from pydantic import AwareDatetime, Field

from casework.domain.aggregate import MANAGERS, Aggregate, Command, Context, Route, require_text
from casework.domain.errors import InvalidInput
from casework.domain.lifecycle import Lifecycle
from casework.domain.links import check_linkable, triggered
from casework.domain.personal_data import PersonDetails
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

# The lifecycle action each event records (replay walks the same table).
_ACTION_OF: dict[type[DomainEvent], str] = {
    IntelligenceAllocated: "allocate",
    RiskAssessed: "assess",
    IntelligenceActionTaken: "take_action",
    IntelligenceClosed: "close",
    IntelligenceReopened: "reopen",
}


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


# ----------------------------------------------------------------------------- commands
class LogIntelligence(Command):
    verb: ClassVar[str] = "log intelligence"
    record_id: str | None = None  # default: a new id
    provider_id: str
    source: IntelligenceSource
    received_at: AwareDatetime
    summary: str
    whistleblower: PersonDetails | None = None


class AllocateIntelligence(Command):
    permitted: ClassVar = MANAGERS
    verb: ClassVar[str] = "allocate intelligence"
    record_id: str
    officer: str = Field(max_length=200)  # a user name (the triage inbox filters on it)


class AssessRisk(Command):
    verb: ClassVar[str] = "risk assess intelligence"
    record_id: str
    risk: RiskLevel
    action_required: bool
    rationale: str


class TakeIntelligenceAction(Command):
    verb: ClassVar[str] = "record an action on intelligence"
    record_id: str
    action: IntelligenceAction
    note: str | None = None


class CloseIntelligence(Command):
    verb: ClassVar[str] = "close intelligence"
    record_id: str
    outcome: IntelligenceOutcome
    note: str | None = None


class ReopenIntelligence(Command):
    verb: ClassVar[str] = "re-open intelligence"
    record_id: str
    reason: str


class LinkIntelligence(Command):
    """Record what this record triggered (a visit, action plan, safeguarding concern, sanction...);
    the link is kept on both records."""

    verb: ClassVar[str] = "link intelligence to another record"
    record_id: str
    linked: RecordRef
    note: str | None = None


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
    action = _ACTION_OF.get(type(event))
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
            return replace(state, outcome=None)
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
