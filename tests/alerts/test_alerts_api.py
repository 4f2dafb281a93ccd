"""Over HTTP: each alert says whether its emails went, to whom and when; admins set a user's
email address (validated, naming the field); each user turns their own digest off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .conftest import ADMIN, bearer, final_notice, provider_led_by

P = "3f0c1c8e-6a55-4a36-9a0e-0d4c0d7b9a11"
ISSUED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FIRST_REMINDER = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


def test_each_alert_shows_whether_it_was_delivered_to_whom_and_when(casework, client, mailbox) -> None:
    amy = casework.users.add("amy", "manager", ADMIN, email="amy@council.example").token
    casework.settings.team_email = "quality@council.example"
    provider_led_by(casework.store, P, "Elm Court", "amy", ISSUED)  # amy owns its deadlines
    final_notice(casework, P, ISSUED, actor="mia")
    casework.clock.set(FIRST_REMINDER)
    assert len(casework.scheduler.fire_due().reminders) == 1
    mailbox.refuse = "451 4.3.0 try later"
    casework.alerts.send_due()

    [alert] = client.get("/api/v1/alerts", headers=bearer(amy)).json()
    assert (alert["type"], alert["owner"], alert["email"]) == ("reminder", "amy", "on")
    assert [(d["to"], d["user"], d["status"], d["attempts"]) for d in alert["deliveries"]] == [
        ("amy@council.example", "amy", "pending", 1), ("quality@council.example", None, "pending", 1)]
    assert "451" in alert["deliveries"][0]["last_error"]
    assert alert["deliveries"][0]["next_attempt_at"] == "2026-05-01T08:01:00Z"

    mailbox.refuse = None
    casework.clock.advance(timedelta(minutes=1))
    casework.alerts.send_due()
    [alert] = client.get("/api/v1/alerts", headers=bearer(amy)).json()
    assert [(d["status"], d["attempts"], d["sent_at"]) for d in alert["deliveries"]] == [
        ("sent", 2, "2026-05-01T08:01:00Z")] * 2


def test_an_admin_sets_a_users_email_and_a_bad_address_is_refused_naming_the_field(casework, client) -> None:
    admin = casework.users.add("root", "admin", ADMIN).token
    amy = casework.users.add("amy", "officer", ADMIN).token
    answer = client.post("/api/v1/users/amy/settings", json={"email": "amy@council.example"},
                         headers=bearer(admin))
    assert answer.status_code == 200, answer.text
    assert answer.json()["email"] == "amy@council.example"
    for bad in ("amy", "Amy <amy@council.example>", "amy@council example", "a" * 300 + "@x.org"):
        answer = client.post("/api/v1/users/amy/settings", json={"email": bad}, headers=bearer(admin))
        assert answer.status_code == 422, bad
        assert "email" in answer.text
    refused = client.post("/api/v1/users/amy/settings", json={"email": "x@y.org"}, headers=bearer(amy))
    assert refused.status_code == 403
    assert client.post("/api/v1/users/nobody/settings", json={"email": "x@y.org"},
                        headers=bearer(admin)).status_code == 404
    assert casework.users.get("amy").email == "amy@council.example"
    cleared = client.post("/api/v1/users/amy/settings", json={"email": ""}, headers=bearer(admin))
    assert cleared.json()["email"] is None


def test_a_user_turns_their_own_digest_off_and_on(casework, client) -> None:
    auditor = casework.users.add("aud", "auditor", ADMIN).token
    assert client.post("/api/v1/me/digests", json={"digests": False},
                       headers=bearer(auditor)).status_code == 403  # auditors write nothing
    amy = casework.users.add("amy", "officer", ADMIN, email="amy@council.example").token
    assert client.get("/api/v1/me", headers=bearer(amy)).json()["digests"] is True
    answer = client.post("/api/v1/me/digests", json={"digests": False}, headers=bearer(amy))
    assert answer.status_code == 200 and answer.json()["digests"] is False
    assert casework.users.get("amy").digests is False
    maybe = client.post("/api/v1/me/digests", json={"digests": "maybe"}, headers=bearer(amy))
    assert maybe.status_code == 422 and "digests" in maybe.text
    client.post("/api/v1/me/digests", json={"digests": True}, headers=bearer(amy))
    assert casework.users.get("amy").digests is True


def test_each_reminder_shows_its_own_emails_not_those_of_the_deadlines_other_reminders(
    casework, client, mailbox
) -> None:
    amy = casework.users.add("amy", "manager", ADMIN, email="amy@council.example").token
    provider_led_by(casework.store, P, "Elm Court", "amy", ISSUED)
    final_notice(casework, P, ISSUED, actor="mia")
    for at in (FIRST_REMINDER, FIRST_REMINDER + timedelta(days=16)):  # 30, then 14 days before
        casework.clock.set(at)
        assert len(casework.scheduler.fire_due().reminders) == 1
        assert len(casework.alerts.send_due().sent) == 1
    found = client.get("/api/v1/alerts", headers=bearer(amy)).json()
    assert [(a["type"], a["before"]) for a in found] == [("reminder", "14 days"), ("reminder", "30 days")]
    assert [[(d["to"], d["sent_at"]) for d in a["deliveries"]] for a in found] == [
        [("amy@council.example", "2026-05-17T08:00:00Z")], [("amy@council.example", "2026-05-01T08:00:00Z")]]
    assert len({a["deadline_id"] for a in found}) == 1  # both remind of the one decision
