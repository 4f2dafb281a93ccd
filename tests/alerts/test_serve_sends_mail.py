"""``casework serve`` as people run it: with no SMTP URL it says once that email is off; with one,
its scheduler fires what is due and its outbox worker emails it to a real SMTP server."""

from __future__ import annotations

from reliability.support import issue_final_notices, serving, wait_until

from casework.alerts.service import EMAIL_OFF
from casework.bootstrap import bootstrap
from casework.settings import Settings

from .conftest import ADMIN, record


def test_serve_says_once_that_email_is_off_and_how_to_turn_it_on(database_url, tmp_path) -> None:
    with serving(database_url, tmp_path, workers=2) as served:
        pass
    assert served.output().count(EMAIL_OFF) == 1
    assert "CASEWORK_SMTP_URL" in EMAIL_OFF


def test_a_running_server_emails_a_fired_deadline_to_its_owner(database_url, tmp_path, mailbox) -> None:
    from casework.events.providers import LeadOfficerAssigned

    due = issue_final_notices(database_url, 4)  # by mia, long past: all four fall due at start
    cw = bootstrap(Settings(database_url=database_url, scheduler_enabled=False))
    try:
        cw.users.add("amy", "manager", ADMIN, email="amy@council.example")
        cw.users.add("mia", "manager", ADMIN, email="mia@council.example")  # recorded them only
        notices = list(cw.store.read_all(types=["FinalNoticeIssued"]))
        assert len(notices) == 4
        for pid in sorted({e.data["provider_id"] for e in notices}):  # amy leads all four
            record(cw.store, f"provider-{pid}", LeadOfficerAssigned(provider_id=pid, officer="amy"),
                   cw.clock.now())
    finally:
        cw.close()
    with serving(database_url, tmp_path, scheduler=True, CASEWORK_SMTP_URL=mailbox.url,
                 CASEWORK_SCHEDULER_INTERVAL_SECONDS="1") as served:
        def alerts() -> list:  # not the digest, which depends on the real date
            return [m for m in mailbox.to("amy@council.example") if m["Subject"].startswith("Deadline")]

        wait_until(lambda: len(alerts()) >= len(due), 60, "the server to email every fired deadline")
    alerts = alerts()
    assert len(alerts) == len(due) == 4
    assert len({m["Message-ID"] for m in alerts}) == 4
    assert not [m for m in mailbox.to("mia@council.example") if m["Subject"].startswith("Deadline")]
    assert EMAIL_OFF not in served.output()
