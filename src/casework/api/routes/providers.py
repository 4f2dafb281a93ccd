"""Providers: register and record facts about them; their current view, as-of view and history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import PlainValidator, WithJsonSchema

from casework.api import API_PREFIX
from casework.api.auth import current_actor
from casework.api.problems import READ_ERRORS, WRITE_ERRORS
from casework.api.schemas.common import WriteResult
from casework.api.schemas.providers import (
    CloseProviderIn,
    CqcRatingIn,
    HistoryEventOut,
    LeadOfficerIn,
    ProviderIn,
    ProviderOut,
    RiskCriterionIn,
)
from casework.api.writes import WriteContext, WriteRoute, runs
from casework.domain.actors import Actor
from casework.domain.aggregate import EARLIEST_YEAR, LATEST_YEAR
from casework.domain.enums import Rag, ServiceType
from casework.domain.errors import NotFound
from casework.domain.escalation import SanctionStage
from casework.domain.providers import (
    AssignLeadOfficer,
    CloseProvider,
    PublishCqcRating,
    RecordRiskCriterion,
    RegisterProvider,
)
from casework.projections.history import history
from casework.projections.provider_view import list_providers as query_providers
from casework.projections.provider_view import provider_view

AS_OF_FORM = (
    f"a date and time with its offset, e.g. 2026-03-02T17:00:00Z, between the years "
    f"{EARLIEST_YEAR} and {LATEST_YEAR}"
)


def as_of_instant(value: Any) -> datetime:
    """``as_of`` as a UTC instant; any other text is refused with one reason naming the form and
    the years accepted (a date alone, a time without offset, 9999-12-31, a number of seconds)."""
    try:
        instant = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        if instant.tzinfo is None or not str(value)[:4].isdigit():
            raise ValueError
        instant = instant.astimezone(UTC)  # OverflowError past the year 9999 in UTC
    except (ValueError, OverflowError):
        raise ValueError(f"give {AS_OF_FORM}") from None
    if not EARLIEST_YEAR <= instant.year <= LATEST_YEAR:
        raise ValueError(f"give {AS_OF_FORM}")
    return instant


AsOf = Annotated[
    datetime, PlainValidator(as_of_instant), WithJsonSchema({"type": "string", "format": "date-time"})
]

router = APIRouter(prefix=f"{API_PREFIX}/providers", tags=["providers"], route_class=WriteRoute)


@router.post("", status_code=201, response_model=WriteResult, responses=WRITE_ERRORS,
             summary="Register a provider")
@runs(RegisterProvider)
def register_provider(body: ProviderIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(RegisterProvider.parse(body.data()))


@router.post("/{provider_id}/cqc-ratings", status_code=201, response_model=WriteResult,
             responses=WRITE_ERRORS, summary="Record a CQC report's ratings")
@runs(PublishCqcRating)
def publish_cqc_rating(provider_id: str, body: CqcRatingIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(PublishCqcRating.parse(body.data(provider_id=provider_id)))


@router.post("/{provider_id}/risk-criteria", status_code=201, response_model=WriteResult,
             responses=WRITE_ERRORS, summary="Record a risk-matrix criterion (RAG)")
@runs(RecordRiskCriterion)
def record_risk_criterion(
    provider_id: str, body: RiskCriterionIn, w: WriteContext = Depends()
) -> WriteResult:
    return w.write(RecordRiskCriterion.parse(body.data(provider_id=provider_id)))


@router.post("/{provider_id}/lead-officer", response_model=WriteResult, responses=WRITE_ERRORS,
             summary="Name the officer who leads the provider's case (owns its open deadlines)")
@runs(AssignLeadOfficer)
def assign_lead_officer(provider_id: str, body: LeadOfficerIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(AssignLeadOfficer.parse(body.data(provider_id=provider_id)))


@router.post("/{provider_id}/close", response_model=WriteResult, responses=WRITE_ERRORS,
             summary="Record that the service closed or handed its contract back")
@runs(CloseProvider)
def close_provider(provider_id: str, body: CloseProviderIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(CloseProvider.parse(body.data(provider_id=provider_id)))


@router.get("", response_model=list[ProviderOut], responses=READ_ERRORS,
            summary="Every provider's current view")
def list_providers(
    request: Request,
    q: str | None = Query(None, description="Part of the name."),
    service_type: ServiceType | None = None,
    stage: SanctionStage | None = Query(None, description="Escalation stage."),
    rag: Rag | None = None,
    sort: str = Query(
        "risk", pattern="^(risk|name|stage)$",
        description="`risk` (default): highest risk (lowest score) first; `name`; `stage`.",
    ),
    _: Actor = Depends(current_actor),
) -> list[ProviderOut]:
    views = query_providers(
        request.app.state.casework, q=q, service_type=service_type, stage=stage, rag=rag, sort=sort
    )
    return [ProviderOut.model_validate(v, from_attributes=True) for v in views]


@router.get("/{provider_id}", response_model=ProviderOut, responses=READ_ERRORS,
            summary="A provider's current view, or as it stood at as_of")
def get_provider(
    request: Request,
    provider_id: str,
    as_of: AsOf | None = Query(None, description=f"What was known then: {AS_OF_FORM}."),
    _: Actor = Depends(current_actor),
) -> ProviderOut:
    view = provider_view(request.app.state.casework, provider_id, as_of)
    if view is None:
        raise NotFound("provider", provider_id)
    return ProviderOut.model_validate(view, from_attributes=True)


@router.get("/{provider_id}/history", response_model=list[HistoryEventOut], responses=READ_ERRORS,
            summary="Everything recorded about a provider, oldest first")
def provider_history(
    request: Request,
    provider_id: str,
    as_of: AsOf | None = Query(None, description=f"Only what had been recorded by then: {AS_OF_FORM}."),
    _: Actor = Depends(current_actor),
) -> list[HistoryEventOut]:
    found = history(request.app.state.casework, provider_id, as_of)
    if found is None:
        raise NotFound("provider", provider_id)
    return [HistoryEventOut.model_validate(e) for e in found.events]
