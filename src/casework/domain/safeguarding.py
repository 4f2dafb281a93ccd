"""Safeguarding concerns: raised, referred (section 42 enquiry or not), outcome recorded, closed
(stream ``safeguarding-<concern_id>``). Adults at risk are sealed, never named in event data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import ClassVar

from casework.domain.aggregate import Aggregate, Command, Context, Route, require_text
from casework.domain.fields import Identifier, Link, Text
from casework.domain.lifecycle import Lifecycle
from casework.domain.links import check_linkable, triggered_by
from casework.domain.personal_data import PersonDetails
from casework.events.base import DomainEvent
from casework.events.links import RecordKind, RecordRef, RecordsLinked
from casework.events.personal_data import SealedPerson
from casework.events.safeguarding import (
    SafeguardingCategory,
    SafeguardingConcernClosed,
    SafeguardingConcernRaised,
    SafeguardingConcernReferred,
    SafeguardingOutcome,
    SafeguardingOutcomeRecorded,
    SafeguardingState,
)

G = SafeguardingState

CONCERN_LIFECYCLE = Lifecycle(
    "safeguarding concern",
    SafeguardingState,
    [
        ("refer", G.raised, G.referred),
        ("record_outcome", G.referred, G.outcome_recorded),
        ("close", G.outcome_recorded, G.closed),
    ],
    initial=G.raised,
)

# The lifecycle action each event records; read models replay stored events by type name.
ACTION_OF: Mapping[type[DomainEvent], str] = MappingProxyType({
    SafeguardingConcernReferred: "refer",
    SafeguardingOutcomeRecorded: "record_outcome",
    SafeguardingConcernClosed: "close",
})
ACTION_OF_TYPE: Mapping[str, str] = MappingProxyType({c.type_name: a for c, a in ACTION_OF.items()})


def allowed_actions(state: SafeguardingState | str) -> set[str]:
    return CONCERN_LIFECYCLE.allowed_actions(state)


@dataclass(frozen=True, kw_only=True)
class SafeguardingConcern:
    id: str
    provider_id: str | None = None
    state: SafeguardingState = G.raised
    category: SafeguardingCategory | None = None
    summary: str = ""
    adults_at_risk: tuple[SealedPerson, ...] = ()
    section_42: bool | None = None
    outcome: SafeguardingOutcome | None = None
    links: tuple[RecordRef, ...] = ()
    version: int = 0

    @property
    def allowed_actions(self) -> set[str]:
        return CONCERN_LIFECYCLE.allowed_actions(self.state)


# ----------------------------------------------------------------------------- commands
class RaiseSafeguardingConcern(Command):
    verb: ClassVar[str] = "raise a safeguarding concern"
    concern_id: Identifier | None = None
    provider_id: Identifier
    category: SafeguardingCategory
    summary: Text
    adults_at_risk: list[PersonDetails] = []  # sealed, never stored in clear
    triggered_by: Link | None = None


class ReferSafeguardingConcern(Command):
    verb: ClassVar[str] = "refer a safeguarding concern"
    concern_id: Identifier
    section_42: bool
    note: Text | None = None


class RecordSafeguardingOutcome(Command):
    verb: ClassVar[str] = "record a safeguarding outcome"
    concern_id: Identifier
    outcome: SafeguardingOutcome
    note: Text | None = None


class CloseSafeguardingConcern(Command):
    verb: ClassVar[str] = "close a safeguarding concern"
    concern_id: Identifier
    note: Text | None = None


# ----------------------------------------------------------------------------- evolve
def evolve(state: SafeguardingConcern, event: DomainEvent) -> SafeguardingConcern:
    match event:
        case SafeguardingConcernRaised():
            return replace(
                state,
                provider_id=event.provider_id,
                category=event.category,
                summary=event.summary,
                adults_at_risk=tuple(event.adults_at_risk),
            )
        case RecordsLinked():
            return replace(state, links=(*state.links, event.linked))
    action = ACTION_OF.get(type(event))
    if action is None:
        return state
    state = replace(state, state=G(CONCERN_LIFECYCLE.replay(state.id, state.state, action)))
    match event:
        case SafeguardingConcernReferred():
            return replace(state, section_42=event.section_42)
        case SafeguardingOutcomeRecorded():
            return replace(state, outcome=event.outcome)
    return state


# ----------------------------------------------------------------------------- decide
def decide(state: SafeguardingConcern, command: Command, ctx: Context) -> list[DomainEvent]:
    cid = state.id
    match command:
        case RaiseSafeguardingConcern():
            summary = require_text("summary", command.summary)
            for index, person in enumerate(command.adults_at_risk):
                require_text(f"adults_at_risk.{index}.name", person.name)
            if command.triggered_by is not None:
                check_linkable(ctx, "triggered_by", command.triggered_by, command.provider_id)
            events: list[DomainEvent] = [
                SafeguardingConcernRaised(
                    concern_id=cid,
                    provider_id=command.provider_id,
                    category=command.category,
                    summary=summary,
                    adults_at_risk=[ctx.sealed(p.to_text()) for p in command.adults_at_risk],
                )
            ]
            if command.triggered_by is not None:
                events.append(triggered_by(RecordKind.safeguarding, cid, command.triggered_by))
            return events
        case ReferSafeguardingConcern():
            CONCERN_LIFECYCLE.check(cid, state.state, "refer")
            return [
                SafeguardingConcernReferred(
                    concern_id=cid, section_42=command.section_42, note=command.note
                )
            ]
        case RecordSafeguardingOutcome():
            CONCERN_LIFECYCLE.check(cid, state.state, "record_outcome", "refer it first")
            return [
                SafeguardingOutcomeRecorded(concern_id=cid, outcome=command.outcome, note=command.note)
            ]
        case CloseSafeguardingConcern():
            CONCERN_LIFECYCLE.check(cid, state.state, "close", "record the outcome first")
            return [SafeguardingConcernClosed(concern_id=cid, note=command.note)]
    raise TypeError(f"safeguarding cannot handle {type(command).__name__}")


SAFEGUARDING = Aggregate(
    kind="safeguarding concern",
    stream_prefix="safeguarding",
    initial=lambda ident: SafeguardingConcern(id=ident),
    evolve=evolve,
    decide=decide,
    routes={
        RaiseSafeguardingConcern: Route(
            lambda c: c.concern_id, creates=True, provider_of=lambda c: c.provider_id
        ),
        ReferSafeguardingConcern: Route(lambda c: c.concern_id),
        RecordSafeguardingOutcome: Route(lambda c: c.concern_id),
        CloseSafeguardingConcern: Route(lambda c: c.concern_id),
    },
    lifecycle=CONCERN_LIFECYCLE,
    state_of=lambda s: s.state,
)
