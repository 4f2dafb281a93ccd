"""The figures of a period (the annual quality report's numbers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from casework.api import API_PREFIX
from casework.api.auth import current_actor
from casework.api.problems import READ_ERRORS
from casework.api.schemas.common import CaseDate
from casework.domain.actors import Actor
from casework.domain.errors import InvalidInput
from casework.projections.statistics import Population, Statistics, statistics

router = APIRouter(prefix=API_PREFIX, tags=["statistics"], responses=READ_ERRORS)


@router.get("/stats", response_model=Statistics, summary="Figures for a period (inclusive dates)")
def stats(
    request: Request,
    # Annotated, or FastAPI drops CaseDate's validators (a bare `= Query()` default loses them)
    from_date: Annotated[CaseDate, Query(alias="from", description="First day, e.g. 2018-04-01.")],
    to_date: Annotated[CaseDate, Query(alias="to", description="Last day, e.g. 2019-03-31.")],
    population: Annotated[Population, Query(
        description="Whose figures: `contracted` (default), the council's contracted providers; "
        "`all`, every provider known, market intelligence (CQC locations of other areas) included.",
    )] = Population.contracted,
    _: Actor = Depends(current_actor),
) -> Statistics:
    if to_date < from_date:
        raise InvalidInput("to", f"{to_date} is before from {from_date}: swap them")
    return statistics(request.app.state.casework, from_date, to_date, population)
