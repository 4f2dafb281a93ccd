"""The daily digest: once a day, at ``CASEWORK_DIGEST_TIME`` in ``CASEWORK_DIGEST_TIMEZONE``
(07:30 Europe/London), each person with an email address and the digest on gets one message
listing the deadlines they or their team own that are overdue and those due in the next 7 days.

"Overdue" is a deadline that has fallen due (fired) in the last ``OVERDUE_DAYS`` days, or is due
and not yet fired. Nothing to list, no email. The digest goes through the outbox like any alert;
its row's id is derived from the person and the day, so however many processes or ticks record
it, there is one per person per day.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from casework.alerts.messages import DigestLine, digest_email
from casework.alerts.outbox import (
    Recipient,
    aware,
    message_key,
    outbox,
    pending_row,
    provider_names,
)
from casework.clock import Clock
from casework.settings import Settings
from casework.users import users
from casework.workflows.deadline_calendar import deadlines_table as D
from casework.workflows.deadlines import DeadlineStatus

WEEK = timedelta(days=7)
OVERDUE_DAYS = 28


def owners_of(name: str, settings: Settings) -> list[str]:
    """What a person owns: deadlines in their name and in their teams' (``CASEWORK_TEAMS``)."""
    return [name] + sorted(team for team, members in settings.teams.items() if name in members)


def digest_lines(
    conn: Connection, owners: list[str], now: datetime
) -> tuple[list[DigestLine], list[DigestLine]]:
    """(due in the next 7 days, overdue) among the deadlines ``owners`` own, soonest first.
    Reminders share the table (``reminder_of`` set, ``due_at`` when sent): not listed."""
    pending, fired = str(DeadlineStatus.pending), str(DeadlineStatus.fired)
    rows = conn.execute(
        select(D.c.title, D.c.provider_id, D.c.due_at, D.c.status)
        .where(D.c.owner.in_(owners), D.c.reminder_of == "")
        .where(or_(
            and_(D.c.status == pending, D.c.due_at <= now + WEEK),
            and_(D.c.status == fired, D.c.due_at >= now - timedelta(days=OVERDUE_DAYS)),
        ))
        .order_by(D.c.due_at, D.c.deadline_id)
    ).all()
    names = provider_names(conn, [r.provider_id for r in rows])
    due: list[DigestLine] = []
    overdue: list[DigestLine] = []
    for r in rows:
        at = aware(r.due_at)
        line = DigestLine(r.title, names.get(r.provider_id or "", "a provider"), at, r.provider_id)
        (due if r.status == pending and at > now else overdue).append(line)
    return due, overdue


class Digests:
    def __init__(self, engine: Engine, clock: Clock, settings: Settings) -> None:
        self.engine = engine
        self.clock = clock
        self.settings = settings
        self.zone = ZoneInfo(settings.digest_timezone)

    def day_due(self, now: datetime) -> date | None:
        """Today's date in the council's zone once the digest time has passed, else None."""
        local = now.astimezone(self.zone)
        return local.date() if local.time() >= self.settings.digest_time else None

    def record_due(self, now: datetime | None = None) -> list[str]:
        """Record today's digests not yet recorded; returns the new messages' ids."""
        now = now or self.clock.now()
        today = self.day_due(now)
        if today is None:
            return []
        written: list[str] = []
        with self.engine.connect().execution_options(casework_write=True) as conn:
            with conn.begin():
                people = conn.execute(
                    select(users.c.name, users.c.email)
                    .where(users.c.email.is_not(None), users.c.digests.is_(True))
                    .order_by(users.c.name)
                ).all()
                keys = {p.name: message_key("digest", p.name, today.isoformat()) for p in people}
                done = set(conn.execute(
                    select(outbox.c.message_id).where(outbox.c.message_id.in_(list(keys.values())))
                ).scalars()) if keys else set()
                for person in people:
                    key = keys[person.name]
                    if key in done:
                        continue
                    due, overdue = digest_lines(conn, owners_of(person.name, self.settings), now)
                    if not due and not overdue:
                        continue
                    subject, body = digest_email(
                        person.name, f"{today:%A} {today.day} {today:%B %Y}", due, overdue,
                        self.settings.base_url, self.zone,
                    )
                    row = pending_row(key, "digest", Recipient(person.email, person.name),
                                      subject, body, now)
                    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
                    result = conn.execute(dialect.insert(outbox).values(row).on_conflict_do_nothing())
                    if result.rowcount:
                        written.append(key)
        return written
