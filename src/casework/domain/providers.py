"""Providers: registration, CQC ratings, ownership and registered manager changes, officers' risk
criteria, closure or hand-back (stream ``provider-<provider_id>``)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import ClassVar

from pydantic import Field

from casework.domain.aggregate import MANAGERS, Aggregate, Command, Context, Route, require_text
from casework.domain.errors import InvalidInput
from casework.domain.fields import Identifier, Label, Name, Text
from casework.domain.lifecycle import Lifecycle
from casework.events.base import DomainEvent
from casework.events.links import RecordRef, RecordsLinked
from casework.events.providers import (
    ClientCategory,
    ClosureKind,
    ContractEnded,
    ContractStarted,
    CqcRating,
    CqcRatingPublished,
    KeyQuestion,
    LeadOfficerAssigned,
    OwnershipChanged,
    ProviderClosed,
    ProviderDetailsChanged,
    ProviderRegistered,
    ProviderState,
    RegisteredManagerChanged,
    RiskCriterion,
    RiskCriterionRecorded,
    ServiceType,
)
from casework.events.rag import Rag

P = ProviderState
MAX_BEDS = 10_000

PROVIDER_LIFECYCLE = Lifecycle(
    "provider",
    ProviderState,
    [
        ("update_details", P.active, P.active),
        ("publish_rating", P.active, P.active),
        ("change_owner", P.active, P.active),
        ("change_manager", P.active, P.active),
        ("assign_lead_officer", P.active, P.active),
        ("record_risk_criterion", P.active, P.active),
        ("start_contract", P.active, P.active),
        ("end_contract", P.active, P.active),
        ("close", P.active, P.closed),
    ],
    initial=P.active,
)


def allowed_actions(state: ProviderState | str) -> set[str]:
    return PROVIDER_LIFECYCLE.allowed_actions(state)


@dataclass(frozen=True, kw_only=True)
class Provider:
    id: str
    state: ProviderState = P.active
    name: str = ""
    service_type: ServiceType | None = None
    categories: tuple[ClientCategory, ...] = ()
    cqc_location_id: str | None = None
    cqc_provider_id: str | None = None
    beds: int | None = None
    district: str | None = None
    nhs_area: str | None = None
    contract_reference: str | None = None
    registered_manager: str | None = None
    owner: str | None = None
    contracted: bool = True
    lead_officer: str | None = None
    cqc_overall: CqcRating | None = None
    cqc_report_date: date | None = None
    risk_criteria: dict[RiskCriterion, Rag] = field(default_factory=dict)
    links: tuple[RecordRef, ...] = ()
    version: int = 0

    @property
    def provider_id(self) -> str:
        return self.id

    @property
    def allowed_actions(self) -> set[str]:
        return PROVIDER_LIFECYCLE.allowed_actions(self.state)


# ----------------------------------------------------------------------------- commands
class RegisterProvider(Command):
    verb: ClassVar[str] = "register a provider"
    provider_id: Identifier | None = None  # default: a new id (CQC imports pass uuid5 of the location)
    name: Name
    service_type: ServiceType
    categories: list[ClientCategory] = Field(default=[], max_length=len(ClientCategory))
    cqc_location_id: Label | None = None
    cqc_provider_id: Label | None = None
    beds: int | None = Field(default=None, ge=0, le=MAX_BEDS)
    address: Text | None = None
    postcode: Label | None = None
    district: Name | None = None
    nhs_area: Label | None = None
    contract_reference: Label | None = None
    registered_manager: Name | None = None
    owner: Name | None = None
    # False for a service the council does not contract (market intelligence).
    contracted: bool = True


class UpdateProviderDetails(Command):
    """Only the fields given change."""

    verb: ClassVar[str] = "update a provider's details"
    provider_id: Identifier
    name: Name | None = None
    service_type: ServiceType | None = None
    categories: list[ClientCategory] | None = Field(default=None, max_length=len(ClientCategory))
    cqc_location_id: Label | None = None
    cqc_provider_id: Label | None = None
    beds: int | None = Field(default=None, ge=0, le=MAX_BEDS)
    address: Text | None = None
    postcode: Label | None = None
    district: Name | None = None
    nhs_area: Label | None = None
    contract_reference: Label | None = None
    contracted: bool | None = None


class PublishCqcRating(Command):
    """Record a CQC report. Pass ``occurred_at`` at the report date (the CQC import does) so the
    history shows the report when it was published."""

    verb: ClassVar[str] = "record a CQC rating"
    provider_id: Identifier
    report_date: date
    overall: CqcRating | None = None
    key_questions: dict[KeyQuestion, CqcRating] = {}
    report_id: Label | None = None


class ChangeOwner(Command):
    verb: ClassVar[str] = "record a change of owner"
    provider_id: Identifier
    new_owner: Name


class AssignLeadOfficer(Command):
    """Name the council officer who leads this provider's case (and owns its open deadlines)."""

    permitted: ClassVar = MANAGERS
    verb: ClassVar[str] = "assign a provider's lead officer"
    provider_id: Identifier
    officer: Name  # a user name


