"""Provider failure procedure and large scale enquiry (stream ``provider-failure-<id>``).

concern_identified -> procedure_initiated (strategy meeting due within 2 working days) ->
contingency_planning (reviewed every 7 days; residents' moves planned) -> residents_moving ->
closed_provider_exited | closed_recovered. Only managers open and initiate them; a procedure may
close as recovered from any open stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType
from typing import ClassVar

from pydantic import Field

from casework.domain.actors import Role
from casework.domain.aggregate import Aggregate, Command, Route
from casework.domain.errors import InvalidInput
from casework.domain.fields import Identifier, Name, Text
from casework.domain.lifecycle import Lifecycle
from casework.events.base import DomainEvent
from casework.events.provider_failure import (
    ContingencyPlanningStarted,
    ContingencyPlanReviewed,
    FailureKind,
    FailureOutcome,
    FailureTrigger,
    ProviderFailureConcernIdentified,
    ProviderFailureProcedureClosed,
    ProviderFailureProcedureInitiated,
    ResidentsMovingStarted,
)

MAX_RESIDENTS = 10_000


class FailureStage(StrEnum):
    new = "new"
    concern_identified = "concern_identified"
    procedure_initiated = "procedure_initiated"
    contingency_planning = "contingency_planning"
    residents_moving = "residents_moving"
    closed_provider_exited = "closed_provider_exited"
    closed_recovered = "closed_recovered"


F = FailureStage
_OPEN = (F.concern_identified, F.procedure_initiated, F.contingency_planning, F.residents_moving)
PROVIDER_FAILURE_LIFECYCLE = Lifecycle(
    "provider failure procedure",
    FailureStage,
    [
        ("identify_concern", F.new, F.concern_identified),
        ("initiate", F.concern_identified, F.procedure_initiated),
        ("plan_contingency", F.procedure_initiated, F.contingency_planning),
        ("review_contingency", F.contingency_planning, F.contingency_planning),
        ("move_residents", F.contingency_planning, F.residents_moving),
        ("close_provider_exited", F.residents_moving, F.closed_provider_exited),
        ("close_recovered", _OPEN, F.closed_recovered),
    ],
    F.new,
)



@dataclass(frozen=True)
class Procedure:
    procedure_id: str
    provider_id: str = ""
    stage: FailureStage = F.new
    kind: FailureKind | None = None
    version: int = 0

    @property
    def allowed_actions(self) -> set[str]:
        return PROVIDER_FAILURE_LIFECYCLE.allowed_actions(self.stage)


_MANAGERS = frozenset({Role.manager})


class IdentifyFailureConcern(Command):
    permitted: ClassVar[frozenset[Role]] = _MANAGERS
    procedure_id: Identifier | None = None  # None: the Application makes a new id
    provider_id: Identifier
    kind: FailureKind = FailureKind.provider_failure
    trigger: FailureTrigger
    summary: Text


class InitiateProcedure(Command):
    permitted: ClassVar[frozenset[Role]] = _MANAGERS
    procedure_id: Identifier
    lead: Name = Field(min_length=1)  # owns the procedure's deadlines


class StartContingencyPlanning(Command):
    procedure_id: Identifier
    strategy_meeting_notes: Text


class ReviewContingencyPlan(Command):
    procedure_id: Identifier
    note: Text
    residents_moves_planned: int = Field(default=0, ge=0, le=MAX_RESIDENTS)


class StartResidentsMoving(Command):
    procedure_id: Identifier
    residents_to_move: int = Field(le=MAX_RESIDENTS)


class CloseProcedure(Command):
    permitted: ClassVar[frozenset[Role]] = _MANAGERS
    procedure_id: Identifier
    outcome: FailureOutcome
    note: Text


# The lifecycle action each event records (evolve and the read models replay the table); a
# closing event's action depends on its outcome (CLOSE_ACTION).
ACTION_OF: Mapping[type[DomainEvent], str] = MappingProxyType({
    ProviderFailureConcernIdentified: "identify_concern",
    ProviderFailureProcedureInitiated: "initiate",
    ContingencyPlanningStarted: "plan_contingency",
    ContingencyPlanReviewed: "review_contingency",
    ResidentsMovingStarted: "move_residents",
})
CLOSE_ACTION: Mapping[FailureOutcome, str] = MappingProxyType({
    FailureOutcome.recovered: "close_recovered",
    FailureOutcome.provider_exited: "close_provider_exited",
})


def action_of(event: DomainEvent) -> str | None:
    """The lifecycle action a procedure's event records (None: not a lifecycle event)."""
    if isinstance(event, ProviderFailureProcedureClosed):
        return CLOSE_ACTION[event.outcome]
    return ACTION_OF.get(type(event))


