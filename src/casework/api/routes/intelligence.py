"""Intelligence records (triage): log, allocate, assess, act, close, re-open; the inbox."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import TypeAdapter

from casework.api import API_PREFIX
from casework.api.auth import current_actor
from casework.api.paging import LIST_RESPONSES, PAGING, paged, window
from casework.api.problems import READ_ERRORS, WRITE_ERRORS
from casework.api.schemas.common import Restricted, WriteResult
from casework.api.schemas.intelligence import (
    ActionIn,
    AllocateIn,
    AssessIn,
    CloseIn,
    ErasedPerson,
    IntelligenceOut,
    LogIntelligenceIn,
    ReopenIn,
    TriageItemOut,
    Whistleblower,
)
from casework.api.writes import WriteContext, WriteRoute, runs
from casework.domain.actors import Actor
from casework.domain.enums import IntelligenceState
from casework.domain.intelligence import (
    INTELLIGENCE,
    AllocateIntelligence,
    AssessRisk,
    CloseIntelligence,
    IntelligenceRecord,
    LogIntelligence,
    ReopenIntelligence,
    TakeIntelligenceAction,
)
from casework.domain.personal_data import PersonVault
from casework.projections.paging import Window
from casework.projections.triage import TriageFilters, triage_page

router = APIRouter(prefix=f"{API_PREFIX}/intelligence", tags=["intelligence"], route_class=WriteRoute)


@router.post("", status_code=201, response_model=WriteResult, responses=WRITE_ERRORS,
             summary="Log intelligence about a provider")
@runs(LogIntelligence)
def log_intelligence(body: LogIntelligenceIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(LogIntelligence.parse(body.data()))


@router.post("/{record_id}/allocate", response_model=WriteResult, responses=WRITE_ERRORS,
             summary="Allocate (or re-allocate) to an officer (managers)")
@runs(AllocateIntelligence)
def allocate(record_id: str, body: AllocateIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(AllocateIntelligence.parse(body.data(record_id=record_id)))


@router.post("/{record_id}/assess", response_model=WriteResult, responses=WRITE_ERRORS,
             summary="Record the risk assessment")
@runs(AssessRisk)
def assess(record_id: str, body: AssessIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(AssessRisk.parse(body.data(record_id=record_id)))


@router.post("/{record_id}/actions", response_model=WriteResult, responses=WRITE_ERRORS,
             summary="Record an action taken")
@runs(TakeIntelligenceAction)
def take_action(record_id: str, body: ActionIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(TakeIntelligenceAction.parse(body.data(record_id=record_id)))


@router.post("/{record_id}/close", response_model=WriteResult, responses=WRITE_ERRORS,
             summary="Close: actioned, or no further action")
@runs(CloseIntelligence)
def close(record_id: str, body: CloseIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(CloseIntelligence.parse(body.data(record_id=record_id)))


@router.post("/{record_id}/reopen", response_model=WriteResult, responses=WRITE_ERRORS,
             summary="Re-open a closed record, with the reason")
@runs(ReopenIntelligence)
def reopen(record_id: str, body: ReopenIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(ReopenIntelligence.parse(body.data(record_id=record_id)))


@router.get("", response_model=list[TriageItemOut], responses=LIST_RESPONSES, summary="The triage inbox",
            description=f"Newest received first. {PAGING}")
def inbox(
    request: Request,
    state: IntelligenceState | None = None,
    provider_id: str | None = None,
    assigned_to: str | None = Query(None, description="An officer's user name."),
    overdue: bool | None = Query(None, description="true: past its service level."),
    page: Window = Depends(window),
    _: Actor = Depends(current_actor),
) -> Response:
    filters = TriageFilters(state=state, provider_id=provider_id, assigned_to=assigned_to, overdue=overdue)
    return paged(request, triage_page(request.app.state.casework, filters, page), _INBOX)


_INBOX = TypeAdapter(list[TriageItemOut])


@router.get("/{record_id}", response_model=IntelligenceOut, responses=READ_ERRORS,
            summary="One record; the whistleblower's identity only for managers")
def get_record(
    request: Request, record_id: str, actor: Actor = Depends(current_actor)
) -> IntelligenceOut:
    cw = request.app.state.casework
    record: IntelligenceRecord = cw.application.load(INTELLIGENCE, record_id)
    return IntelligenceOut(
        id=record.id, provider_id=record.provider_id, state=record.state, source=record.source,
        received_at=record.received_at, summary=record.summary,
        whistleblower=_whistleblower(record, actor, cw.vault), officer=record.officer,
        risk=record.risk, action_required=record.action_required, actions=list(record.actions),
        outcome=record.outcome, version=record.version, allowed_actions=sorted(record.allowed_actions),
    )


def _whistleblower(
    record: IntelligenceRecord, actor: Actor, vault: PersonVault
) -> Whistleblower | Restricted | ErasedPerson | None:
    if record.whistleblower is None:
        return None
    if not actor.may_see_restricted:
        return Restricted()
    details = vault.reveal_for(actor, record.whistleblower)
    person_id = record.whistleblower.person_id
    if details is None:
        return ErasedPerson(person_id=person_id)
    return Whistleblower(person_id=person_id, name=details.name, contact=details.contact)
