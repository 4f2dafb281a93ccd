"""The alerts page: deadlines that fell due, latest first, and for each whether its emails were
delivered, to whom and when (the same facts as ``GET /api/v1/alerts``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from casework.web.page import Page, signed_in
from casework.workflows.deadline_calendar import fired_alerts

router = APIRouter()

SHOWN = 200


@router.get("/alerts")
def alerts_page(p: Page = Depends(signed_in)) -> Response:
    cw = p.casework
    found = fired_alerts(cw)[:SHOWN]
    # A deadline's emails are kept by its id, its reminders' too: show the alert's own.
    deliveries = {
        deadline_id: [m for m in sent if m.kind == "alert"]
        for deadline_id, sent in cw.alerts.deliveries([r.deadline.deadline_id for r in found]).items()
    }
    names = cw.alerts.provider_names([r.deadline.provider_id for r in found])
    return p.render(
        "alerts.html", page_title="Alerts", alerts=found, deliveries=deliveries,
        provider_names=names, email_on=cw.alerts.email_on, shown=SHOWN,
    )
