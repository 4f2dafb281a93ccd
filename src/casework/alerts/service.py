"""``Alerts``: the outbox recorder, the worker, the digests and the calendar feeds of one
process, built by bootstrap from the settings.

With ``CASEWORK_SMTP_URL`` unset, email is off: no message is recorded or sent, alerts stay in
the app (``GET /api/v1/alerts``, the web's alerts page), and calendar feeds still work.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from casework.alerts.calendar import calendar_feed
from casework.alerts.digest import Digests
from casework.alerts.mail import Channel, SmtpChannel
from casework.alerts.outbox import (
    Delivery,
    DeliveryRecord,
    OutboxRecorder,
    counts,
    deliveries,
    provider_names,
    recent,
)
from casework.alerts.worker import OutboxWorker, SendReport
from casework.clock import Clock
from casework.events.errors import StoreError
from casework.events.store.database import reading
from casework.logs import error_text
from casework.settings import Settings

log = structlog.get_logger("casework.alerts")

JOB_ID = "casework-outbox"

EMAIL_OFF = (
    "email is off: alerts stay in Casework. To email them, set CASEWORK_SMTP_URL (for example "
    "smtps://user:password@mail.example:465, or smtp://127.0.0.1:1025 to watch them locally "
    "with `python -m aiosmtpd -n -l 127.0.0.1:1025`) and CASEWORK_MAIL_FROM; see docs/alerts.md"
)


class Alerts:
    def __init__(
        self, engine: Engine, clock: Clock, settings: Settings, channel: Channel | None = None
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.settings = settings
        self.email_on = settings.email_on or channel is not None
        self.recorder: OutboxRecorder | None = OutboxRecorder(settings) if self.email_on else None
        self.worker: OutboxWorker | None = None
        if self.email_on:
            self.worker = OutboxWorker(
                engine, clock, channel or SmtpChannel(settings),
                retry_seconds=settings.outbox_retry_seconds,
                max_attempts=settings.outbox_max_attempts,
            )
        self.digests = Digests(engine, clock, settings)

    def send_due(self) -> SendReport:
        """Record today's digests if their time has come, then send every due message."""
        if self.worker is None:
            return SendReport()
        self.digests.record_due(self.clock.now())
        return self.worker.send_due()

    def tick(self) -> None:
        """One poll, as the scheduler runs it: errors are logged, the next poll retries."""
        try:
            self.send_due()
        except (StoreError, DBAPIError) as exc:
            log.warning("outbox_poll_failed", error=error_text(exc))

    # ------------------------------------------------------------------ reading
    def deliveries(self, deadline_ids: Sequence[str]) -> dict[str, list[DeliveryRecord]]:
        with reading(self.engine) as conn:
            return deliveries(conn, deadline_ids)

    def recent(self, limit: int = 50, status: str | None = None) -> list[DeliveryRecord]:
        with reading(self.engine) as conn:
            return recent(conn, limit, status)

    def provider_names(self, ids: Sequence[str | None]) -> dict[str, str]:
        with reading(self.engine) as conn:
            return provider_names(conn, ids, in_transaction=False)

    def counts(self) -> dict[str, int]:
        with reading(self.engine) as conn:
            return counts(conn)

    def backlog(self) -> dict[str, int]:
        """Messages still to send (``pending``: new, being sent or waiting to retry) and given
        up on (``failed``)."""
        with reading(self.engine) as conn:
            return counts(conn, only=(Delivery.pending, Delivery.failed))

    def feed(self, user_name: str, now: datetime | None = None) -> bytes:
        return calendar_feed(self.engine, user_name, self.settings, now or self.clock.now())
