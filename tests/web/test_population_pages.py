"""The dashboard counts the council's own providers, says so, and switches to every provider known."""

from __future__ import annotations

from datetime import UTC, date, datetime

from casework.domain.actors import Actor, Role
from casework.domain.enums import CqcRating, IntelligenceSource, ServiceType
from casework.domain.intelligence import LogIntelligence
from casework.domain.providers import PublishCqcRating, RegisterProvider

OFFICER = Actor("officer", Role.officer)


def _provider(cw, name: str, *, contracted: bool, rating: CqcRating, beds: int) -> str:
    app = cw.application
    pid = app.execute(RegisterProvider(name=name, service_type=ServiceType.care_home_residential,
                                       beds=beds, contracted=contracted), OFFICER).aggregate_id
    app.execute(PublishCqcRating(provider_id=pid, report_date=date(2025, 6, 1), overall=rating), OFFICER)
    app.execute(LogIntelligence(provider_id=pid, source=IntelligenceSource.cqc,
                                received_at=datetime(2025, 7, 1, 10, tzinfo=UTC),
                                summary=f"Concern about {name}"), OFFICER)
    return pid


def test_the_dashboard_counts_the_councils_providers_and_switches_to_all(web) -> None:
    _provider(web.cw, "Ours", contracted=True, rating=CqcRating.good, beds=30)
    _provider(web.cw, "Elsewhere", contracted=False, rating=CqcRating.outstanding, beds=50)
    web.sign_in("olive")
    period = {"start": "2025-04-01", "end": "2026-03-31"}
    own = web.client.get("/dashboard", params=period)
    assert own.status_code == 200
    assert "council's 1 contracted providers" in own.text
    assert "CQC ratings of contracted providers" in own.text
    assert "Good 100.0 %" in own.text and "30 beds" in own.text
    known = web.client.get("/dashboard", params={**period, "population": "all"})
    assert "all 2 providers known" in known.text
    assert "Outstanding 50.0 %" in known.text and "80 beds" in known.text
