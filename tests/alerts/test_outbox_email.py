"""Alerts reach people by email, through a transactional outbox, on SQLite and PostgreSQL, with
a real SMTP server (aiosmtpd) in the test process: who gets what, and nothing else; a message
written in the same transaction as its event; exactly once, or once more with the same
Message-ID after a worker dies between sending and marking; retries after the server refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from casework.alerts.mail import SmtpChannel
from casework.alerts.outbox import outbox
from casework.alerts.worker import OutboxWorker
from casework.events.errors import ConcurrencyError
from casework.events.sanctions import FinalNoticeIssued, SanctionStage
from casework.events.store.database import reading
from casework.workflows.deadline_calendar import catch_up_with
from casework.workflows.scheduler import DeadlineScheduler

from .conftest import ADMIN, BASE_URL, outbox_rows, provider_led_by, record

P = "3f0c1c8e-6a55-4a36-9a0e-0d4c0d7b9a11"
ISSUED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EXPIRY = ISSUED + timedelta(days=90) - timedelta(hours=1)  # 09:00 London time
FIRST_REMINDER = EXPIRY - timedelta(days=30)


TITLE = "90 day final notice expired: decision due"


def final_notice(cw, lead: str | None = "amy", provider_id: str = P, name: str = "Elm Court") -> None:
    """Elm Court, led by ``lead`` (who owns the decision and its reminders; no lead: the
    contracts team does), and a final notice recorded by ``mia``, who owns nothing for it."""
    provider_led_by(cw.store, provider_id, name, lead, ISSUED)
    record(cw.store, f"escalation-{provider_id}",
           FinalNoticeIssued(provider_id=provider_id, from_stage=SanctionStage.contract_suspension,
                             reason="no improvement"), ISSUED, actor="mia")


def fire_first_reminder(cw) -> None:
    """The reminder 30 days before expiry: a ``DeadlineReminder``, not an alert."""
    cw.clock.set(FIRST_REMINDER)
    report = cw.scheduler.fire_due()
    assert (len(report.reminders), report.alerts) == (1, [])


def test_a_fired_deadline_is_emailed_to_its_owner_and_the_team_with_a_link_and_nothing_else(
    casework, mailbox
) -> None:
    casework.users.add("amy", "manager", ADMIN, email="amy@council.example")
    casework.users.add("mia", "manager", ADMIN, email="mia@council.example")  # recorded it only
    final_notice(casework)
    fire_first_reminder(casework)
    assert casework.alerts.send_due().sent
    [mail] = mailbox.to("amy@council.example")
    assert mail["From"] == "casework@council.example"
    assert mail["Subject"] == f"Reminder: {TITLE} (Elm Court), due Sunday 31 May 2026"
    body = mail.get_content().replace("\r\n", "\n")
    assert "Provider: Elm Court\n" in body
    assert f"Open it in Casework: {BASE_URL}/providers/{P}\n" in body
    assert "Due: Sunday 31 May 2026\n" in body  # the deadline's day, 30 days on
    # the lead officer owns it: not whoever recorded the notice, and not the contracts team
    assert [r for r, _ in mailbox.messages] == [["amy@council.example"]]
    [row] = outbox_rows(casework)
    assert (row.kind, row.status, row.attempts) == ("reminder", "sent", 1)
    assert row.sent_at.replace(tzinfo=UTC) == FIRST_REMINDER
    assert mail["Message-ID"] == f"<{row.message_id}@council.example>"

    # The deadline itself, when it falls due: an alert, to the same owner
    casework.clock.set(EXPIRY)
    assert len(casework.scheduler.fire_due().alerts) == 1
    casework.alerts.send_due()
    assert [r for r, _ in mailbox.messages] == [["amy@council.example"]] * 2
    alert = mailbox.messages[1][1]
    assert alert["Subject"] == f"Deadline reached: {TITLE} (Elm Court)"
    assert "Due: Sunday 31 May 2026\n" in alert.get_content().replace("\r\n", "\n")


def test_an_owner_without_an_email_address_gets_nothing_but_the_team_address_does(
    casework, mailbox
) -> None:
    casework.settings.team_email = "quality@council.example"  # hears of every alert
    casework.users.add("amy", "manager", ADMIN)  # no address
    final_notice(casework)
    fire_first_reminder(casework)
    casework.alerts.send_due()
    assert [r for r, _ in mailbox.messages] == [["quality@council.example"]]


def test_a_deadline_owned_by_a_team_goes_to_the_teams_address(casework, mailbox) -> None:
    casework.users.add("mia", "manager", ADMIN, email="mia@council.example")  # recorded it only
    final_notice(casework, lead=None)  # no lead officer: the contracts team owns it
    fire_first_reminder(casework)
    casework.alerts.send_due()
    assert [r for r, _ in mailbox.messages] == [["contracts@council.example"]]


def test_the_message_is_written_in_the_transaction_of_its_event_and_a_rolled_back_append_leaves_none(
    casework
) -> None:
    casework.users.add("amy", "manager", ADMIN, email="amy@council.example")
    final_notice(casework)

    class Refuse:
        event_types = frozenset({"DeadlineReminder"})

        def __call__(self, conn, events) -> None:
            # The outbox rows are already inserted in this transaction: the failure must undo them
            assert conn.execute(select(func.count()).select_from(outbox)).scalar() == 1
            raise RuntimeError("the database went away before the commit")

    casework.store.in_transaction.append(Refuse())
    casework.clock.set(FIRST_REMINDER)
    with pytest.raises(RuntimeError):
        casework.scheduler.fire_due()
    assert outbox_rows(casework) == []
    assert list(casework.store.read_all(types=["DeadlineReminder"])) == []
    casework.store.in_transaction.pop()
    fire_first_reminder(casework)
    assert len(outbox_rows(casework)) == 1


def test_a_deadline_fired_by_two_processes_is_emailed_once(casework, mailbox) -> None:
    casework.users.add("amy", "manager", ADMIN, email="amy@council.example")
    final_notice(casework)
    other = DeadlineScheduler(casework.store, casework.clock, catch_up_with(casework.projections))
    casework.clock.set(FIRST_REMINDER)
    due = other.due(FIRST_REMINDER)
    assert len(casework.scheduler.fire_due().fired) == 1
    assert other._fire(due[0]) is False  # the store refuses the second firing: ConcurrencyError
    casework.alerts.send_due()
    assert len(mailbox.messages) == 1 and len(outbox_rows(casework)) == 1


def test_no_whistleblower_or_safeguarding_detail_reaches_an_email(casework, mailbox) -> None:
    from fastapi.testclient import TestClient

    from casework.api.app import create_app

    manager = casework.users.add("mia", "manager", ADMIN, email="mia@council.example").token
    casework.users.add("olu", "officer", ADMIN, email="olu@council.example")
    headers = {"Authorization": f"Bearer {manager}"}
    with TestClient(create_app(casework)) as client:
        pid = client.post("/api/v1/providers", json={"name": "Elm Court", "service_type": "home_care"},
                          headers=headers).json()["id"]
        rid = client.post("/api/v1/intelligence", headers=headers, json={
            "provider_id": pid, "source": "whistleblowing", "received_at": "2026-03-02T08:00:00Z",
            "summary": "Night rotas falsified; Mrs Edna Parfitt left unwashed",
            "whistleblower": {"name": "Jo Whistleton", "contact": "07700 900123"},
        }).json()["id"]
        answer = client.post(f"/api/v1/intelligence/{rid}/allocate", json={"officer": "olu"},
                             headers=headers)
        assert answer.status_code == 200, answer.text
    casework.clock.advance(timedelta(days=60))
    fired = casework.scheduler.fire_due().fired
    assert fired and all(d.provider_id == pid for d in fired)
    casework.alerts.send_due()
    assert mailbox.to("olu@council.example"), "the officer it is allocated to hears of it"
    everything = mailbox.everything()
    assert "Elm Court" in everything and f"{BASE_URL}/providers/{pid}" in everything
    for secret in ("Jo Whistleton", "07700 900123", "Edna", "Parfitt", "rotas", "unwashed", "whistle"):
        assert secret.lower() not in everything.lower(), secret
    stored = " ".join(f"{r.subject} {r.body}" for r in outbox_rows(casework))
    assert "Whistleton" not in stored and "Parfitt" not in stored


def test_a_worker_killed_after_sending_sends_one_duplicate_with_the_same_message_id_and_loses_none(
    casework, mailbox, monkeypatch
) -> None:
    for name in ("amy", "bea", "cal"):
        casework.users.add(name, "manager", ADMIN, email=f"{name}@council.example")
    casework.settings.team_emails = {}
    for n, lead in enumerate(("amy", "bea", "cal")):  # three providers, each with its lead
        final_notice(casework, lead, provider_id=f"{P[:-2]}{n:02d}", name=f"Home {n}")
    casework.clock.set(FIRST_REMINDER)
    assert len(casework.scheduler.fire_due().reminders) == 3
    worker = casework.alerts.worker
    assert worker is not None

    def killed(message_id: str) -> None:
        raise SystemExit("worker killed after the SMTP server accepted the message")

    monkeypatch.setattr(worker, "mark_sent", killed)
    with pytest.raises(SystemExit):
        worker.send_due()
    assert len(mailbox.messages) == 1  # the first was sent; the worker died before marking it
    first_id = mailbox.messages[0][1]["Message-ID"]
    assert {r.status for r in outbox_rows(casework)} == {"pending"}

    # A new worker (a restarted server): nothing is sent again while the dead worker's lease
    # holds; once it has run out, everything not marked goes, the first message a second time.
    restarted = OutboxWorker(casework.engine, casework.clock, SmtpChannel(casework.settings))
    assert restarted.send_due().sent == []
    casework.clock.advance(restarted.lease + timedelta(seconds=1))
    assert len(restarted.send_due().sent) == 3
    ids = [m["Message-ID"] for _, m in mailbox.messages]
    assert len(ids) == 4 and ids.count(first_id) == 2 and len(set(ids)) == 3
    assert sorted(r[0] for r, _ in mailbox.messages[1:]) == [
        "amy@council.example", "bea@council.example", "cal@council.example"]
    assert {r.status for r in outbox_rows(casework)} == {"sent"}
    assert restarted.send_due().sent == []  # and never again


def test_a_refused_message_is_retried_with_back_off_until_the_server_takes_it(casework, mailbox) -> None:
    casework.users.add("amy", "manager", ADMIN, email="amy@council.example")
    final_notice(casework)
    fire_first_reminder(casework)
    worker = casework.alerts.worker
    assert worker is not None
    mailbox.refuse = "451 4.3.0 Mail server temporarily rejected message"
    assert worker.send_due().retrying
    [row] = outbox_rows(casework)
    assert (row.status, row.attempts) == ("pending", 1) and "451" in row.last_error
    assert worker.send_due().retrying == []  # not due again yet
    casework.clock.advance(timedelta(seconds=casework.settings.outbox_retry_seconds))

    mailbox.refuse = None
    mailbox.stop()  # now the server is down altogether
    assert worker.send_due().retrying
    [row] = outbox_rows(casework)
    assert row.attempts == 2 and "could not reach the mail server" in row.last_error
    wait = timedelta(seconds=2 * casework.settings.outbox_retry_seconds)  # doubled
    casework.clock.advance(wait - timedelta(seconds=1))
    assert worker.send_due().retrying == []
    mailbox.start()  # back
    casework.clock.advance(timedelta(seconds=1))
    assert len(worker.send_due().sent) == 1
    [row] = outbox_rows(casework)
    assert (row.status, row.attempts) == ("sent", 3)
    assert len(mailbox.to("amy@council.example")) == 1


def test_a_message_refused_on_every_attempt_is_marked_failed_with_the_reason(casework, mailbox) -> None:
    casework.users.add("amy", "manager", ADMIN, email="amy@council.example")
    final_notice(casework)
    fire_first_reminder(casework)
    worker = casework.alerts.worker
    assert worker is not None
    worker.max_attempts = 2
    mailbox.refuse = "451 4.3.0 try later"
    worker.send_due()
    casework.clock.advance(timedelta(days=1))
    assert worker.send_due().failed
    [row] = outbox_rows(casework)
    assert (row.status, row.attempts) == ("failed", 2) and "451" in row.last_error


def test_with_no_smtp_url_nothing_is_recorded_and_alerts_stay_in_the_app(database_url, clock) -> None:
    from casework.bootstrap import bootstrap
    from casework.settings import Settings

    cw = bootstrap(Settings(database_url=database_url, scheduler_enabled=False), clock=clock)
    try:
        assert not cw.alerts.email_on and cw.store.in_transaction == []
        cw.users.add("amy", "manager", ADMIN, email="amy@council.example")
        final_notice(cw)
        fire_first_reminder(cw)
        with reading(cw.engine) as conn:
            assert conn.execute(select(func.count()).select_from(outbox)).scalar() == 0
    finally:
        cw.close()


def test_a_second_firing_refused_by_the_store_writes_no_second_message(casework) -> None:
    casework.users.add("amy", "manager", ADMIN, email="amy@council.example")
    final_notice(casework)
    fire_first_reminder(casework)
    [event] = casework.store.read_all(types=["DeadlineReminder"])
    with pytest.raises(ConcurrencyError):
        from casework.events import Metadata, to_new_event
        from casework.events.deadlines import DeadlineReminder

        new = to_new_event(DeadlineReminder(**{**event.data, "title": "again"}),
                           metadata=Metadata(**event.metadata), occurred_at=event.occurred_at)
        casework.store.append(event.stream, [new], expected_version=0)
    assert len(outbox_rows(casework)) == 1


def test_two_workers_claiming_at_the_same_instant_never_take_the_same_message(casework) -> None:
    import threading

    from casework.alerts.outbox import Recipient, pending_row

    now = casework.clock.now()
    with casework.engine.begin() as conn:
        conn.execute(outbox.insert(), [
            pending_row(f"m{n:02d}", "alert", Recipient(f"p{n}@council.example", None), "s", "b", now)
            for n in range(30)
        ])
    workers = [OutboxWorker(casework.engine, casework.clock, SmtpChannel(casework.settings), batch=20)
               for _ in range(2)]
    barrier = threading.Barrier(2)
    claimed: list[list[str]] = [[], []]

    def claim(i: int) -> None:
        barrier.wait()
        claimed[i] = [c.message_id for c in workers[i].claim(now)]

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not set(claimed[0]) & set(claimed[1])
    assert sorted(claimed[0] + claimed[1]) == [f"m{n:02d}" for n in range(30)]
    assert {r.attempts for r in outbox_rows(casework)} == {1}


def test_a_deadline_reminder_event_is_emailed_by_the_same_outbox(casework, mailbox) -> None:
    """``DeadlineReminder`` (deadline owners and reminders, issue 18) is in the one map of what
    sends mail by its type name: its event is emailed as a reminder naming the due date."""
    from casework.alerts.outbox import OutboxRecorder
    from casework.events.store import StoredEvent

    casework.users.add("amy", "manager", ADMIN, email="amy@council.example")
    final_notice(casework)  # registers Elm Court
    due = datetime(2026, 5, 31, 8, 0, tzinfo=UTC)
    reminder = StoredEvent(
        position=99, event_id="7d1f3c52-0000-4000-8000-000000000001", stream="reminder-x", version=1,
        type="DeadlineReminder", schema_version=1, data={
            "deadline_id": "d1", "provider_id": P, "kind": "final_notice_decision",
            "title": "90 day final notice expired: decision due", "due_at": due.isoformat(),
            "remind_at": (due - timedelta(days=7)).isoformat(), "before": "7 days", "offset": "7d",
            "owner": "amy",
            "source": f"escalation-{P}"},
        metadata={}, provider_id=P, occurred_at=due, recorded_at=due - timedelta(days=7), hash="")
    recorder = OutboxRecorder(casework.settings)
    assert "DeadlineReminder" in recorder.event_types
    with casework.engine.begin() as conn:
        recorder(conn, [reminder])
    casework.clock.set(reminder.recorded_at)
    casework.alerts.send_due()
    [mail] = mailbox.to("amy@council.example")
    assert mail["Subject"] == ("Reminder: 90 day final notice expired: decision due (Elm Court), "
                               "due Sunday 31 May 2026")
