"""The daily digest: at the council's configured time, once per person per day, listing what
the deadlines they own have overdue and due in the next 7 days; not to those who turned it off."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from casework.events.sanctions import FinalNoticeIssued, SanctionStage

from .conftest import ADMIN, BASE_URL, outbox_rows, provider_led_by, record

P = "3f0c1c8e-6a55-4a36-9a0e-0d4c0d7b9a11"  # Elm Court: its decision is due Sunday 17 May
OAK = "3f0c1c8e-6a55-4a36-9a0e-0d4c0d7b9a12"  # Oak House: its decision fell due Friday 1 May
FIRST_REMINDER = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)  # 09:00 London
DIGEST_DAY = datetime(2026, 5, 11, 6, 30, tzinfo=UTC)  # 07:30 in London (summer time)
TITLE = "90 day final notice expired: decision due"


def setup_deadlines(cw) -> None:
    """amy leads both providers, so owns both decisions and their reminders (mia records)."""
    for pid, name, issued in ((P, "Elm Court", datetime(2026, 2, 16, 9, 0, tzinfo=UTC)),
                              (OAK, "Oak House", datetime(2026, 1, 31, 9, 0, tzinfo=UTC))):
        provider_led_by(cw.store, pid, name, "amy", issued)
        record(cw.store, f"escalation-{pid}", FinalNoticeIssued(
            provider_id=pid, from_stage=SanctionStage.contract_suspension, reason="no improvement"),
            issued, actor="mia")
    cw.clock.set(FIRST_REMINDER)
    report = cw.scheduler.fire_due()  # Oak House's decision: overdue from now on
    assert (len(report.alerts), len(report.reminders)) == (1, 1)  # and Elm Court's 30-day reminder


def digests(cw) -> list:
    return [r for r in outbox_rows(cw) if r.kind == "digest"]


def test_each_person_gets_one_digest_a_day_at_the_configured_time(casework, mailbox) -> None:
    casework.users.add("amy", "manager", ADMIN, email="amy@council.example")
    casework.users.add("bea", "manager", ADMIN, email="bea@council.example")  # owns nothing
    casework.users.add("cal", "officer", ADMIN)  # no address
    setup_deadlines(casework)
    casework.alerts.send_due()
    mailbox.messages.clear()  # the alert and the reminder themselves
    casework.settings.digest_time = time(7, 30)

    casework.clock.set(DIGEST_DAY - timedelta(minutes=1))
    assert casework.alerts.send_due().sent == [] and digests(casework) == []
    casework.clock.set(DIGEST_DAY)
    assert len(casework.alerts.send_due().sent) == 1
    for later in (timedelta(minutes=1), timedelta(hours=10)):  # every poll that day
        casework.clock.set(DIGEST_DAY + later)
        assert casework.alerts.send_due().sent == []
        assert casework.alerts.digests.record_due() == []
    [(to, mail)] = mailbox.messages
    assert to == ["amy@council.example"]
    assert mail["Subject"] == "Casework digest for Monday 11 May 2026: 1 due this week, 1 overdue"
    body = mail.get_content().replace("\r\n", "\n")
    overdue, due = body.split("Due in the next 7 days")
    # the deadlines, on their own days; not their reminders (Elm Court's 7-day one was due 10 May)
    assert overdue.endswith(f"Overdue (1):\n- Friday 1 May 2026: {TITLE} (Oak House)\n"
                            f"  {BASE_URL}/providers/{OAK}\n\n")
    assert due.startswith(f" (1):\n- Sunday 17 May 2026: {TITLE} (Elm Court)\n"
                          f"  {BASE_URL}/providers/{P}\n")

    casework.clock.set(DIGEST_DAY + timedelta(days=1))
    assert len(casework.alerts.send_due().sent) == 1  # the next day's
    assert len(digests(casework)) == 2


def test_a_person_who_turned_the_digest_off_gets_none_but_still_gets_alerts(casework, mailbox) -> None:
    casework.settings.digest_time = time(7, 30)
    casework.users.add("amy", "manager", ADMIN, email="amy@council.example")
    casework.users.set_digests("amy", False, ADMIN)
    setup_deadlines(casework)
    casework.clock.set(DIGEST_DAY)
    casework.alerts.send_due()
    assert sorted(m["Subject"].split(":")[0] for _, m in mailbox.messages) == ["Deadline reached", "Reminder"]
    assert digests(casework) == []


def test_the_digest_time_is_read_in_the_councils_time_zone(casework) -> None:
    casework.settings.digest_time = time(7, 30)
    winter = datetime(2026, 1, 12, 7, 30, tzinfo=UTC)  # 07:30 GMT
    summer = datetime(2026, 7, 13, 6, 30, tzinfo=UTC)  # 07:30 BST
    for instant in (winter, summer):
        assert casework.alerts.digests.day_due(instant - timedelta(seconds=1)) is None
        assert casework.alerts.digests.day_due(instant) == instant.date()
