"""Providers: the registered service locations the council contracts with (stream
``provider-<provider_id>``). States: ``active`` -> ``closed``."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from casework.events.base import DomainEvent
from casework.events.rag import Rag


class ServiceType(StrEnum):
    care_home_residential = "care_home_residential"
    care_home_nursing = "care_home_nursing"
    home_care = "home_care"
    supported_living = "supported_living"
    extra_care = "extra_care"
    day_service = "day_service"


class ClientCategory(StrEnum):
    """Older people, mental health, learning disability, physical disability and sensory
    impairment."""

    OP = "OP"
    MH = "MH"
    LD = "LD"
    PDSI = "PDSI"


class CqcRating(StrEnum):
    outstanding = "outstanding"
    good = "good"
    requires_improvement = "requires_improvement"
    inadequate = "inadequate"
    not_yet_rated = "not_yet_rated"
    inspected_but_not_rated = "inspected_but_not_rated"


class KeyQuestion(StrEnum):
    safe = "safe"
    effective = "effective"
    caring = "caring"
    responsive = "responsive"
    well_led = "well_led"


class ProviderState(StrEnum):
    active = "active"
    closed = "closed"


class ClosureKind(StrEnum):
    closure = "closure"  # the service closed
    hand_back = "hand_back"  # the provider handed the contract back


class RiskCriterion(StrEnum):
    """The Kent risk-matrix criteria officers record (1, 2, 8, 9, 10 follow from other events)."""

    provider_self_assessment = "provider_self_assessment"  # 3
    professional_feedback = "professional_feedback"  # 4: and experts-by-experience visits
    food_hygiene = "food_hygiene"  # 5
    fire_safety = "fire_safety"  # 6
    health_and_safety = "health_and_safety"  # 7: at site visits


class ProviderRegistered(DomainEvent, type_name="ProviderRegistered"):
    provider_id: str
    name: str
    service_type: ServiceType
    categories: list[ClientCategory] = []
    cqc_location_id: str | None = None
    cqc_provider_id: str | None = None
    beds: int | None = None
    address: str | None = None
    postcode: str | None = None
    district: str | None = None
    nhs_area: str | None = None
    contract_reference: str | None = None
    registered_manager: str | None = None
    owner: str | None = None
    # Whether the council contracts this service (its own population, counted by the dashboard
    # and the annual report) or merely knows of it (a CQC location imported from another area:
    # market intelligence). Events recorded before the field existed were contracted providers.
    contracted: bool = True


class ProviderDetailsChanged(DomainEvent, type_name="ProviderDetailsChanged"):
    """Corrections or updates of registration facts; only the fields that changed are set."""

    provider_id: str
    name: str | None = None
    service_type: ServiceType | None = None
    categories: list[ClientCategory] | None = None
    cqc_location_id: str | None = None
    cqc_provider_id: str | None = None
    beds: int | None = None
    address: str | None = None
    postcode: str | None = None
    district: str | None = None
    nhs_area: str | None = None
    contract_reference: str | None = None
    contracted: bool | None = None


class CqcRatingPublished(DomainEvent, type_name="CqcRatingPublished"):
    """A CQC report's ratings. ``occurred_at`` is the report date; ``report_date`` keeps it too."""

    provider_id: str
    report_date: date
    overall: CqcRating | None = None
    key_questions: dict[KeyQuestion, CqcRating] = {}
    report_id: str | None = None


class OwnershipChanged(DomainEvent, type_name="OwnershipChanged"):
    provider_id: str
    previous_owner: str | None
    new_owner: str


class LeadOfficerAssigned(DomainEvent, type_name="LeadOfficerAssigned"):
    """The council officer who leads the provider's case: owns its open deadlines that no
    officer on their own case does (escalation reviews, notices, action-plan items)."""

    provider_id: str
    officer: str  # a user name
    previous_officer: str | None = None


class RegisteredManagerChanged(DomainEvent, type_name="RegisteredManagerChanged"):
    provider_id: str
    previous_manager: str | None
    new_manager: str | None  # None: the post is vacant


class ContractStarted(DomainEvent, type_name="ContractStarted"):
    provider_id: str
    contract_reference: str
    starts_on: date
    ends_on: date | None = None


class ContractEnded(DomainEvent, type_name="ContractEnded"):
    provider_id: str
    contract_reference: str
    ended_on: date
    reason: str


class ProviderClosed(DomainEvent, type_name="ProviderClosed"):
    provider_id: str
    kind: ClosureKind
    reason: str


class RiskCriterionRecorded(DomainEvent, type_name="RiskCriterionRecorded"):
    """An officer's RAG for one Kent risk-matrix criterion; the latest per criterion counts."""

    provider_id: str
    criterion: RiskCriterion
    rag: Rag
    note: str | None = None
