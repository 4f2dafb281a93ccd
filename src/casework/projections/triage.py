"""The triage inbox: intelligence records by state, owner, risk and service-level status.

One row per record (``rm_triage``), folded from its stream ``intelligence-<id>``. Nothing here
re-states a rule: the state is replayed through the record's lifecycle table
(``RECORD_LIFECYCLE``), and the service level an open record works to and when it falls due come
from ``service_level_after`` (casework.domain.intelligence), which the deadline rules fold too,
so the inbox and the deadline calendar cannot disagree. "Overdue" compares that due time with
the clock when read. The whistleblower's identity is never in the inbox, only the fact that the
record has one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, TypeAdapter
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    func,
    or_,
    select,
)

from casework.domain.enums import IntelligenceOutcome, IntelligenceSource, RiskLevel
from casework.domain.fields import enum_width
from casework.domain.intelligence import (
    ACTION_OF_TYPE,
    INTELLIGENCE,
    KEEP,
    RECORD_LIFECYCLE,
    IntelligenceState,
    ServiceLevel,
    service_level_after,
)
from casework.domain.policy import DEFAULT_POLICY, DeadlinePolicy, Timing
from casework.events.store import StoredEvent
from casework.projections.base import read_models
from casework.projections.fold import PartitionedFold, State, count_of, current_data
from casework.projections.paging import PageOf, Window
from casework.projections.provider_view import rm_providers
from casework.projections.sources import connect, now_of

rm_triage = Table(
    "rm_triage",
    read_models,
    # What a command chose (ids, names, text) is unbounded text; values from an enum are sized
    # from it (casework.domain.fields): so anything the domain accepts fits.
    Column("partition", Text, primary_key=True),  # the stream
    Column("record_id", Text, nullable=False, unique=True),
    Column("provider_id", Text, nullable=True),
    Column("source", String(enum_width(IntelligenceSource)), nullable=False),
    Column("summary", Text, nullable=False),
    Column("has_whistleblower", Boolean, nullable=False),
    Column("state", String(enum_width(IntelligenceState)), nullable=False),
    Column("assigned_to", Text, nullable=True),
    Column("risk", String(enum_width(RiskLevel)), nullable=True),
    Column("action_required", Boolean, nullable=True),
    Column("outcome", String(enum_width(IntelligenceOutcome)), nullable=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("logged_at", DateTime(timezone=True), nullable=False),
    Column("service_level", String(enum_width(ServiceLevel)), nullable=True),  # what is due next
    Column("due_at", DateTime(timezone=True), nullable=True),
    Column("version", Integer, nullable=False),
    Index("ix_rm_triage_state_received", "state", "received_at"),
    Index("ix_rm_triage_assigned", "assigned_to"),
    Index("ix_rm_triage_provider", "provider_id", "received_at"),
    # The inbox lists newest received first: its first page is read off this index, however
    # many records a council has (without it every row was sorted: benchmarks/growth.py).
    Index("ix_rm_triage_received", "received_at", "record_id"),
    Index("ix_rm_triage_due", "due_at"),
)


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


_INITIAL = IntelligenceState(RECORD_LIFECYCLE.initial).value
_STREAM_PREFIX = f"{INTELLIGENCE.stream_prefix}-"


class TriageProjection(PartitionedFold):
    name: ClassVar[str] = "triage"
    # 2: the state replayed through the record's lifecycle (a re-allocated record keeps
    # risk_assessed / actioned); service levels from the domain (no first action is due for
    # a high risk needing no action; a re-allocation keeps the running clock); the version
    # counts links too. 3: ids, names and the stream are unbounded text (casework.domain.fields).
    # 4: indexes for the newest-first inbox (all, and one provider's). 5: how many records are
    # in each state (triage_counts), so that the inbox's total counts no rows.
    version: ClassVar[int] = 5
    rebuild_cost: ClassVar[float] = 14.0  # us per event, for sharing a rebuild (parallel.py)
    event_types: ClassVar[frozenset[str]] = frozenset({
        "IntelligenceLogged", "IntelligenceAllocated", "RiskAssessed", "IntelligenceActionTaken",
        "IntelligenceClosed", "IntelligenceReopened",
        "RecordsLinked",  # moves only the row's version (the record's, for expected_version)
    })
    query_tables: ClassVar[list[Table]] = [rm_triage]
    counted_by: ClassVar[Column[Any] | None] = rm_triage.c.state  # the inbox's totals by state

    def __init__(self, policy: DeadlinePolicy = DEFAULT_POLICY) -> None:
        self.timing = Timing(policy)

    def partition(self, event: StoredEvent) -> str | None:
        return event.stream if event.stream.startswith(_STREAM_PREFIX) else None

    def fold(self, state: State | None, event: StoredEvent) -> State:
        d = current_data(event)
        kind = event.type
        action = ACTION_OF_TYPE.get(kind)
        if kind == "IntelligenceLogged":
            state = {
                "record_id": d["record_id"], "provider_id": d["provider_id"],
                "source": d["source"], "summary": d["summary"],
                "has_whistleblower": d.get("whistleblower") is not None, "state": _INITIAL,
                "assigned_to": None, "risk": None, "action_required": None, "outcome": None,
                "received_at": d["received_at"], "logged_at": event.occurred_at.isoformat(),
                "service_level": None, "due_at": None,
            }
        elif state is None:
            raise ValueError(f"{kind} for record {d.get('record_id')} before it was logged")
        elif action is not None:
            state["state"] = RECORD_LIFECYCLE.replay(d["record_id"], state["state"], action)
            # The facts each event carries, as the record's evolve keeps them.
            if kind == "IntelligenceAllocated":
                state["assigned_to"] = d["officer"]
            elif kind == "RiskAssessed":
                state["risk"], state["action_required"] = d["risk"], d["action_required"]
            elif kind == "IntelligenceClosed":
                state["outcome"] = d["outcome"]
            elif kind == "IntelligenceReopened":  # to be assessed again
                state.update(risk=None, action_required=None, outcome=None)
        if kind != "RecordsLinked":  # a link changes no service level (and is not decoded)
            due = service_level_after(event.event, event.occurred_at, self.timing)
            if due is not KEEP:
                state["service_level"] = due.level.value if due else None
                state["due_at"] = due.due_at.isoformat() if due else None
        state["version"] = event.version
        return state

    def rows(self, partition: str, state: State) -> dict[str, list[dict[str, Any]]]:
        row = {k: state[k] for k in (
            "record_id", "provider_id", "source", "summary", "has_whistleblower", "state",
            "assigned_to", "risk", "action_required", "outcome", "service_level",
        )}
        row["received_at"] = _parse(state["received_at"])
        row["logged_at"] = _parse(state["logged_at"])
        row["due_at"] = _parse(state["due_at"]) if state["due_at"] else None
        row["version"] = state["version"]
        return {rm_triage.name: [row]}


class TriageItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    record_id: str
    provider_id: str | None
    provider_name: str | None
    source: str
    summary: str
    has_whistleblower: bool
    state: str
    assigned_to: str | None
    risk: str | None
    action_required: bool | None
    outcome: str | None
    received_at: datetime
    logged_at: datetime
    service_level: str | None  # allocation, risk_assessment, first_action; None when none due
    due_at: datetime | None
    overdue: bool
    version: int


class TriageFilters(BaseModel):
    """Which records to list: each filter given narrows the list. ``states``: any of these."""

    state: str | None = None
    states: tuple[str, ...] = ()
    provider_id: str | None = None
    assigned_to: str | None = None
    overdue: bool | None = None
    limit: int = 500
    offset: int = 0


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _chosen(f: TriageFilters, instant: datetime) -> list[Any]:
    """The WHERE clauses of the filters, on ``rm_triage``."""
    t = rm_triage
    clauses: list[Any] = []
    if f.state:
        clauses.append(t.c.state == f.state)
    if f.states:
        clauses.append(t.c.state.in_(f.states))
    if f.provider_id:
        clauses.append(t.c.provider_id == f.provider_id)
    if f.assigned_to:
        clauses.append(t.c.assigned_to == f.assigned_to)
    if f.overdue is True:
        clauses.append(and_(t.c.due_at.is_not(None), t.c.due_at < instant))
    elif f.overdue is False:
        clauses.append(or_(t.c.due_at.is_(None), t.c.due_at >= instant))
    return clauses


def triage_inbox(
    source: Any, filters: TriageFilters | None = None, *, now: datetime | None = None, **kw: Any
) -> list[TriageItem]:
    """Intelligence records, newest received first: ``limit`` of them from ``offset``. Filters
    (a ``TriageFilters`` or keywords): ``state`` or ``states``, ``provider_id``,
    ``assigned_to``, ``overdue`` (True: past its service level). ``triage_page`` says how many
    there are in all."""
    f = filters or TriageFilters(**kw)
    instant = now_of(source, now)
    t, p = rm_triage, rm_providers
    query = (select(t, p.c.name).select_from(t.outerjoin(p, p.c.partition == t.c.provider_id))
             .where(*_chosen(f, instant)))
    query = query.order_by(t.c.received_at.desc(), t.c.record_id.desc()).limit(f.limit).offset(f.offset)
    with connect(source) as conn:
        rows = conn.execute(query).all()
    found = []
    for r in rows:
        due = _aware(r.due_at)
        found.append({
            "record_id": r.record_id, "provider_id": r.provider_id, "provider_name": r.name,
            "source": r.source, "summary": r.summary, "has_whistleblower": r.has_whistleblower,
            "state": r.state, "assigned_to": r.assigned_to, "risk": r.risk,
            "action_required": r.action_required, "outcome": r.outcome,
            "received_at": _aware(r.received_at), "logged_at": _aware(r.logged_at),
            "service_level": r.service_level, "due_at": due,
            "overdue": due is not None and due < instant, "version": r.version,
        })
    # Validated in one call, in pydantic's core: ~3x faster than model_construct per item.
    return _ITEMS.validate_python(found)


def triage_count(source: Any, filters: TriageFilters | None = None, *,
                 now: datetime | None = None, **kw: Any) -> int:
    """How many records the filters choose (``limit`` and ``offset`` aside)."""
    f = filters or TriageFilters(**kw)
    by_state_only = not (f.provider_id or f.assigned_to or f.overdue is not None)
    with connect(source) as conn:
        if by_state_only:  # the inbox's usual totals: a row a state, whatever the records
            states: list[str] | None = list(f.states) if f.states else None
            if f.state:
                states = [f.state] if states is None or f.state in states else []
            assert TriageProjection.counts is not None
            return count_of(TriageProjection.counts, conn, states)
        query = select(func.count()).select_from(rm_triage).where(*_chosen(f, now_of(source, now)))
        return int(conn.execute(query).scalar_one())


def triage_page(source: Any, filters: TriageFilters, window: Window, *,
                now: datetime | None = None) -> PageOf[TriageItem]:
    """The ``window`` of the records ``filters`` choose, newest received first, with their
    total: both read on one connection, at one instant."""
    instant = now_of(source, now)
    chosen = filters.model_copy(update={"limit": window.size, "offset": window.offset})
    with connect(source) as conn:
        items = triage_inbox(conn, chosen, now=instant)
        total = triage_count(conn, filters, now=instant)
    return PageOf(items, total, window.offset, window.size)


_ITEMS = TypeAdapter(list[TriageItem])

__all__ = [
    "TriageFilters", "TriageItem", "TriageProjection", "rm_triage", "triage_count", "triage_inbox",
    "triage_page",
]
