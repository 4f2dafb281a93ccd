"""Deadline owners and reminders over HTTP: naming a provider's lead officer moves its open
deadlines; ``GET /alerts`` lists alerts and reminders with the owner each had when it fired;
``GET /deadlines`` filters by owner and lists reminders to come. On both backends."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

API = "/api/v1"
LONDON = ZoneInfo("Europe/London")


def provider(client, headers) -> str:
    answer = client.post(f"{API}/providers", json={"name": "Rose Court", "service_type": "care_home_nursing"},
                         headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_a_manager_names_a_lead_officer_and_the_providers_deadlines_and_reminders_follow(
    client, casework, as_role
) -> None:
    manager = as_role("manager")
    pid = provider(client, manager)
    notice = client.post(f"{API}/providers/{pid}/notices", json={
        "breach": "Staffing", "actions": ["Recruit"], "remedy_by": "2026-04-07"}, headers=manager)
    assert notice.status_code == 201, notice.text

    listed = client.get(f"{API}/deadlines", params={"provider_id": pid, "reminders": True}, headers=manager)
    assert [(d["owner"], d["owner_from"], d["before"]) for d in listed.json()] == [
        ("contracts-team", "team", "7 working days"), ("contracts-team", "team", "1 working day"),
        ("contracts-team", "team", ""),
    ]

    named = client.post(f"{API}/providers/{pid}/lead-officer", json={"officer": "officer"}, headers=manager)
    assert named.status_code == 200, named.text
    mine = client.get(f"{API}/deadlines", params={"owner": "officer", "reminders": True}, headers=manager)
    assert len(mine.json()) == 3 and {d["owner_from"] for d in mine.json()} == {"lead"}
    assert client.get(f"{API}/deadlines", params={"owner": "contracts-team"}, headers=manager).json() == []

    # The 7-working-day reminder is sent; the alerts list shows it, to whom, and for when.
    casework.clock.set(datetime.combine(date(2026, 3, 25), time(0), LONDON))
    [sent] = casework.scheduler.fire_due().fired
    alerts = client.get(f"{API}/alerts", headers=as_role("auditor")).json()
    assert [(a["type"], a["owner"], a["before"], a["deadline_id"]) for a in alerts] == [
        ("reminder", "officer", "7 working days", sent.reminder_of)]
    assert alerts[0]["due_at"].startswith("2026-04-06T23:00:00")  # midnight 7 April, London
    assert alerts[0]["remind_at"].startswith("2026-03-25T00:00:00")
    assert client.get(f"{API}/alerts", params={"reminders": False}, headers=manager).json() == []
    assert client.get(f"{API}/alerts", params={"owner": "someone-else"}, headers=manager).json() == []

    # A change of lead moves what is still open; the reminder sent keeps its owner.
    client.post(f"{API}/providers/{pid}/lead-officer", json={"officer": "manager"}, headers=manager)
    still_open = client.get(f"{API}/deadlines", params={"provider_id": pid, "reminders": True},
                            headers=manager).json()
    assert {d["owner"] for d in still_open} == {"manager"}
    assert [a["owner"] for a in client.get(f"{API}/alerts", headers=manager).json()] == ["officer"]
    casework.clock.advance(timedelta(days=30))
    fired = casework.scheduler.fire_due().fired
    assert [(d.kind, d.owner) for d in fired] == [("remedy_notice_due", "manager")]


def test_naming_a_lead_officer_is_refused_with_the_field_and_reason(client, as_role) -> None:
    manager = as_role("manager")
    pid = provider(client, manager)
    blank = client.post(f"{API}/providers/{pid}/lead-officer", json={"officer": ""}, headers=manager)
    assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "officer"
    missing = client.post(f"{API}/providers/no-such-provider/lead-officer", json={"officer": "amy"},
                          headers=manager)
    assert missing.status_code == 404
    client.post(f"{API}/providers/{pid}/lead-officer", json={"officer": "amy"}, headers=manager)
    again = client.post(f"{API}/providers/{pid}/lead-officer", json={"officer": "amy"}, headers=manager)
    assert again.status_code == 422 and "already the lead officer" in again.text
