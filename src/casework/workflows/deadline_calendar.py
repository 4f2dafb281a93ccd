"""The deadline read model: pending, cancelled and fired deadlines and reminders, one row each,
and each provider's lead officer (``rm_deadline_leads``: who takes the open deadlines no officer
on their own case owns).

A ``Projection`` (casework.projections.base) that the runner drives. ``apply`` folds a page of
events with the same effects as ``deadlines.derive``: it loads, in one query, the rows the page
touches, applies the effects in memory (``DeadlineBook``) and writes back the changed rows in
batches. So rebuilding from the log gives exactly the deadlines an incremental run gave.

Queries for the scheduler, the HTTP routes and the dashboard: ``pending_deadlines`` and
``fired_alerts``; for monitoring, ``due_now`` (what the scheduler has still to fire).
``catch_up_with(runner)`` is how the scheduler brings this read model to the head of the log
before it asks what is due.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
)

from casework.domain.errors import InvalidInput
from casework.domain.fields import enum_width
from casework.domain.policy import DEFAULT_POLICY, DeadlinePolicy, Timing
from casework.domain.working_days import ENGLAND, WorkingCalendar
from casework.events.store import StoredEvent
from casework.projections.base import read_models
from casework.projections.fold import WrittenKeys, copy_rows
from casework.projections.sources import connect
from casework.workflows.deadlines import (
    LIVE,
    Cancel,
    Deadline,
    DeadlineBook,
    DeadlineKind,
    DeadlineRecord,
    DeadlineStatus,
    Fired,
    LeadAssigned,
    OwnerFrom,
    Reassign,
    Resume,
    Schedule,
    Suspend,
)
from casework.workflows.rulebook import deadline_event_types, effects_of

if TYPE_CHECKING:
    from casework.projections.runner import ProjectionRunner

deadlines_table = Table(
    "rm_deadlines",
    read_models,
    # Ids, the stream, names and titles (which quote what a command chose) are unbounded text;
    # kind and status are sized from their enums: so anything the domain accepts fits.
    Column("deadline_id", Text, primary_key=True),
    Column("provider_id", Text, nullable=True),
    Column("kind", String(enum_width(DeadlineKind)), nullable=False),
    Column("title", Text, nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("owner", Text, nullable=False),
    Column("source", Text, nullable=False),
    Column("scope", Text, nullable=False, default=""),
    Column("repeat_every_days", Integer, nullable=True),
    Column("missed", Integer, nullable=False, default=1),
    Column("status", String(enum_width(DeadlineStatus)), nullable=False),
    Column("fired_at", DateTime(timezone=True), nullable=True),
    Column("owner_from", String(enum_width(OwnerFrom)), nullable=False),
    # A reminder: the deadline it precedes, how far ahead, and when that deadline falls due.
    Column("reminder_of", Text, nullable=False, default=""),
    Column("before", Text, nullable=False, default=""),
    Column("reminds_due_at", DateTime(timezone=True), nullable=True),
    Index("ix_rm_deadlines_status_due", "status", "due_at"),
    _by_source := Index("ix_rm_deadlines_source", "source"),
    _by_provider := Index("ix_rm_deadlines_provider", "provider_id"),
)
T = deadlines_table

leads_table = Table(
    "rm_deadline_leads",
    read_models,
    Column("provider_id", Text, primary_key=True),
    Column("officer", Text, nullable=False),
)
L = leads_table

# Built once: the in-process catch-up runs these after many appends.
_LIVE_OF_SOURCES = select(T).where(
    T.c.source.in_(bindparam("sources", expanding=True)), T.c.status.in_([str(s) for s in LIVE])
)
_BY_IDS = select(T).where(T.c.deadline_id.in_(bindparam("ids", expanding=True)))
_LIVE_OF_PROVIDERS = select(T).where(
    T.c.provider_id.in_(bindparam("providers", expanding=True)), T.c.status.in_([str(s) for s in LIVE])
)
_DELETE_IDS = delete(T).where(T.c.deadline_id.in_(bindparam("ids", expanding=True)))
_INSERT = insert(T)
_LEADS_OF = select(L).where(L.c.provider_id.in_(bindparam("providers", expanding=True)))
_DELETE_LEADS = delete(L).where(L.c.provider_id.in_(bindparam("providers", expanding=True)))
_INSERT_LEADS = insert(L)


class DeadlineProjection:
    """Pending and fired deadlines (``rm_deadlines``)."""

    name: ClassVar[str] = "deadlines"
    # 2: ids, owners, titles and scopes are unbounded text (casework.domain.fields).
    # 3: ``missed``: a late recurring deadline fires once for the occurrences it missed.
    # 4: owners (case officer, lead officer or team; leads table) and reminders.
    # 5: a proposal of immediate termination raises an alert for a second manager.
    version: ClassVar[int] = 5
    rebuild_cost: ClassVar[float] = 17.0  # us per event, for sharing a rebuild (parallel.py)
    tables: ClassVar[list[Table]] = [deadlines_table, leads_table]
    # What its rebuild reads back by (live rows of sources and providers); the others are
    # created after the load (casework.projections.tables.deferred_indexes).
    rebuild_reads_by: ClassVar[frozenset[Index]] = frozenset({_by_source, _by_provider})
    event_types: ClassVar[frozenset[str]] = deadline_event_types()

    def __init__(self, policy: DeadlinePolicy = DEFAULT_POLICY, calendar: WorkingCalendar = ENGLAND) -> None:
        unknown = sorted(set(policy.owner_teams) - {str(k) for k in DeadlineKind})
        if unknown:  # a mistyped kind would silently leave its deadlines to the default team
            raise InvalidInput(
                "deadline policy owner_teams (CASEWORK_DEADLINE_TEAMS)",
                f"{', '.join(unknown)} is not a deadline kind (kinds: {', '.join(map(str, DeadlineKind))})")
        self.timing = Timing(policy, calendar)

    def apply(self, conn: Connection, events: list[StoredEvent]) -> None:
        effects = [e for event in events for e in effects_of(event, self.timing)]
        if not effects:
            return
        stored = _load_touched(conn, effects)
        book = DeadlineBook(dict(stored), leads=_load_leads(conn, effects))
        for effect in effects:
            book.apply(effect)
        _write_leads(conn, book)
        if not book.changed:
            return
        changed = sorted(book.changed)
        # Ids looked up above and not found have no row to delete (the usual new deadline).
        absent = {e.deadline.deadline_id for e in effects if isinstance(e, Schedule | Fired)}
        absent.difference_update(stored)
        for chunk in _chunks([i for i in changed if i not in absent], 500):
            conn.execute(_DELETE_IDS, {"ids": chunk})
        conn.execute(_INSERT, [_row(book.records[i]) for i in changed])


    def rebuilder(self, conn: Connection) -> DeadlineRebuild:
        """For the runner's single pass over the log (see ``ProjectionRunner.rebuild``)."""
        return DeadlineRebuild(self.timing, conn)


