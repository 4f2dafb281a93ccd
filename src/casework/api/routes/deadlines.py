"""Pending deadlines, soonest first."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from casework.api import API_PREFIX
from casework.api.auth import current_actor
from casework.api.problems import READ_ERRORS
from casework.api.schemas.common import UtcDateTime
from casework.api.schemas.workflows import DeadlineOut
from casework.domain.actors import Actor
from casework.workflows import pending_deadlines

router = APIRouter(prefix=API_PREFIX, tags=["deadlines"], responses=READ_ERRORS)


@router.get("/deadlines", response_model=list[DeadlineOut], summary="Pending deadlines, soonest first")
def deadlines(
    request: Request,
    before: UtcDateTime | None = Query(None, description="Only those due at or before (ISO 8601)."),
    provider_id: str | None = None,
    owner: str | None = Query(None, description="Only those owned by this user or team."),
    reminders: bool = Query(False, description="Include the reminders still to send."),
    _: Actor = Depends(current_actor),
) -> list[DeadlineOut]:
    found = pending_deadlines(request.app.state.casework, before=before, provider_id=provider_id,
                              owner=owner, reminders=reminders)
    return [DeadlineOut.model_validate(d) for d in found]
