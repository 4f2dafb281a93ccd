"""Fired deadline alerts: each names the provider, the deadline and who owns it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from casework.api import API_PREFIX
from casework.api.auth import current_actor
from casework.api.problems import READ_ERRORS
from casework.api.schemas.common import UtcDateTime
from casework.api.schemas.workflows import AlertOut
from casework.domain.actors import Actor
from casework.workflows import fired_alerts

router = APIRouter(prefix=API_PREFIX, tags=["deadlines"], responses=READ_ERRORS)


@router.get("/alerts", response_model=list[AlertOut], summary="Fired deadline alerts, most recent first")
def alerts(
    request: Request,
    provider_id: str | None = None,
    since: UtcDateTime | None = Query(None, description="Only those due or fired since (ISO 8601)."),
    _: Actor = Depends(current_actor),
) -> list[AlertOut]:
    found = fired_alerts(request.app.state.casework, provider_id=provider_id, since=since)
    return [
        AlertOut(
            id=r.deadline.deadline_id, provider_id=r.deadline.provider_id, kind=str(r.deadline.kind),
            title=r.deadline.title, due_at=r.deadline.due_at, owner=r.deadline.owner,
            source=r.deadline.source, fired_at=r.fired_at, missed=r.deadline.missed,
            missed_note=r.deadline.missed_note,
        )
        for r in found
    ]