class _RebuildBook(DeadlineBook):
    """A DeadlineBook that keeps no set of changed ids: a rebuild writes every record it holds."""

    def _put(self, record: DeadlineRecord) -> None:
        self.records[record.deadline.deadline_id] = record
        self._index(record)

    remember = _put  # hold a stored row (read back)


class DeadlineRebuild:
    """A rebuild in progress (the table starts empty): fold pages of deadline events into one
    book in memory. Memory stays bounded: once ``limit`` deadlines are held they are written
    and dropped; a later page reads back what it can change (live rows of the sources it
    cancels, suspends or resumes; rows by id for what it schedules or fires), exactly as the
    incremental ``apply`` does."""

    def __init__(self, timing: Timing, conn: Connection, limit: int | None = None) -> None:
        self.timing = timing
        self.conn = conn
        self.limit = limit or REBUILD_DEADLINES_IN_MEMORY
        self.book = _RebuildBook()
        self.written_ids = WrittenKeys()
        self.written_sources = WrittenKeys()

    def fold(self, events: list[StoredEvent]) -> None:
        timing, book = self.timing, self.book
        effects = [e for event in events for e in effects_of(event, timing)]
        if self.written_ids and effects:
            sources = _sources(effects)
            ids = {e.deadline.deadline_id for e in effects if isinstance(e, Schedule | Fired)}
            stored = _load_rows(
                self.conn, sorted(s for s in sources if s in self.written_sources),
                sorted(i for i in ids if i not in book.records and i in self.written_ids),
                sorted({e.provider_id for e in effects if isinstance(e, LeadAssigned)}),
            )
            for deadline_id, record in stored.items():
                if deadline_id not in book.records:
                    book.remember(record)
        for effect in effects:
            book.apply(effect)
        if len(book.records) >= self.limit:
            self._write()

    def finish(self) -> None:
        self._write()
        leads = self.book.leads
        for chunk in _chunks(sorted(leads), 5000):
            self.conn.execute(_INSERT_LEADS, [{"provider_id": p, "officer": leads[p]} for p in chunk])
        self.written_ids, self.written_sources = WrittenKeys(), WrittenKeys()

    def _write(self) -> None:
        conn = self.conn
        # Leads stay in memory (one per provider) for the deadlines the rest of the log sets.
        records, self.book = self.book.records, _RebuildBook(leads=self.book.leads)
        again = sorted(i for i in records if i in self.written_ids)
        for chunk in _chunks(again, 500):
            conn.execute(_DELETE_IDS, {"ids": chunk})
        self.written_ids.update(records)
        self.written_sources.update({r.deadline.source for r in records.values()})
        while records:  # in chunks, releasing each, so all rows are never in memory at once
            rows = [_row(records.popitem()[1]) for _ in range(min(20_000, len(records)))]
            if conn.dialect.name == "postgresql":
                copy_rows(conn, T, rows)
                continue
            for chunk in _chunks(rows, 5000):
                conn.execute(_INSERT, chunk)


