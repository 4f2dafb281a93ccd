"""The transactional outbox: messages recorded in the transaction of the event that caused them.

``OutboxRecorder`` is a store hook (``casework.events.store.TransactionHook``): bootstrap adds it
to ``EventStore.in_transaction`` when email is on, and the store runs it inside each append that
holds an event of a type in ``messages.NOTICES``, before the commit. It writes one row per
recipient address, so a refused or rolled-back append leaves no message, and an appended event
always has its messages. ``worker.OutboxWorker`` sends them.

A row's ``message_id`` is derived from what caused it (the event id and the address; for a
digest, the person and the day), so writing it twice is impossible and every copy of a message
carries the same ``Message-ID`` header.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
)
from sqlalchemy.exc import DBAPIError

from casework.alerts.messages import NOTICES, Notice, alert_email
from casework.events.store import StoredEvent
from casework.projections.provider_view import rm_providers
from casework.settings import Settings
from casework.users import users

metadata = MetaData()
outbox = Table(
    "outbox",
    metadata,
    Column("message_id", String(64), primary_key=True),
    Column("kind", String(20), nullable=False),  # alert, reminder, digest
    Column("event_id", String(36), nullable=True),  # the event that caused it (None: a digest)
    Column("deadline_id", Text, nullable=True),
    Column("provider_id", Text, nullable=True),
    Column("user_name", String(100), nullable=True),  # None: a team address
    Column("recipient", String(320), nullable=False),
    Column("subject", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
    Index("ix_outbox_status_next", "status", "next_attempt_at"),
    Index("ix_outbox_deadline", "deadline_id"),
)

_NAMESPACE = uuid.UUID("6f1d8a52-2f0e-4c4e-9a55-0c2d3b0e7a11")


class Delivery(StrEnum):
    pending = "pending"  # not yet sent (or being sent, or waiting to retry)
    sent = "sent"
    failed = "failed"  # refused for good, or out of attempts


def message_key(*parts: str) -> str:
    """A message's id from what caused it: the same cause gives the same id."""
    return uuid.uuid5(_NAMESPACE, "\x1f".join(parts)).hex


@dataclass(frozen=True)
class Recipient:
    address: str
    user_name: str | None  # None: a team's address


def recipients(conn: Connection, owner: str, settings: Settings) -> list[Recipient]:
    """Who hears of a deadline: its owner, when a user with an email address; the address of
    the team that owns it, or of the owner's teams (``CASEWORK_TEAM_EMAILS``, membership in
    ``CASEWORK_TEAMS``); and ``CASEWORK_TEAM_EMAIL``, which hears of every alert."""
    found: list[Recipient] = []
    row = conn.execute(select(users.c.email).where(users.c.name == owner)).first()
    if row is not None and row[0]:
        found.append(Recipient(row[0], owner))
    teams = [owner] + [team for team, members in settings.teams.items() if owner in members]
    found += [Recipient(settings.team_emails[t], None) for t in teams if t in settings.team_emails]
    if settings.team_email:
        found.append(Recipient(settings.team_email, None))
    seen: set[str] = set()
    unique = []
    for r in found:
        if r.address.lower() not in seen:
            seen.add(r.address.lower())
            unique.append(r)
    return unique


def provider_names(
    conn: Connection, ids: Iterable[str | None], *, in_transaction: bool = True
) -> dict[str, str]:
    """Provider id -> name, from the provider read model; {} when it cannot be read (being
    rebuilt): the email then says "a provider" rather than hold up the append. Inside a
    transaction (``in_transaction``) the read runs in a savepoint, so a failure does not abort
    the transaction; a reading connection (autocommit on PostgreSQL) needs none."""
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    query = select(rm_providers.c.partition, rm_providers.c.name).where(
        rm_providers.c.partition.in_(wanted)
    )
    try:
        if in_transaction:
            with conn.begin_nested():
                rows = conn.execute(query).all()
        else:
            rows = conn.execute(query).all()
    except DBAPIError:
        return {}
    return {r[0]: r[1] for r in rows if r[1]}


