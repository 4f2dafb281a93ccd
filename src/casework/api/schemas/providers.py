"""Providers: registration (``POST /providers``) and the current view."""

from __future__ import annotations

from datetime import date

from pydantic import Field, computed_field

from casework.api.schemas.common import CaseDate, Out, UtcDateTime, WriteBody
from casework.api.schemas.workflows import EscalationOut
from casework.domain.enums import (
    ClientCategory,
    ClosureKind,
    CqcRating,
    KeyQuestion,
    Rag,
    RiskCriterion,
    ServiceType,
)
from casework.domain.fields import Label, Name
from casework.projections.provider_view import cqc_page


class ProviderIn(WriteBody):
    name: Name = Field(min_length=1, description="The service's registered name.")
    service_type: ServiceType
    categories: list[ClientCategory] = Field([], max_length=4, description="Client categories served.")
    cqc_location_id: Label | None = Field(None, description="CQC location id, e.g. 1-123456789.")
    cqc_provider_id: Label | None = None
    beds: int | None = Field(None, ge=0, le=10_000)
    address: str | None = None
    postcode: Label | None = None
    district: Name | None = None
    nhs_area: Label | None = Field(None, description="CCG / ICB.")
    contract_reference: Label | None = None
    registered_manager: Name | None = None
    owner: Name | None = None
    contracted: bool = Field(
        True, description="Whether the council contracts this service (counted in its figures); "
        "false for market intelligence, e.g. a service in another council's area.",
    )


class ProviderDetailsIn(WriteBody):
    """Only the fields given change; give at least one."""

    name: Name | None = Field(None, min_length=1)
    service_type: ServiceType | None = None
    categories: list[ClientCategory] | None = Field(None, max_length=4)
    cqc_location_id: Label | None = None
    cqc_provider_id: Label | None = None
    beds: int | None = Field(None, ge=0, le=10_000)
    address: str | None = None
    postcode: Label | None = None
    district: Name | None = None
    nhs_area: Label | None = None
    contract_reference: Label | None = None
    contracted: bool | None = Field(
        None, description="Mark the service contracted by the council (true) or market "
        "intelligence (false): the dashboard and the annual report count contracted ones.",
    )


class CqcRatingIn(WriteBody):
    report_date: CaseDate
    overall: CqcRating | None = None
    key_questions: dict[KeyQuestion, CqcRating] = {}
    report_id: Label | None = None


class RiskCriterionIn(WriteBody):
    criterion: RiskCriterion = Field(description="One of the Kent criteria officers record.")
    rag: Rag
    note: str | None = None


class LeadOfficerIn(WriteBody):
    officer: str = Field(min_length=1, description="The user name of the officer who leads the "
                         "provider's case; its open deadlines move to them.")


class CloseProviderIn(WriteBody):
    kind: ClosureKind
    reason: str = Field(min_length=1)


class ProviderOut(Out):
    """A provider's current view (or as it stood at ``as_of``)."""

    id: str
    name: str | None
    service_type: str | None
    categories: list[str] = []
    district: str | None = None
    address: str | None = None
    postcode: str | None = None
    beds: int | None = None
    cqc_location_id: str | None = None
    registered_manager: str | None = None
    contracted: bool = Field(True, description="Contracted by the council (false: market intelligence).")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cqc_url(self) -> str | None:
        """The provider's public page on CQC's website."""
        return cqc_page(self.cqc_location_id)
    state: str | None = None
    cqc_rating: str | None
    cqc_rated_on: date | None = None
    escalation_stage: str
    closed_to_new_placements: bool | None = None
    rag: str | None
    risk_score: int | None
    open_intelligence: int
    open_action_items: int
    overdue_action_items: int
    open_action_plans: int | None = None
    open_safeguarding_concerns: int | None = None
    next_full_monitoring: date | None = None
    version: int = Field(description="The provider stream's version (expected_version for writes).")
    escalation_version: int | None = Field(
        None, description="The escalation stream's version (expected_version for escalation)."
    )
    as_of: UtcDateTime | None = None
    escalation: EscalationOut | None = Field(None, description=(
        "The contract escalation now (absent for an as_of view): the final notice's issue date, "
        "expiry and days left; every action of the ladder, allowed or not and why."))
    as_happened_at: UtcDateTime | None = Field(
        None, description="As it happened at this instant: everything that had happened by then.")
    as_known_at: UtcDateTime | None = Field(
        None, description="As known at this instant: only what had been recorded by then.")


class CriterionOut(Out):
    number: int
    key: str
    title: str
    rag: Rag
    points: int
    basis: str = Field(description="Why this RAG, in words.")
    recorded_by_officer: bool


class RiskMatrixOut(Out):
    """The ten criteria of the Kent risk matrix on a day; the lowest score is the highest risk."""

    provider_id: str
    on: date = Field(
        description="The day assessed: the as-it-happened day, else the as-known day, else today.")
    score: int
    criteria: list[CriterionOut]
    as_happened_at: UtcDateTime | None = None
    as_known_at: UtcDateTime | None = None


class HistoryEventOut(Out):
    """One event of a provider's history. Restricted personal data is never shown here."""

    position: int
    event_id: str
    stream: str
    version: int
    type: str
    occurred_at: UtcDateTime
    recorded_at: UtcDateTime
    actor: str | None
    reason: str | None = None
    data: dict = Field(description="The event's facts (sealed personal data redacted).")
    has_restricted_data: bool = False
    hash: str
    recorded_late: bool = Field(
        False, description="Recorded on a later day than it happened (see recorded_at).")
    sentence: str | None = Field(
        None, description="The event in words, with names instead of ids (restricted names never).")
    alert: str | None = Field(None, description=(
        "A decision that must not pass unnoticed, in words (an immediate termination for a "
        "serious breach, from proposal to approval)."))