class ChangeRegisteredManager(Command):
    verb: ClassVar[str] = "record a change of registered manager"
    provider_id: Identifier
    new_manager: Name | None  # None: the post is vacant


class RecordRiskCriterion(Command):
    verb: ClassVar[str] = "record a risk criterion"
    provider_id: Identifier
    criterion: RiskCriterion
    rag: Rag
    note: Text | None = None


class StartContract(Command):
    verb: ClassVar[str] = "record a contract start"
    provider_id: Identifier
    contract_reference: Label
    starts_on: date
    ends_on: date | None = None


class EndContract(Command):
    verb: ClassVar[str] = "record a contract end"
    provider_id: Identifier
    contract_reference: Label
    ended_on: date
    reason: Text


class CloseProvider(Command):
    verb: ClassVar[str] = "close a provider"
    provider_id: Identifier
    kind: ClosureKind
    reason: Text


# ----------------------------------------------------------------------------- evolve
def evolve(state: Provider, event: DomainEvent) -> Provider:
    match event:
        case ProviderRegistered():
            return replace(
                state,
                name=event.name,
                service_type=event.service_type,
                categories=tuple(event.categories),
                cqc_location_id=event.cqc_location_id,
                cqc_provider_id=event.cqc_provider_id,
                beds=event.beds,
                district=event.district,
                nhs_area=event.nhs_area,
                contract_reference=event.contract_reference,
                registered_manager=event.registered_manager,
                owner=event.owner,
                contracted=event.contracted,
            )
        case ProviderDetailsChanged():
            changed = event.model_dump(exclude_none=True, exclude={"provider_id", "address", "postcode"})
            if "categories" in changed:
                changed["categories"] = tuple(event.categories or ())
            return replace(state, **changed)
        case CqcRatingPublished():
            if state.cqc_report_date and event.report_date < state.cqc_report_date:
                return state  # an older report recorded late does not replace the current one
            return replace(state, cqc_overall=event.overall or state.cqc_overall,
                           cqc_report_date=event.report_date)
        case OwnershipChanged():
            return replace(state, owner=event.new_owner)
        case RegisteredManagerChanged():
            return replace(state, registered_manager=event.new_manager)
        case LeadOfficerAssigned():
            return replace(state, lead_officer=event.officer)
        case RiskCriterionRecorded():
            return replace(state, risk_criteria={**state.risk_criteria, event.criterion: event.rag})
        case ContractStarted():
            return replace(state, contract_reference=event.contract_reference)
        case ProviderClosed():
            return replace(state, state=P(PROVIDER_LIFECYCLE.replay(state.id, state.state, "close")))
        case RecordsLinked():
            return replace(state, links=(*state.links, event.linked))
    return state