def pending_row(
    message_id: str, kind: str, recipient: Recipient, subject: str, body: str, now: datetime,
    *, event_id: str | None = None, deadline_id: str | None = None, provider_id: str | None = None,
) -> dict[str, Any]:
    return {
        "message_id": message_id, "kind": kind, "event_id": event_id, "deadline_id": deadline_id,
        "provider_id": provider_id, "user_name": recipient.user_name,
        "recipient": recipient.address, "subject": subject, "body": body,
        "status": str(Delivery.pending), "attempts": 0, "created_at": now,
        "next_attempt_at": now, "sent_at": None, "last_error": None,
    }


class OutboxRecorder:
    """The store hook: an event's messages, written in its append's transaction."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.zone = ZoneInfo(settings.digest_timezone)
        self.event_types = frozenset(NOTICES)

    def __call__(self, conn: Connection, events: list[StoredEvent]) -> None:
        notices = [(e, NOTICES[e.type](e.data)) for e in events]
        names = provider_names(conn, [n.provider_id for _, n in notices])
        rows = []
        for event, notice in notices:
            rows += self.rows(conn, event, notice, names)
        if rows:
            conn.execute(insert(outbox), rows)

    def rows(
        self, conn: Connection, event: StoredEvent, notice: Notice, names: dict[str, str]
    ) -> list[dict[str, Any]]:
        provider = names.get(notice.provider_id or "", "a provider")
        subject, body = alert_email(notice, provider, self.settings.base_url, self.zone)
        return [
            pending_row(
                message_key(event.event_id, r.address.lower()), notice.kind, r, subject, body,
                event.recorded_at, event_id=event.event_id, deadline_id=notice.deadline_id,
                provider_id=notice.provider_id,
            )
            for r in recipients(conn, notice.owner, self.settings)
        ]


# ------------------------------------------------------------------------------- reading
@dataclass(frozen=True)
class DeliveryRecord:
    message_id: str
    kind: str
    deadline_id: str | None
    user_name: str | None
    recipient: str
    status: Delivery
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None
    subject: str


def _record(row: Any) -> DeliveryRecord:
    return DeliveryRecord(
        row.message_id, row.kind, row.deadline_id, row.user_name, row.recipient,
        Delivery(row.status), row.attempts, aware(row.created_at), aware(row.next_attempt_at),
        aware(row.sent_at) if row.sent_at else None, row.last_error, row.subject,
    )


def aware(instant: datetime) -> datetime:
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def deliveries(conn: Connection, deadline_ids: Sequence[str]) -> dict[str, list[DeliveryRecord]]:
    """Each deadline's messages (alerts and reminders), oldest first."""
    found: dict[str, list[DeliveryRecord]] = {}
    ids = list(dict.fromkeys(deadline_ids))
    for i in range(0, len(ids), 400):
        rows = conn.execute(
            select(outbox).where(outbox.c.deadline_id.in_(ids[i : i + 400]))
            .order_by(outbox.c.created_at, outbox.c.recipient)
        ).all()
        for row in rows:
            found.setdefault(row.deadline_id, []).append(_record(row))
    return found


def recent(conn: Connection, limit: int = 50, status: str | None = None) -> list[DeliveryRecord]:
    query = select(outbox).order_by(outbox.c.created_at.desc(), outbox.c.message_id).limit(limit)
    if status is not None:
        query = query.where(outbox.c.status == status)
    return [_record(r) for r in conn.execute(query).all()]


def counts(conn: Connection, only: Sequence[Delivery] | None = None) -> dict[str, int]:
    """Messages by status; ``only`` those of these statuses (an index range each: never the
    ever-growing sent ones when they are not asked for)."""
    query = select(outbox.c.status, func.count()).group_by(outbox.c.status)
    if only is not None:
        query = query.where(outbox.c.status.in_([str(s) for s in only]))
    rows = conn.execute(query).all()
    return {str(s): 0 for s in (only or Delivery)} | {r[0]: int(r[1]) for r in rows}
