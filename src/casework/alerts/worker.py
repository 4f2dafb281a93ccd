"""``OutboxWorker``: sends the outbox's due messages, retries with back-off, marks them sent.

Each round claims up to ``batch`` due messages in one short transaction: on PostgreSQL with
``FOR UPDATE SKIP LOCKED``, so two workers never claim the same row; on SQLite the write lock
(``BEGIN IMMEDIATE``) serialises claims. Claiming counts an attempt and moves the row's
``next_attempt_at`` a lease ahead, so no other worker takes it while this one sends. Then each
message is sent and, in its own transaction, marked sent (or given its next attempt).

A worker that dies after sending and before marking leaves the row pending with its lease: once
the lease runs out, the next worker sends it again. So a crash can send one duplicate (with the
same Message-ID, since that comes from the row) and never loses a message. A refusal
(``DeliveryError``) waits ``retry_seconds`` x 2^(attempts-1), at most a day; a permanent one, or
the last attempt, marks the row failed with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, select, update

from casework.alerts.mail import Channel, DeliveryError
from casework.alerts.outbox import Delivery, outbox
from casework.clock import Clock

log = structlog.get_logger("casework.outbox")

MAX_BACKOFF = timedelta(days=1)


@dataclass(frozen=True)
class Claimed:
    """A message this worker holds the lease of (``attempts`` counts this one)."""

    message_id: str
    recipient: str
    subject: str
    body: str
    created_at: datetime
    attempts: int


@dataclass
class SendReport:
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


class OutboxWorker:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        channel: Channel,
        *,
        retry_seconds: int = 60,
        max_attempts: int = 10,
        lease: timedelta = timedelta(minutes=10),
        batch: int = 20,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.channel = channel
        self.retry_seconds = retry_seconds
        self.max_attempts = max_attempts
        self.lease = lease
        self.batch = batch

    def backoff(self, attempts: int) -> timedelta:
        """How long to wait after the ``attempts``-th attempt failed."""
        seconds = self.retry_seconds * 2 ** min(max(attempts - 1, 0), 30)
        return min(timedelta(seconds=seconds), MAX_BACKOFF)

    def send_due(self, rounds: int = 100) -> SendReport:
        """Send every message due now (``rounds`` batches at most)."""
        report = SendReport()
        for _ in range(rounds):
            claimed = self.claim(self.clock.now())
            if not claimed:
                break
            for row in claimed:
                self._deliver(row, report)
        if report.sent or report.retrying or report.failed:
            log.info("outbox_sent", sent=len(report.sent), retrying=len(report.retrying),
                     failed=len(report.failed))
        return report

    def claim(self, now: datetime) -> list[Claimed]:
        """Take up to ``batch`` due messages for this worker (one attempt each, leased)."""
        query = (
            select(outbox)
            .where(outbox.c.status == str(Delivery.pending), outbox.c.next_attempt_at <= now)
            .order_by(outbox.c.next_attempt_at, outbox.c.message_id)
            .limit(self.batch)
        )
        with self._write() as conn:
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = conn.execute(query).all()
            if rows:
                conn.execute(
                    update(outbox)
                    .where(outbox.c.message_id.in_([r.message_id for r in rows]))
                    .values(attempts=outbox.c.attempts + 1, next_attempt_at=now + self.lease)
                )
        return [Claimed(r.message_id, r.recipient, r.subject, r.body, r.created_at, r.attempts + 1)
                for r in rows]

    def _deliver(self, row: Claimed, report: SendReport) -> None:
        try:
            self.channel.send(row)
        except DeliveryError as exc:
            now = self.clock.now()
            if exc.permanent or row.attempts >= self.max_attempts:
                self._mark(row.message_id, status=str(Delivery.failed), last_error=str(exc))
                report.failed.append(row.message_id)
                log.warning("outbox_failed", message_id=row.message_id, attempts=row.attempts,
                            error=str(exc))
            else:
                self._mark(row.message_id, next_attempt_at=now + self.backoff(row.attempts),
                           last_error=str(exc))
                report.retrying.append(row.message_id)
                log.info("outbox_retry", message_id=row.message_id, attempts=row.attempts,
                         error=str(exc))
            return
        self.mark_sent(row.message_id)
        report.sent.append(row.message_id)

    def mark_sent(self, message_id: str) -> None:
        self._mark(message_id, status=str(Delivery.sent), sent_at=self.clock.now(), last_error=None)

    def _mark(self, message_id: str, **values: Any) -> None:
        with self._write() as conn:
            conn.execute(update(outbox).where(outbox.c.message_id == message_id).values(**values))

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(casework_write=True) as conn:
            with conn.begin():
                yield conn
