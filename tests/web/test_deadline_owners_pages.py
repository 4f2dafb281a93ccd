"""Where users look: the provider page shows the lead officer, each open deadline's owner and the
reminders to come, and lets a manager name the lead (the deadlines move); the dashboard lists
the alerts and reminders sent lately and who each went to."""

from __future__ import annotations

import re
from datetime import date, timedelta

from casework.domain.actors import Actor, Role
from casework.domain.notices import IssueRemedyNotice
from casework.domain.providers import AssignLeadOfficer, RegisterProvider

from .conftest import Web

MANNY = Actor("manny", Role.manager)


def _provider_with_notice(web: Web) -> str:
    app = web.cw.application
    provider_id = app.execute(
        RegisterProvider(name="Beech Court", service_type="care_home_residential"), MANNY).aggregate_id
    app.execute(IssueRemedyNotice(provider_id=provider_id, breach="Staffing", actions=["Recruit"],
                                  remedy_by=date(2026, 4, 7)), MANNY)
    return provider_id


def _owners(page: str) -> list[str]:
    table = page.split('id="provider-deadlines"')[1].split("</table>")[0]
    return [re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r'<td data-label="Owner">(.*?)</td>', table, re.S)]


def test_a_manager_names_the_lead_officer_on_the_provider_page_and_the_deadlines_move(web: Web) -> None:
    provider_id = _provider_with_notice(web)
    csrf = web.sign_in("manny")
    page = web.client.get(f"/providers/{provider_id}").text
    assert 'id="lead-officer">none named' in page
    assert _owners(page) == ["contracts-team (team)"]
    assert "7 working days before" in page and "1 working day before" in page

    saved = web.client.post(f"/providers/{provider_id}/lead-officer",
                            data={"csrf_token": csrf, "officer": "olive"}, follow_redirects=False)
    assert saved.status_code == 303
    page = web.client.get(saved.headers["location"]).text
    assert 'id="lead-officer">olive' in page and _owners(page) == ["olive"]

    refused = web.client.post(f"/providers/{provider_id}/lead-officer",
                              data={"csrf_token": csrf, "officer": "olive"})
    assert refused.status_code == 422 and "already the lead officer" in refused.text


def test_an_officer_sees_the_owners_but_is_offered_no_lead_officer_form(web: Web) -> None:
    provider_id = _provider_with_notice(web)
    web.sign_in("olive")
    page = web.client.get(f"/providers/{provider_id}").text
    assert _owners(page) == ["contracts-team (team)"]
    assert f"/providers/{provider_id}/lead-officer" not in page


def test_the_dashboard_lists_the_reminders_and_alerts_sent_lately_with_their_owners(web: Web) -> None:
    provider_id = _provider_with_notice(web)
    web.cw.application.execute(AssignLeadOfficer(provider_id=provider_id, officer="olive"), MANNY)
    web.clock.advance(timedelta(days=23))  # 25 March: 7 working days before 7 April
    [sent] = web.cw.scheduler.fire_due().fired
    web.sign_in("manny")
    page = web.client.get("/dashboard").text
    recent = page.split('id="recent-alerts"')[1].split("</table>")[0]
    assert "Reminder" in recent and "7 working days" in recent and "olive" in recent
    assert sent.is_reminder
