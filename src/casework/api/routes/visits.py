"""Visits (planned, completed with findings and scores, or cancelled) and the assessments that
gather several visits into one framework outcome."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from casework.api import API_PREFIX
from casework.api.problems import WRITE_ERRORS
from casework.api.schemas.casework import (
    AssessmentVisitIn,
    CancelVisitIn,
    CompleteVisitIn,
    ConcludeAssessmentIn,
    OpenAssessmentIn,
    PlanVisitIn,
    RescheduleVisitIn,
)
from casework.api.schemas.common import WriteResult
from casework.api.writes import WriteContext, WriteRoute, runs
from casework.domain.visits import (
    CancelVisit,
    CompleteVisit,
    ConcludeAssessment,
    LinkAssessmentVisit,
    OpenAssessment,
    PlanVisit,
    RescheduleVisit,
)

router = APIRouter(prefix=API_PREFIX, tags=["visits"], route_class=WriteRoute,
                   responses=WRITE_ERRORS)


@router.post("/visits", status_code=201, response_model=WriteResult, summary="Plan a visit")
@runs(PlanVisit)
def plan(body: PlanVisitIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(PlanVisit.parse(body.data()))


@router.post("/visits/{visit_id}/reschedule", response_model=WriteResult, summary="Move a planned visit")
@runs(RescheduleVisit)
def reschedule(visit_id: str, body: RescheduleVisitIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(RescheduleVisit.parse(body.data(visit_id=visit_id)))


@router.post("/visits/{visit_id}/complete", response_model=WriteResult,
             summary="Record the visit: findings, framework scores, RAG, compliant")
@runs(CompleteVisit)
def complete(visit_id: str, body: CompleteVisitIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(CompleteVisit.parse(body.data(visit_id=visit_id)))


@router.post("/visits/{visit_id}/cancel", response_model=WriteResult, summary="Cancel a planned visit")
@runs(CancelVisit)
def cancel(visit_id: str, body: CancelVisitIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(CancelVisit.parse(body.data(visit_id=visit_id)))


@router.post("/assessments", status_code=201, response_model=WriteResult,
             summary="Open a framework assessment (ongoing until concluded)")
@runs(OpenAssessment)
def open_assessment(body: OpenAssessmentIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(OpenAssessment.parse(body.data()))


@router.post("/assessments/{assessment_id}/visits", response_model=WriteResult,
             summary="Add a visit to an assessment")
@runs(LinkAssessmentVisit)
def add_visit(assessment_id: str, body: AssessmentVisitIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(LinkAssessmentVisit.parse(body.data(assessment_id=assessment_id)))


@router.post("/assessments/{assessment_id}/conclude", response_model=WriteResult,
             summary="Conclude: compliant or non-compliant, with its RAG")
@runs(ConcludeAssessment)
def conclude(assessment_id: str, body: ConcludeAssessmentIn, w: WriteContext = Depends()) -> WriteResult:
    return w.write(ConcludeAssessment.parse(body.data(assessment_id=assessment_id)))
