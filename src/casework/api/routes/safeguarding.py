"""Safeguarding concerns: raised -> referred -> outcome recorded -> closed. Adults at risk are
restricted personal data: stored sealed, named to managers only."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from casework.api import API_PREFIX
from casework.api.auth import current_actor
from casework.api.problems import READ_ERRORS, WRITE_ERRORS
from casework.api.schemas.casework import (
    ConcernNoteIn,
    ConcernOut,
    ConcernOutcomeIn,
    PersonOut,
    RaiseConcernIn,
    ReferConcernIn,
)
from casework.api.schemas.common import Restricted, WriteResult
from casework.api.writes import WriteContext, WriteRoute, runs
from casework.domain.actors import Actor
from casework.domain.personal_data import PersonVault
from casework.domain.safeguarding import (
    SAFEGUARDING,
    CloseSafeguardingConcern,
    RaiseSafeguardingConcern,
    RecordSafeguardingOutcome,
    ReferSafeguardingConcern,
    SafeguardingConcern,
)

router = APIRouter(prefix=f"{API_PREFIX}/safeguarding-concerns", tags=["safeguarding"],
                   route_class=WriteRoute)


@router.post("", status_code=201, response_model=WriteResult, responses=WRITE_ERRORS,
             summary="Raise a safeguarding concern about a provider")
@runs(RaiseSafeguardingConcern)
def raise_concern(body: RaiseConcernIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(RaiseSafeguardingConcern.parse(body.data()))


@router.post("/{concern_id}/refer", response_model=WriteResult, responses=WRITE_ERRORS,
             summary="Refer to the safeguarding adults team (section 42 enquiry or not)")
@runs(ReferSafeguardingConcern)
def refer(concern_id: str, body: ReferConcernIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(ReferSafeguardingConcern.parse(body.data(concern_id=concern_id)))


@router.post("/{concern_id}/outcome", response_model=WriteResult, responses=WRITE_ERRORS,
             summary="Record the outcome of the enquiry")
@runs(RecordSafeguardingOutcome)
def outcome(concern_id: str, body: ConcernOutcomeIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(RecordSafeguardingOutcome.parse(body.data(concern_id=concern_id)))


@router.post("/{concern_id}/close", response_model=WriteResult, responses=WRITE_ERRORS,
             summary="Close the concern")
@runs(CloseSafeguardingConcern)
def close(concern_id: str, body: ConcernNoteIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(CloseSafeguardingConcern.parse(body.data(concern_id=concern_id)))


@router.get("/{concern_id}", response_model=ConcernOut, responses=READ_ERRORS,
            summary="One concern; adults at risk named to managers only")
def get_concern(request: Request, concern_id: str, actor: Actor = Depends(current_actor)) -> ConcernOut:
    cw = request.app.state.casework
    concern: SafeguardingConcern = cw.application.load(SAFEGUARDING, concern_id)
    return ConcernOut(
        id=concern.id, provider_id=concern.provider_id, state=concern.state, category=concern.category,
        summary=concern.summary, adults_at_risk=_adults(concern, actor, cw.vault),
        outcome=concern.outcome, version=concern.version, allowed_actions=sorted(concern.allowed_actions),
    )


def _adults(concern: SafeguardingConcern, actor: Actor, vault: PersonVault) -> list[PersonOut] | Restricted:
    if not concern.adults_at_risk:
        return []
    if not actor.may_see_restricted:
        return Restricted()
    people = []
    for sealed in concern.adults_at_risk:
        details = vault.reveal_for(actor, sealed)
        people.append(PersonOut(person_id=sealed.person_id, erased=True) if details is None
                      else PersonOut(person_id=sealed.person_id, name=details.name, contact=details.contact))
    return people
