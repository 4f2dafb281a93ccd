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
    LeadOfficerIn,
    ProviderDetailsIn,
    ProviderIn,
    ProviderOut,
    RiskCriterionIn,
    RiskMatrixOut,
)
from casework.api.schemas.workflows import EscalationOut
from casework.api.writes import WriteContext, WriteRoute, runs
from casework.domain.actors import Actor
from casework.domain.aggregate import EARLIEST_YEAR, LATEST_YEAR
from casework.domain.enums import Rag, ServiceType
from casework.domain.errors import InvalidInput, NotFound
from casework.domain.escalation import SanctionStage
from casework.domain.providers import (
    AssignLeadOfficer,
    CloseProvider,
    PublishCqcRating,
    RecordRiskCriterion,
    RegisterProvider,
    UpdateProviderDetails,
)
from casework.projections.history import history
from casework.projections.narrative import describe, names_for, score_words
from casework.projections.paging import PageOf, Window, page_of
from casework.projections.provider_view import list_providers as query_providers
from casework.projections.provider_view import provider_view, risk_matrix
from casework.workflows.status import escalation_status

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


@router.post("/{provider_id}/details", response_model=WriteResult, responses=WRITE_ERRORS,
             summary="Correct or update a provider's details, or whether the council contracts it")
@runs(UpdateProviderDetails)
def update_provider(provider_id: str, body: ProviderDetailsIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(UpdateProviderDetails.parse(body.data(provider_id=provider_id)))


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


HAPPENED = (
    "As it happened at this instant: everything that had happened by then (occurred_at), "
    f"whenever it was recorded. {AS_OF_FORM}."
)
KNOWN = (
    "As known at this instant: only what had been recorded by then (recorded_at), what "
    f"Casework knew. {AS_OF_FORM}."
)


def _times(
    as_happened_at: datetime | None, as_known_at: datetime | None, as_of: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """(as it happened at, as known at); ``as_of`` is the older name of ``as_known_at``."""
    if as_of is not None and as_known_at is not None and as_of != as_known_at:
        raise InvalidInput("as_of", "as_of is the older name of as_known_at: give one of them")
    return as_happened_at, as_known_at or as_of


@router.get("/{provider_id}", response_model=ProviderOut, responses=READ_ERRORS,
            summary="A provider's current view, or as it happened / as known at an instant")
def get_provider(
    request: Request,
    provider_id: str,
    as_happened_at: AsOf | None = Query(None, description=HAPPENED),
    as_known_at: AsOf | None = Query(None, description=KNOWN),
    as_of: AsOf | None = Query(None, description=f"The older name of as_known_at. {KNOWN}"),
    actor: Actor = Depends(current_actor),
) -> ProviderOut:
    cw = request.app.state.casework
    happened, known = _times(as_happened_at, as_known_at, as_of)
    view = provider_view(cw, provider_id, happened_at=happened, known_at=known)
    if view is None:
        raise NotFound("provider", provider_id)
    out = ProviderOut.model_validate(view, from_attributes=True)
    if happened is None and known is None:  # what the ladder allows is asked of now, never of the past
        escalation = EscalationOut.model_validate(escalation_status(cw, provider_id, actor))
        out = out.model_copy(update={"escalation": escalation})
    return out


@router.get("/{provider_id}/risk-matrix", response_model=RiskMatrixOut, responses=READ_ERRORS,
            summary="A provider's risk matrix today, or as it happened / as known at an instant")
def get_risk_matrix(
    request: Request,
    provider_id: str,
    as_happened_at: AsOf | None = Query(None, description=HAPPENED),
    as_known_at: AsOf | None = Query(None, description=KNOWN),
    as_of: AsOf | None = Query(None, description=f"The older name of as_known_at. {KNOWN}"),
    _: Actor = Depends(current_actor),
) -> RiskMatrixOut:
    happened, known = _times(as_happened_at, as_known_at, as_of)
    matrix = risk_matrix(request.app.state.casework, provider_id, happened_at=happened, known_at=known)
    if matrix is None:
        raise NotFound("provider", provider_id)
    return RiskMatrixOut.model_validate({
        **matrix.model_dump(), "score": matrix.score, "as_happened_at": happened, "as_known_at": known,
    })


@router.get("/{provider_id}/history", response_model=list[HistoryEventOut], responses=LIST_RESPONSES,
            summary="Everything recorded about a provider, in the order things happened",
            description=PAGING)
def provider_history(
    request: Request,
    provider_id: str,
    as_happened_at: AsOf | None = Query(None, description=HAPPENED),
    as_known_at: AsOf | None = Query(None, description=KNOWN),
    as_of: AsOf | None = Query(None, description=f"The older name of as_known_at. {KNOWN}"),
    order: str = Query(
        "happened", pattern="^(happened|recorded)$",
        description="`happened` (default): in the order things happened (occurred_at, ties by "
                    "log position); `recorded`: in the order they were recorded (log position).",
    ),
    page: Window = Depends(window),
    _: Actor = Depends(current_actor),
) -> Response:
    cw = request.app.state.casework
    happened, known = _times(as_happened_at, as_known_at, as_of)
    found = history(cw, provider_id, happened_at=happened, known_at=known,
                    order="recorded" if order == "recorded" else "happened")
    if found is None:
        raise NotFound("provider", provider_id)
    shown = page_of(found.events, page)
    names = names_for(found.events, score=score_words(cw.frameworks))
    sentences = [{**e.model_dump(), "sentence": describe(e, names).text} for e in shown.items]
    return paged(request, PageOf(sentences, shown.total, shown.offset, shown.size), _HISTORY)


_HISTORY = TypeAdapter(list[HistoryEventOut])
