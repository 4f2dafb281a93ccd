"""Each user's private calendar feed: parsed by the icalendar library, one VEVENT per deadline
they own with a UID that never changes, SEQUENCE and LAST-MODIFIED moved when the deadline
changes, STATUS:CANCELLED when it is cancelled; the token is the only key, and a rotated or
revoked one answers 404. No personal data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from icalendar import Calendar

from casework.events.sanctions import SanctionLifted, SanctionStage

from .conftest import ADMIN, BASE_URL, bearer, final_notice, provider_led_by, record

P = "3f0c1c8e-6a55-4a36-9a0e-0d4c0d7b9a11"
ISSUED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FIRST_REMINDER = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
OAK = "3f0c1c8e-6a55-4a36-9a0e-0d4c0d7b9a12"  # its final notice expires on FIRST_REMINDER
ASH = "3f0c1c8e-6a55-4a36-9a0e-0d4c0d7b9a13"  # led by bea


def events_of(client: TestClient, url: str) -> dict[str, dict]:
    answer = client.get(urlsplit(url).path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(answer.content)
    return {
        str(e["UID"]): {"summary": str(e["SUMMARY"]), "status": str(e["STATUS"]),
                        "sequence": int(e["SEQUENCE"]), "modified": e["LAST-MODIFIED"].dt,
                        "start": e["DTSTART"].dt}
        for e in calendar.walk("VEVENT")
    }


def test_the_feed_keeps_each_deadlines_uid_and_marks_changes_and_cancellations(casework, client) -> None:
    amy = casework.users.add("amy", "manager", ADMIN).token
    casework.users.add("bea", "manager", ADMIN)
    oak_issued = datetime(2026, 1, 31, 9, 0, tzinfo=UTC)
    for pid, name, lead in ((P, "Elm Court", "amy"), (OAK, "Oak House", "amy"), (ASH, "Ash Lodge", "bea")):
        provider_led_by(casework.store, pid, name, lead, oak_issued)
    final_notice(casework, P, ISSUED)
    final_notice(casework, OAK, oak_issued)
    final_notice(casework, ASH, ISSUED)  # recorded by amy, but bea leads Ash Lodge: bea's
    answer = client.post("/api/v1/me/calendar", headers=bearer(amy))
    assert answer.status_code == 201, answer.text
    url = answer.json()["url"]
    assert url.startswith(f"{BASE_URL}/calendar/cal_") and url.endswith(".ics")

    first = events_of(client, url)
    # one event per deadline amy owns: the two decisions (reminders are not deadlines)
    assert sorted(e["summary"] for e in first.values()) == [
        "90 day final notice expired: decision due (Elm Court)",
        "90 day final notice expired: decision due (Oak House)"]
    assert {e["status"] for e in first.values()} == {"CONFIRMED"}
    assert {e["sequence"] for e in first.values()} == {0}
    elm = next(u for u, e in first.items() if "Elm Court" in e["summary"])
    oak = next(u for u, e in first.items() if "Oak House" in e["summary"])
    assert str(first[elm]["start"]) == "2026-05-31"  # 90 days on, in England
    assert str(first[oak]["start"]) == "2026-05-01"

    casework.clock.set(FIRST_REMINDER)
    report = casework.scheduler.fire_due()  # Oak House's decision; Elm and Ash's first reminders
    assert (len(report.alerts), len(report.reminders)) == (1, 2)
    assert events_of(client, url) == first  # fired: still the same event, unchanged
    lifted_at = FIRST_REMINDER + timedelta(days=3)
    casework.clock.set(lifted_at)
    record(casework.store, f"escalation-{P}", SanctionLifted(
        provider_id=P, from_stage=SanctionStage.final_notice_90_day, to_stage=SanctionStage.monitoring,
        improvement="verified at review visit"), lifted_at, actor="amy")
    after = events_of(client, url)
    assert set(after) == set(first), "the same UIDs: clients update their events in place"
    assert {u for u, e in after.items() if e["status"] == "CANCELLED"} == {elm}
    assert after[elm]["sequence"] == 1 and after[elm]["modified"] == lifted_at
    assert after[oak] == first[oak]  # the deadline that had fired
    casework.clock.advance(timedelta(hours=1))
    assert events_of(client, url) == after  # asking again changes nothing


def test_a_rotated_or_revoked_feed_address_answers_404_and_only_its_owner_or_an_admin_manages_it(
    casework, client
) -> None:
    amy = casework.users.add("amy", "manager", ADMIN).token
    bea = casework.users.add("bea", "officer", ADMIN).token
    admin = casework.users.add("root", "admin", ADMIN).token
    old = client.post("/api/v1/me/calendar", headers=bearer(amy)).json()["url"]
    assert client.get(urlsplit(old).path).status_code == 200
    assert client.post("/api/v1/users/amy/calendar", headers=bearer(bea)).status_code == 403
    new = client.post("/api/v1/users/amy/calendar", headers=bearer(admin)).json()["url"]
    assert client.get(urlsplit(old).path).status_code == 404
    assert client.get(urlsplit(new).path).status_code == 200
    answer = client.post("/api/v1/me/calendar/revoke", headers=bearer(amy))
    assert answer.status_code == 200 and answer.json() == {"revoked": True}
    assert client.get(urlsplit(new).path).status_code == 404
    again = client.post("/api/v1/users/amy/calendar", headers=bearer(admin)).json()["url"]
    assert client.post("/api/v1/users/amy/calendar/revoke", headers=bearer(bea)).status_code == 403
    assert client.post("/api/v1/users/amy/calendar/revoke", headers=bearer(admin)).json()["revoked"]
    assert client.get(urlsplit(again).path).status_code == 404
    assert client.get("/calendar/cal_guessed.ics").status_code == 404
    # Only the hash of the token is kept
    from sqlalchemy import select

    from casework.events.store.database import reading
    from casework.users import calendar_feeds

    fresh = client.post("/api/v1/me/calendar", headers=bearer(amy)).json()["url"]
    token = urlsplit(fresh).path.removeprefix("/calendar/").removesuffix(".ics")
    with reading(casework.engine) as conn:
        stored = conn.execute(select(calendar_feeds.c.token_hash)).scalars().all()
    assert stored and token not in stored


def test_the_feed_names_no_whistleblower_and_quotes_no_intelligence(casework, client) -> None:
    manager = casework.users.add("mia", "manager", ADMIN).token
    officer = casework.users.add("olu", "officer", ADMIN).token
    pid = client.post("/api/v1/providers", json={"name": "Elm Court", "service_type": "home_care"},
                      headers=bearer(manager)).json()["id"]
    rid = client.post("/api/v1/intelligence", headers=bearer(manager), json={
        "provider_id": pid, "source": "whistleblowing", "received_at": "2026-03-02T08:00:00Z",
        "summary": "Night rotas falsified; Mrs Edna Parfitt left unwashed",
        "whistleblower": {"name": "Jo Whistleton", "contact": "07700 900123"},
    }).json()["id"]
    client.post(f"/api/v1/intelligence/{rid}/allocate", json={"officer": "olu"}, headers=bearer(manager))
    url = client.post("/api/v1/me/calendar", headers=bearer(officer)).json()["url"]
    feed = client.get(urlsplit(url).path).text
    assert "Elm Court" in feed and "BEGIN:VEVENT" in feed
    for secret in ("Whistleton", "07700", "Edna", "Parfitt", "rotas", "unwashed"):
        assert secret.lower() not in feed.lower(), secret
