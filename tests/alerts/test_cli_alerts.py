"""The command line: users get an email address (checked), a digest choice and a calendar feed;
``casework outbox send`` sends what is due and ``casework outbox status`` shows what went."""

from __future__ import annotations

from datetime import UTC, datetime

import structlog
from typer.testing import CliRunner

from casework.alerts.service import EMAIL_OFF
from casework.bootstrap import bootstrap
from casework.cli.main import app
from casework.events.sanctions import FinalNoticeIssued, SanctionStage
from casework.settings import Settings

from .conftest import ADMIN, provider_led_by, record

P = "3f0c1c8e-6a55-4a36-9a0e-0d4c0d7b9a11"


def casework(url: str, *args: str, **env: str):
    try:
        return CliRunner().invoke(app, list(args), env={
            "CASEWORK_DATABASE_URL": url, "CASEWORK_LOG_LEVEL": "WARNING", **env})
    finally:
        structlog.reset_defaults()


def test_users_get_an_email_address_a_digest_choice_and_a_calendar_feed(database_url) -> None:
    added = casework(database_url, "users", "add", "amy", "--role", "officer",
                     "--email", "amy@council.example")
    assert added.exit_code == 0, added.output
    bad = casework(database_url, "users", "add", "bea", "--role", "officer", "--email", "bea at council")
    assert bad.exit_code == 2 and "email" in bad.output
    assert casework(database_url, "users", "email", "amy", "not-an-address").exit_code == 2
    assert casework(database_url, "users", "digests", "amy", "--off").exit_code == 0
    listed = casework(database_url, "users", "list").output
    assert "amy@council.example digest=off" in listed and "bea" not in listed
    feed = casework(database_url, "users", "calendar", "amy")
    assert feed.exit_code == 0 and "/calendar/cal_" in feed.output and ".ics" in feed.output
    assert "calendar=on" in casework(database_url, "users", "list").output
    assert "revoked" in casework(database_url, "users", "calendar", "amy", "--revoke").output
    assert "calendar=on" not in casework(database_url, "users", "list").output
    assert casework(database_url, "users", "digests", "nobody", "--on").exit_code == 1


def test_outbox_send_and_status(database_url, mailbox) -> None:
    env = {"CASEWORK_SMTP_URL": mailbox.url, "CASEWORK_MAIL_FROM": "casework@council.example"}
    off = casework(database_url, "outbox", "send")
    assert off.exit_code == 1 and EMAIL_OFF in off.output
    cw = bootstrap(Settings(database_url=database_url, scheduler_enabled=False,
                            smtp_url=mailbox.url))  # type: ignore[arg-type]
    try:
        cw.users.add("amy", "manager", ADMIN, email="amy@council.example")
        cw.users.set_digests("amy", False, ADMIN)  # this runs on the real clock: no digest
        issued = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        provider_led_by(cw.store, P, "Elm Court", "amy", issued)  # amy owns its deadlines
        record(cw.store, f"escalation-{P}", FinalNoticeIssued(
            provider_id=P, from_stage=SanctionStage.contract_suspension, reason="no improvement"),
            issued, actor="mia")
        # the 30-day reminder: one email, to amy (no team address is configured)
        assert len(cw.scheduler.fire_due(datetime(2026, 5, 1, 8, 0, tzinfo=UTC)).reminders) == 1
    finally:
        cw.close()
    status = casework(database_url, "outbox", "status", **env)
    assert status.exit_code == 0 and "pending 1, sent 0, failed 0" in status.output
    sent = casework(database_url, "outbox", "send", **env)
    assert sent.exit_code == 0 and "sent 1" in sent.output, sent.output
    assert len(mailbox.to("amy@council.example")) == 1
    status = casework(database_url, "outbox", "status", **env)
    assert "pending 0, sent 1" in status.output and "amy@council.example  sent 20" in status.output

