"""Providers: register and record facts about them; their current view, as-of view and history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import PlainValidator, TypeAdapter, WithJsonSchema

from casework.api import API_PREFIX
from casework.api.auth import current_actor
from casework.api.paging import LIST_RESPONSES, PAGING, paged, window
from casework.api.problems import READ_ERRORS, WRITE_ERRORS
from casework.api.schemas.common import WriteResult
from casework.api.schemas.providers import (
    CloseProviderIn,
    CqcRatingIn,
    HistoryEventOut,
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
    CloseProvider,
    PublishCqcRating,
    RecordRiskCriterion,
    RegisterProvider,
)
from casework.projections.history import history
from casework.projections.paging import Window, page_of
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


@router.post("/{provider_id}/close", response_model=WriteResult, responses=WRITE_ERRORS,
             summary="Record that the service closed or handed its contract back")
@runs(CloseProvider)
def close_provider(provider_id: str, body: CloseProviderIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(CloseProvider.parse(body.data(provider_id=provider_id)))


@router.get("", response_model=list[ProviderOut], responses=LIST_RESPONSES,
            summary="Every provider's current view", description=PAGING)
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
    page: Window = Depends(window),
    _: Actor = Depends(current_actor),
) -> Response:
    views = query_providers(
        request.app.state.casework, q=q, service_type=service_type, stage=stage, rag=rag, sort=sort
    )
    return paged(request, page_of(views, page), _PROVIDERS)


_PROVIDERS = TypeAdapter(list[ProviderOut])


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


@router.get("/{provider_id}/history", response_model=list[HistoryEventOut], responses=LIST_RESPONSES,
            summary="Everything recorded about a provider, oldest first", description=PAGING)
def provider_history(
    request: Request,
    provider_id: str,
    as_of: AsOf | None = Query(None, description=f"Only what had been recorded by then: {AS_OF_FORM}."),
    page: Window = Depends(window),
    _: Actor = Depends(current_actor),
) -> Response:
    found = history(request.app.state.casework, provider_id, as_of)
    if found is None:
        raise NotFound("provider", provider_id)
    return paged(request, page_of(found.events, page), _HISTORY)


_HISTORY = TypeAdapter(list[HistoryEventOut])
