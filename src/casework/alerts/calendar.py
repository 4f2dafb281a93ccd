"""Each user's private calendar feed (iCalendar, RFC 5545), built with the ``icalendar`` library.

The feed's address holds a secret token (``UserDirectory.issue_calendar``; only its hash is
kept), so a calendar client subscribes without signing in; revoking or rotating the token stops
the old address (404). The feed lists the deadlines the user or their team owns that fall due
from ``PAST_DAYS`` ago onwards: one all-day VEVENT each, on its due date in the council's zone.

- UID: from the deadline id, so it never changes; a client updates the event in place.
- SEQUENCE and LAST-MODIFIED: ``calendar_entries`` remembers what each deadline looked like
  when a feed last showed it (a fingerprint of its due time, title, provider and whether it was
  cancelled); when that changes, SEQUENCE goes up by one and LAST-MODIFIED is that moment.
- STATUS: CANCELLED for a cancelled deadline (its cause was resolved), CONFIRMED otherwise.

Like the emails, an event names the provider, the deadline and its due date, with a link into
Casework: no personal data, no safeguarding detail.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event
from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, Text, select, update
from sqlalchemy.dialects import postgresql, sqlite

from casework.alerts.digest import owners_of
from casework.alerts.messages import provider_link
from casework.alerts.outbox import aware, provider_names
from casework.settings import Settings
from casework.workflows.deadline_calendar import deadlines_table as D
from casework.workflows.deadlines import DeadlineStatus

PAST_DAYS = 90

metadata = MetaData()
calendar_entries = Table(
    "calendar_entries",
    metadata,
    Column("deadline_id", Text, primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("modified_at", DateTime(timezone=True), nullable=False),
)
C = calendar_entries

_UID_NAMESPACE = uuid.UUID("0b7e3f0c-6a43-4a0e-8f6e-3f1f0d9c2b5d")


def event_uid(deadline_id: str) -> str:
    return f"{uuid.uuid5(_UID_NAMESPACE, deadline_id)}@casework"


def _fingerprint(row: Any, provider: str) -> str:
    cancelled = row.status == str(DeadlineStatus.cancelled)
    text = f"{aware(row.due_at).isoformat()}\x1f{row.title}\x1f{provider}\x1f{cancelled}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def calendar_feed(engine: Engine, user_name: str, settings: Settings, now: datetime) -> bytes:
    """The iCalendar text of ``user_name``'s feed as of ``now``."""
    zone = ZoneInfo(settings.digest_timezone)
    with engine.connect().execution_options(casework_write=True) as conn:
        with conn.begin():
            rows = conn.execute(
                select(D.c.deadline_id, D.c.title, D.c.provider_id, D.c.due_at, D.c.status)
                .where(D.c.owner.in_(owners_of(user_name, settings)),
                       D.c.reminder_of == "",  # reminders share the table: not events of their own
                       D.c.due_at >= now - timedelta(days=PAST_DAYS))
                .order_by(D.c.due_at, D.c.deadline_id)
            ).all()
            names = provider_names(conn, [r.provider_id for r in rows])
            seen: dict[str, Any] = {}
            ids = [r.deadline_id for r in rows]
            for i in range(0, len(ids), 400):
                for entry in conn.execute(select(C).where(C.c.deadline_id.in_(ids[i : i + 400]))):
                    seen[entry.deadline_id] = entry
            entries: dict[str, tuple[int, datetime]] = {}
            for row in rows:
                provider = names.get(row.provider_id or "", "a provider")
                digest = _fingerprint(row, provider)
                known = seen.get(row.deadline_id)
                if known is None:
                    # Two feeds read at once may both see it new: the second insert does nothing.
                    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
                    conn.execute(dialect.insert(C).values(
                        deadline_id=row.deadline_id, fingerprint=digest, sequence=0, modified_at=now,
                    ).on_conflict_do_nothing())
                    entries[row.deadline_id] = (0, now)
                elif known.fingerprint != digest:
                    conn.execute(update(C).where(C.c.deadline_id == row.deadline_id).values(
                        fingerprint=digest, sequence=known.sequence + 1, modified_at=now))
                    entries[row.deadline_id] = (known.sequence + 1, now)
                else:
                    entries[row.deadline_id] = (known.sequence, aware(known.modified_at))

    calendar = Calendar()
    calendar.add("prodid", "-//Casework//Deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"Casework deadlines: {user_name}")
    calendar.add("x-published-ttl", "PT1H")
    for row in rows:
        provider = names.get(row.provider_id or "", "a provider")
        sequence, modified = entries[row.deadline_id]
        due = aware(row.due_at)
        local = due.astimezone(zone)
        link = provider_link(settings.base_url, row.provider_id)
        event = Event()
        event.add("uid", event_uid(row.deadline_id))
        event.add("dtstamp", now)
        event.add("dtstart", local.date())
        event.add("dtend", local.date() + timedelta(days=1))
        event.add("summary", f"{row.title} ({provider})")
        event.add("description", f"Provider: {provider}\nDeadline: {row.title}\n"
                                 f"Due: {local:%H:%M} {local.tzname()}\n{link}")
        event.add("url", link)
        event.add("sequence", sequence)
        event.add("last-modified", modified)
        event.add("transp", "TRANSPARENT")
        cancelled = row.status == str(DeadlineStatus.cancelled)
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
