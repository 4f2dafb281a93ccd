"""The provider failure procedure (and large scale enquiries): open one, then move it on."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from casework.api import API_PREFIX
from casework.api.paths import KnownProvider
from casework.api.problems import WRITE_ERRORS
from casework.api.schemas.common import WriteResult
from casework.api.schemas.workflows import (
    CloseProcedureIn,
    ContingencyIn,
    FailureConcernIn,
    InitiateIn,
    ResidentsMovingIn,
    ReviewIn,
)
from casework.api.writes import WriteContext, WriteRoute, runs
from casework.domain.provider_failure import (
    CloseProcedure,
    IdentifyFailureConcern,
    InitiateProcedure,
    ReviewContingencyPlan,
    StartContingencyPlanning,
    StartResidentsMoving,
)

router = APIRouter(prefix=API_PREFIX, tags=["provider failure"], route_class=WriteRoute,
                   responses=WRITE_ERRORS)
PROCEDURE = "/provider-failure/{procedure_id}"


@router.post("/providers/{provider_id}/provider-failure", status_code=201, response_model=WriteResult,
             summary="Record a concern that the provider may fail or exit (managers)")
@runs(IdentifyFailureConcern)
def identify(provider_id: KnownProvider, body: FailureConcernIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(IdentifyFailureConcern.parse(body.data(provider_id=provider_id)))


@router.post(f"{PROCEDURE}/initiate", response_model=WriteResult,
             summary="Initiate the procedure (managers): strategy meeting due in 2 working days")
@runs(InitiateProcedure)
def initiate(procedure_id: str, body: InitiateIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(InitiateProcedure.parse(body.data(procedure_id=procedure_id)))


@router.post(f"{PROCEDURE}/contingency-planning", response_model=WriteResult,
             summary="Start contingency planning after the strategy meeting")
@runs(StartContingencyPlanning)
def plan(procedure_id: str, body: ContingencyIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(StartContingencyPlanning.parse(body.data(procedure_id=procedure_id)))


@router.post(f"{PROCEDURE}/reviews", response_model=WriteResult,
             summary="Record a review of the contingency plan (every 7 days)")
@runs(ReviewContingencyPlan)
def review(procedure_id: str, body: ReviewIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(ReviewContingencyPlan.parse(body.data(procedure_id=procedure_id)))


@router.post(f"{PROCEDURE}/residents-moving", response_model=WriteResult,
             summary="Record that residents have started moving")
@runs(StartResidentsMoving)
def residents_moving(procedure_id: str, body: ResidentsMovingIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(StartResidentsMoving.parse(body.data(procedure_id=procedure_id)))


@router.post(f"{PROCEDURE}/close", response_model=WriteResult,
             summary="Close: the provider exited, or recovered (managers)")
@runs(CloseProcedure)
def close(procedure_id: str, body: CloseProcedureIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(CloseProcedure.parse(body.data(procedure_id=procedure_id)))