# ----------------------------------------------------------------------------- decide
def decide(state: Provider, command: Command, ctx: Context) -> list[DomainEvent]:
    pid = state.id
    match command:
        case RegisterProvider():
            require_text("name", command.name)
            data = command.model_dump(exclude={"occurred_at", "provider_id"})
            return [ProviderRegistered(provider_id=pid, **data)]
        case UpdateProviderDetails():
            PROVIDER_LIFECYCLE.check(pid, state.state, "update_details")
            if command.name is not None:
                require_text("name", command.name)
            changed = command.model_dump(exclude_none=True, exclude={"occurred_at", "provider_id"})
            if not changed:
                raise InvalidInput("body", "give at least one field to change")
            return [ProviderDetailsChanged(provider_id=pid, **changed)]
        case PublishCqcRating():
            PROVIDER_LIFECYCLE.check(pid, state.state, "publish_rating")
            if command.report_date > ctx.now.date():
                raise InvalidInput("report_date", "is in the future")
            return [
                CqcRatingPublished(
                    provider_id=pid,
                    report_date=command.report_date,
                    overall=command.overall,
                    key_questions=dict(command.key_questions),
                    report_id=command.report_id,
                )
            ]
        case ChangeOwner():
            PROVIDER_LIFECYCLE.check(pid, state.state, "change_owner")
            new_owner = require_text("new_owner", command.new_owner)
            if new_owner == state.owner:
                raise InvalidInput("new_owner", f"{new_owner!r} is already the owner")
            return [OwnershipChanged(provider_id=pid, previous_owner=state.owner, new_owner=new_owner)]
        case AssignLeadOfficer():
            PROVIDER_LIFECYCLE.check(pid, state.state, "assign_lead_officer")
            officer = require_text("officer", command.officer)
            if officer == state.lead_officer:
                raise InvalidInput("officer", f"{officer!r} is already the lead officer")
            return [LeadOfficerAssigned(provider_id=pid, officer=officer,
                                        previous_officer=state.lead_officer)]
        case ChangeRegisteredManager():
            PROVIDER_LIFECYCLE.check(pid, state.state, "change_manager")
            new = command.new_manager.strip() if command.new_manager else None
            if new == state.registered_manager:
                raise InvalidInput("new_manager", "is already the registered manager")
            return [
                RegisteredManagerChanged(
                    provider_id=pid, previous_manager=state.registered_manager, new_manager=new
                )
            ]
        case RecordRiskCriterion():
            PROVIDER_LIFECYCLE.check(pid, state.state, "record_risk_criterion")
            return [
                RiskCriterionRecorded(
                    provider_id=pid, criterion=command.criterion, rag=command.rag, note=command.note
                )
            ]
        case StartContract():
            PROVIDER_LIFECYCLE.check(pid, state.state, "start_contract")
            reference = require_text("contract_reference", command.contract_reference)
            if command.ends_on is not None and command.ends_on < command.starts_on:
                raise InvalidInput("ends_on", "is before starts_on")
            return [
                ContractStarted(
                    provider_id=pid,
                    contract_reference=reference,
                    starts_on=command.starts_on,
                    ends_on=command.ends_on,
                )
            ]
        case EndContract():
            PROVIDER_LIFECYCLE.check(pid, state.state, "end_contract")
            return [
                ContractEnded(
                    provider_id=pid,
                    contract_reference=require_text("contract_reference", command.contract_reference),
                    ended_on=command.ended_on,
                    reason=require_text("reason", command.reason),
                )
            ]
        case CloseProvider():
            PROVIDER_LIFECYCLE.check(pid, state.state, "close")
            reason = require_text("reason", command.reason)
            return [ProviderClosed(provider_id=pid, kind=command.kind, reason=reason)]
    raise TypeError(f"providers cannot handle {type(command).__name__}")


PROVIDER = Aggregate(
    kind="provider",
    stream_prefix="provider",
    initial=lambda ident: Provider(id=ident),
    evolve=evolve,
    decide=decide,
    routes={
        RegisterProvider: Route(lambda c: c.provider_id, creates=True),
        UpdateProviderDetails: Route(lambda c: c.provider_id),
        PublishCqcRating: Route(lambda c: c.provider_id),
        ChangeOwner: Route(lambda c: c.provider_id),
        ChangeRegisteredManager: Route(lambda c: c.provider_id),
        AssignLeadOfficer: Route(lambda c: c.provider_id),
        RecordRiskCriterion: Route(lambda c: c.provider_id),
        StartContract: Route(lambda c: c.provider_id),
        EndContract: Route(lambda c: c.provider_id),
        CloseProvider: Route(lambda c: c.provider_id),
    },
    lifecycle=PROVIDER_LIFECYCLE,
    state_of=lambda s: s.state,
)
