"""Fired deadline alerts: each names the provider, the deadline and who owns it, and whether
its emails were delivered, to whom and when."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request

from casework.api import API_PREFIX
from casework.api.auth import current_actor
from casework.api.problems import READ_ERRORS
from casework.api.schemas.common import UtcDateTime
from casework.api.schemas.workflows import AlertOut, DeliveryOut
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
    casework = request.app.state.casework
    found = fired_alerts(casework, provider_id=provider_id, since=since)
    sent = casework.alerts.deliveries([r.deadline.deadline_id for r in found])
    email = "on" if casework.alerts.email_on else "off"
    return [
        AlertOut(
            id=r.deadline.deadline_id, provider_id=r.deadline.provider_id, kind=str(r.deadline.kind),
            title=r.deadline.title, due_at=r.deadline.due_at, owner=r.deadline.owner,
            source=r.deadline.source, fired_at=r.fired_at, missed=r.deadline.missed,
            missed_note=r.deadline.missed_note, email=email,
            deliveries=[
                DeliveryOut(to=d.recipient, user=d.user_name, kind=d.kind, status=str(d.status),
                            attempts=d.attempts, sent_at=d.sent_at, last_error=d.last_error,
                            next_attempt_at=d.next_attempt_at if d.status == "pending" else None)
                for d in sent.get(r.deadline.deadline_id, [])
            ],
        )
        for r in found
    ]