def evolve(proc: Procedure, event: DomainEvent) -> Procedure:
    action = action_of(event)
    if action is None:
        return proc
    stage = F(PROVIDER_FAILURE_LIFECYCLE.replay(proc.procedure_id, proc.stage, action))
    proc = replace(proc, stage=stage, version=proc.version + 1)
    if isinstance(event, ProviderFailureConcernIdentified):
        return replace(proc, provider_id=event.provider_id, kind=event.kind)
    return proc


def decide(proc: Procedure, command: Command) -> list[DomainEvent]:
    pid, ident = proc.provider_id, proc.procedure_id
    match command:
        case IdentifyFailureConcern():
            PROVIDER_FAILURE_LIFECYCLE.check(ident, proc.stage, "identify_concern", hint="it is open already")
            return [ProviderFailureConcernIdentified(
                procedure_id=ident, provider_id=command.provider_id, kind=command.kind,
                trigger=command.trigger, summary=command.summary)]
        case InitiateProcedure():
            PROVIDER_FAILURE_LIFECYCLE.check(ident, proc.stage, "initiate")
            return [ProviderFailureProcedureInitiated(procedure_id=ident, provider_id=pid, lead=command.lead)]
        case StartContingencyPlanning():
            PROVIDER_FAILURE_LIFECYCLE.check(ident, proc.stage, "plan_contingency",
                                   hint="initiate the procedure and hold the strategy meeting first")
            return [ContingencyPlanningStarted(procedure_id=ident, provider_id=pid,
                                               strategy_meeting_notes=command.strategy_meeting_notes)]
        case ReviewContingencyPlan():
            PROVIDER_FAILURE_LIFECYCLE.check(ident, proc.stage, "review_contingency")
            return [ContingencyPlanReviewed(procedure_id=ident, provider_id=pid, note=command.note,
                                            residents_moves_planned=command.residents_moves_planned)]
        case StartResidentsMoving():
            PROVIDER_FAILURE_LIFECYCLE.check(ident, proc.stage, "move_residents",
                                   hint="plan the residents' moves in contingency planning first")
            if command.residents_to_move < 0:
                raise InvalidInput("residents_to_move", "cannot be negative")
            return [ResidentsMovingStarted(procedure_id=ident, provider_id=pid,
                                           residents_to_move=command.residents_to_move)]
        case CloseProcedure():
            action = ("close_recovered" if command.outcome is FailureOutcome.recovered
                      else "close_provider_exited")
            PROVIDER_FAILURE_LIFECYCLE.check(ident, proc.stage, action)
            return [ProviderFailureProcedureClosed(procedure_id=ident, provider_id=pid,
                                                   outcome=command.outcome, note=command.note)]
    raise TypeError(f"provider failure cannot handle {type(command).__name__}")


def replay(procedure_id: str, events: list[DomainEvent]) -> Procedure:
    proc = Procedure(procedure_id)
    for event in events:
        proc = evolve(proc, event)
    return proc


_PROCEDURE = Route(lambda c: c.procedure_id)

PROVIDER_FAILURE = Aggregate(
    kind="provider failure procedure",
    stream_prefix="provider-failure",
    initial=Procedure,
    evolve=evolve,
    decide=decide,
    routes={
        IdentifyFailureConcern: Route(
            lambda c: c.procedure_id, creates=True, provider_of=lambda c: c.provider_id
        ),
        InitiateProcedure: _PROCEDURE,
        StartContingencyPlanning: _PROCEDURE,
        ReviewContingencyPlan: _PROCEDURE,
        StartResidentsMoving: _PROCEDURE,
        CloseProcedure: _PROCEDURE,
    },
    lifecycle=PROVIDER_FAILURE_LIFECYCLE,
    state_of=lambda s: s.stage,
)
