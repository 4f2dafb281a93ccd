"""Fired deadline alerts and sent reminders: each names the provider, the deadline, who owned
it when it fired, and whether its emails were delivered, to whom and when."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import TypeAdapter

from casework.api import API_PREFIX
from casework.api.auth import current_actor
from casework.api.paging import LIST_RESPONSES, PAGING, paged, window
from casework.api.problems import READ_ERRORS
from casework.api.schemas.common import UtcDateTime
from casework.api.schemas.workflows import AlertOut, DeliveryOut
from casework.domain.actors import Actor
from casework.projections.paging import PageOf, Window, page_of
from casework.workflows import DeadlineRecord, fired_alerts

router = APIRouter(prefix=API_PREFIX, tags=["deadlines"], responses=READ_ERRORS)


@router.get("/alerts", response_model=list[AlertOut], responses=LIST_RESPONSES,
            summary="Fired deadline alerts and sent reminders, most recent first", description=PAGING)
def alerts(
    request: Request,
    provider_id: str | None = None,
    since: UtcDateTime | None = Query(None, description="Only those due or fired since (ISO 8601)."),
    reminders: bool = Query(True, description="Include the reminders sent before deadlines fell due."),
    owner: str | None = Query(None, description="Only those owned (when fired) by this user or team."),
    page: Window = Depends(window),
    _: Actor = Depends(current_actor),
) -> Response:
    casework = request.app.state.casework
    found = [r for r in fired_alerts(casework, provider_id=provider_id, since=since, reminders=reminders)
             if owner is None or r.deadline.owner == owner]
    shown = page_of(found, page)
    # Emails are kept by what they are about: the deadline, or the reminder (its own id); asked
    # for the page's alerts only.
    sent = casework.alerts.deliveries([r.deadline.deadline_id for r in shown.items])
    email = "on" if casework.alerts.email_on else "off"
    out = [alert_out(r, sent, email) for r in shown.items]
    return paged(request, PageOf(out, shown.total, shown.offset, shown.size), _ALERTS)


_ALERTS = TypeAdapter(list[AlertOut])


def alert_out(r: DeadlineRecord, sent: dict[str, list[Any]], email: str) -> AlertOut:
    d = r.deadline
    kind = "reminder" if d.is_reminder else "alert"
    return AlertOut(
        id=d.deadline_id, type=kind,
        provider_id=d.provider_id, kind=str(d.kind), title=d.title,
        due_at=d.reminds_due_at if d.is_reminder and d.reminds_due_at else d.due_at,
        owner=d.owner, source=d.source, fired_at=r.fired_at,
        deadline_id=d.reminder_of or d.deadline_id,
        remind_at=d.due_at if d.is_reminder else None, before=d.before,
        missed=d.missed, missed_note=d.missed_note, email=email,
        deliveries=[
            DeliveryOut(to=x.recipient, user=x.user_name, kind=x.kind, status=str(x.status),
                        attempts=x.attempts, sent_at=x.sent_at, last_error=x.last_error,
                        next_attempt_at=x.next_attempt_at if x.status == "pending" else None)
            for x in sent.get(d.deadline_id, []) if x.kind == kind
        ],
    )
