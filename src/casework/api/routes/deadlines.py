"""Pending deadlines, soonest first."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import TypeAdapter

from casework.api import API_PREFIX
from casework.api.auth import current_actor
from casework.api.paging import LIST_RESPONSES, PAGING, paged, window
from casework.api.problems import READ_ERRORS
from casework.api.schemas.common import UtcDateTime
from casework.api.schemas.workflows import DeadlineOut
from casework.domain.actors import Actor
from casework.projections.paging import Window, page_of
from casework.workflows import pending_deadlines

router = APIRouter(prefix=API_PREFIX, tags=["deadlines"], responses=READ_ERRORS)


@router.get("/deadlines", response_model=list[DeadlineOut], responses=LIST_RESPONSES,
            summary="Pending deadlines, soonest first", description=PAGING)
def deadlines(
    request: Request,
    before: UtcDateTime | None = Query(None, description="Only those due at or before (ISO 8601)."),
    provider_id: str | None = None,
    owner: str | None = Query(None, description="Only those owned by this user or team."),
    reminders: bool = Query(False, description="Include the reminders still to send."),
    page: Window = Depends(window),
    _: Actor = Depends(current_actor),
) -> Response:
    found = pending_deadlines(request.app.state.casework, before=before, provider_id=provider_id,
                              owner=owner, reminders=reminders)
    return paged(request, page_of(found, page), _DEADLINES)


_DEADLINES = TypeAdapter(list[DeadlineOut])
