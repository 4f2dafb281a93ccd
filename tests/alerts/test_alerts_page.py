"""The web's alerts page shows, for each alert, whether its emails went, to whom and when."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from casework.api.app import create_app

from .conftest import ADMIN, final_notice, provider_led_by

P = "3f0c1c8e-6a55-4a36-9a0e-0d4c0d7b9a11"
ISSUED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def sign_in(client: TestClient, token: str) -> None:
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/signin").text).group(1)
    answer = client.post("/signin", data={"token": token, "csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303


def test_the_alerts_page_says_who_was_emailed_and_when_and_what_is_waiting(casework, mailbox) -> None:
    amy = casework.users.add("amy", "manager", ADMIN, email="amy@council.example").token
    casework.settings.team_email = "quality@council.example"
    provider_led_by(casework.store, P, "Elm Court", "amy", ISSUED)  # amy owns its deadlines
    final_notice(casework, P, ISSUED, actor="mia")
    # The reminder 30 days before: emailed to both, and not an alert of its own on this page
    casework.clock.set(datetime(2026, 5, 1, 8, 0, tzinfo=UTC))
    assert len(casework.scheduler.fire_due().reminders) == 1
    assert len(casework.alerts.send_due().sent) == 2
    # The decision falls due (09:00 in London)
    casework.clock.set(datetime(2026, 5, 31, 8, 0, tzinfo=UTC))
    assert len(casework.scheduler.fire_due().alerts) == 1
    worker = casework.alerts.worker
    assert worker is not None
    worker.batch = 1  # one of the alert's two emails goes; then the server refuses the other
    [first] = worker.claim(casework.clock.now())
    worker.channel.send(first)
    worker.mark_sent(first.message_id)
    mailbox.refuse = "451 4.3.0 try later"
    casework.alerts.send_due()
    with TestClient(create_app(casework)) as client:
        sign_in(client, amy)
        page = client.get("/alerts")
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))
    assert "Elm Court" in text and "90 day final notice expired: decision due" in text
    sent_to = "amy@council.example" if first.recipient.startswith("amy") else "quality@council.example"
    waiting = "quality@council.example" if sent_to.startswith("amy") else "amy@council.example"
    assert f"Sent to {sent_to} Sun 31 May 2026, 09:00" in text
    assert (f"Waiting to send to {waiting} (1 attempt so far: the mail server answered 451: "
            "4.3.0 try later; next try Sun 31 May 2026, 09:01)") in text
    # the reminder's emails are not reported as the alert's
    assert text.count("Sent to ") == 1 and f"Sent to {waiting}" not in text
    assert "Email is off" not in text