# Deadlines a rebuild holds in memory before writing them out (see DeadlineRebuild).
REBUILD_DEADLINES_IN_MEMORY = 10_000


def _sources(effects: list) -> set[str]:
    """Sources whose live rows an effect can change: those cancelled, suspended, resumed or
    reassigned, and those of a deadline that fired (its reminders end)."""
    return {e.source for e in effects if isinstance(e, Cancel | Suspend | Resume | Reassign)} | {
        e.deadline.source for e in effects if isinstance(e, Fired)
    }


def _load_touched(conn: Connection, effects: list) -> dict[str, DeadlineRecord]:
    """The rows a page's effects can change: live (pending, suspended) rows of the sources it
    cancels, suspends, resumes or reassigns, or fires a deadline of; live rows of providers
    whose lead officer it names; and rows by id for what it schedules or fires."""
    sources = sorted(_sources(effects))
    ids = sorted({e.deadline.deadline_id for e in effects if isinstance(e, Schedule | Fired)})
    providers = sorted({e.provider_id for e in effects if isinstance(e, LeadAssigned)})
    return _load_rows(conn, sources, ids, providers)


def _load_rows(
    conn: Connection, sources: list[str], ids: list[str], providers: list[str] = ()  # type: ignore[assignment]
) -> dict[str, DeadlineRecord]:
    """Live rows of ``sources``, rows by ``ids`` and live rows of ``providers``."""
    records: dict[str, DeadlineRecord] = {}
    for chunk in _chunks(sources, 400):
        rows = conn.execute(_LIVE_OF_SOURCES, {"sources": chunk})
        records.update((r.deadline_id, _record(r)) for r in rows)
    for chunk in _chunks(ids, 400):
        rows = conn.execute(_BY_IDS, {"ids": chunk})
        records.update((r.deadline_id, _record(r)) for r in rows)
    for chunk in _chunks(list(providers), 400):
        rows = conn.execute(_LIVE_OF_PROVIDERS, {"providers": chunk})
        records.update((r.deadline_id, _record(r)) for r in rows)
    return records


def _load_leads(conn: Connection, effects: list) -> dict[str, str]:
    """The lead officers of the providers a page schedules deadlines for (a firing schedules a
    recurring deadline's next occurrence)."""
    providers = sorted({e.deadline.provider_id for e in effects
                        if isinstance(e, Schedule | Fired) and e.deadline.provider_id is not None})
    leads: dict[str, str] = {}
    for chunk in _chunks(providers, 400):
        leads.update((r.provider_id, r.officer) for r in conn.execute(_LEADS_OF, {"providers": chunk}))
    return leads


def _write_leads(conn: Connection, book: DeadlineBook) -> None:
    changed = sorted(book.changed_leads)
    for chunk in _chunks(changed, 400):
        conn.execute(_DELETE_LEADS, {"providers": chunk})
        conn.execute(_INSERT_LEADS, [{"provider_id": p, "officer": book.leads[p]} for p in chunk])


def _row(record: DeadlineRecord) -> dict[str, Any]:
    d = record.deadline
    return {
        "deadline_id": d.deadline_id,
        "provider_id": d.provider_id,
        "kind": str(d.kind),
        "title": d.title,
        "due_at": d.due_at,
        "owner": d.owner,
        "source": d.source,
        "scope": d.scope,
        "repeat_every_days": d.repeat_every_days,
        "missed": d.missed,
        "status": str(record.status),
        "fired_at": record.fired_at,
        "owner_from": str(d.owner_from),
        "reminder_of": d.reminder_of,
        "before": d.before,
        "reminds_due_at": d.reminds_due_at,
    }


