"""Fired deadline alerts and sent reminders: each names the provider, the deadline and who owned
it when it fired."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from casework.api import API_PREFIX
from casework.api.auth import current_actor
from casework.api.problems import READ_ERRORS
from casework.api.schemas.common import UtcDateTime
from casework.api.schemas.workflows import AlertOut
from casework.domain.actors import Actor
from casework.workflows import DeadlineRecord, fired_alerts

router = APIRouter(prefix=API_PREFIX, tags=["deadlines"], responses=READ_ERRORS)


@router.get("/alerts", response_model=list[AlertOut],
            summary="Fired deadline alerts and sent reminders, most recent first")
def alerts(
    request: Request,
    provider_id: str | None = None,
    since: UtcDateTime | None = Query(None, description="Only those due or fired since (ISO 8601)."),
    reminders: bool = Query(True, description="Include the reminders sent before deadlines fell due."),
    owner: str | None = Query(None, description="Only those owned (when fired) by this user or team."),
    _: Actor = Depends(current_actor),
) -> list[AlertOut]:
    found = fired_alerts(request.app.state.casework, provider_id=provider_id, since=since,
                         reminders=reminders)
    return [alert_out(r) for r in found if owner is None or r.deadline.owner == owner]


def alert_out(r: DeadlineRecord) -> AlertOut:
    d = r.deadline
    return AlertOut(
        id=d.deadline_id, type="reminder" if d.is_reminder else "alert",
        provider_id=d.provider_id, kind=str(d.kind), title=d.title,
        due_at=d.reminds_due_at if d.is_reminder and d.reminds_due_at else d.due_at,
        owner=d.owner, source=d.source, fired_at=r.fired_at,
        deadline_id=d.reminder_of or d.deadline_id,
        remind_at=d.due_at if d.is_reminder else None, before=d.before,
        missed=d.missed, missed_note=d.missed_note,
    )