def _aware(instant: datetime | None) -> datetime | None:
    if instant is None:
        return None
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def _deadline(row: Any) -> Deadline:
    return Deadline(
        deadline_id=row.deadline_id, provider_id=row.provider_id, kind=row.kind, title=row.title,
        due_at=row.due_at.replace(tzinfo=UTC) if row.due_at.tzinfo is None else row.due_at.astimezone(UTC),
        owner=row.owner, source=row.source, scope=row.scope,
        repeat_every_days=row.repeat_every_days, missed=row.missed,
        owner_from=OwnerFrom(row.owner_from), reminder_of=row.reminder_of, before=row.before,
        reminds_due_at=_aware(row.reminds_due_at),
    )


def _record(row: Any) -> DeadlineRecord:
    return DeadlineRecord(_deadline(row), DeadlineStatus(row.status), _aware(row.fired_at))


def _chunks(items: list, size: int) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# ------------------------------------------------------------------------------- queries
def pending_deadlines(
    db: Any,
    before: datetime | None = None,
    provider_id: str | None = None,
    source: str | None = None,
    reminders: bool = False,
    owner: str | None = None,
) -> list[Deadline]:
    """Pending deadlines, soonest first (due at or before ``before`` when given; of one
    provider, set by one ``source`` stream, or owned by ``owner``, when given); with
    ``reminders``, the reminders still to send too. With ``before`` this reads only the due
    rows (index ``status, due_at``): what the scheduler fires.

    ``db``: a Connection, an Engine or the Casework container."""
    query = select(T).where(T.c.status == DeadlineStatus.pending)
    if not reminders:
        query = query.where(T.c.reminder_of == "")
    if owner is not None:
        query = query.where(T.c.owner == owner)
    if before is not None:
        query = query.where(T.c.due_at <= before.astimezone(UTC))
    if provider_id is not None:
        query = query.where(T.c.provider_id == provider_id)
    if source is not None:
        query = query.where(T.c.source == source)
    with connect(db) as conn:
        rows = conn.execute(query.order_by(T.c.due_at, T.c.deadline_id)).all()
    return [_deadline(r) for r in rows]


def due_now(db: Any, now: datetime) -> dict[str, int]:
    """How many pending alerts (deadlines) and reminders are due at or before ``now``: what the
    scheduler has still to fire. Reads only the due rows (index ``status, due_at``), counted in
    one query. ``db``: a Connection, an Engine or the Casework container."""
    query = select(func.count(), func.sum(case((T.c.reminder_of == "", 0), else_=1))).where(
        T.c.status == DeadlineStatus.pending, T.c.due_at <= now.astimezone(UTC)
    )
    with connect(db) as conn:
        total, reminders = conn.execute(query).one()
    return {"alert": total - (reminders or 0), "reminder": reminders or 0}


def fired_alerts(
    source: Any, provider_id: str | None = None, since: datetime | None = None,
    reminders: bool = False,
) -> list[DeadlineRecord]:
    """Deadlines that fired (the alerts), most recent first; with ``reminders``, the reminders
    sent too (a reminder's ``due_at`` is when it was due to be sent). ``since`` filters on when
    they fell due or fired, whichever is later. Each names the provider, the deadline and the
    owner it had when it fired."""
    query = select(T).where(T.c.status == DeadlineStatus.fired)
    if not reminders:
        query = query.where(T.c.reminder_of == "")
    if provider_id is not None:
        query = query.where(T.c.provider_id == provider_id)
    if since is not None:
        since = since.astimezone(UTC)
        query = query.where(or_(T.c.due_at >= since, T.c.fired_at >= since))
    with connect(source) as conn:
        rows = conn.execute(query.order_by(T.c.due_at.desc(), T.c.deadline_id)).all()
    return [_record(r) for r in rows]


def catch_up_with(runner: ProjectionRunner) -> Callable[[], int]:
    """The scheduler's ``catch_up``: bring this read model up to the head of the log with
    ``runner`` (from its checkpoint, as every catch-up does) and return the position its
    checkpoint reached. A halted projection, or one another process holds (a rebuild), stays
    behind: the caller compares the position with the head it read and does not fire."""
    name = DeadlineProjection.name

    def catch_up() -> int:
        runner.catch_up([name])
        [status] = [s for s in runner.status() if s.name == name]
        return status.position

    return catch_up


def lead_officers(db: Any, provider_ids: Iterable[str] | None = None) -> dict[str, str]:
    """Each provider's lead officer (of ``provider_ids`` when given)."""
    query = select(L)
    if provider_ids is not None:
        query = query.where(L.c.provider_id.in_(list(provider_ids)))
    with connect(db) as conn:
        return {r.provider_id: r.officer for r in conn.execute(query)}
