"""The read side of the store: prepared reads of streams, histories and the whole log."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, Engine, Select, bindparam, func, select
from sqlalchemy.exc import DBAPIError

from casework.events.schema import events as T
from casework.events.store.database import reading
from casework.events.store.errors import translate_db_error
from casework.events.store.rows import COLUMNS, aware, chunks, row_to_event
from casework.events.stored import StoredEvent

# The two orders of a history: ``recorded`` (log position: the order Casework learnt things) and
# ``happened`` (when things happened in the world; see ``happened_order``).
Order = Literal["recorded", "happened"]

# Runs a prepared read and returns its rows (see LogReader).
Fetch = Callable[[Select, dict[str, Any]], list[Any]]

# The hot reads, built once (building a statement costs more than SQLAlchemy running it).
_READ_STREAM = (
    select(*COLUMNS)
    .where(T.c.stream == bindparam("s"), T.c.version >= bindparam("v"))
    .order_by(T.c.version)
)
_READ_STREAM_TO = (
    select(*COLUMNS)
    .where(T.c.stream == bindparam("s"), T.c.version >= bindparam("v"), T.c.version <= bindparam("to"))
    .order_by(T.c.version)
)
_HISTORY = select(*COLUMNS).where(T.c.provider_id == bindparam("p")).order_by(T.c.position)
_HISTORY_AS_OF = (
    select(*COLUMNS)
    .where(T.c.provider_id == bindparam("p"), T.c.recorded_at <= bindparam("as_of"))
    .order_by(T.c.position)
)
_GET_EVENTS = select(*COLUMNS).where(T.c.event_id.in_(bindparam("ids", expanding=True)))
_STREAMS_EXIST = select(T.c.stream).where(
    T.c.stream.in_(bindparam("streams", expanding=True)), T.c.version == 1
)


def in_order(stream: str) -> bool:
    """Whether a stream's events happen in the order they were recorded: true of a record with a
    lifecycle (an intelligence record is allocated after it is logged; a visit completed after
    it is planned; the contract's escalation moves stage by stage); false of a provider's own
    stream, whose events are independent facts about it (its details, CQC reports, risk
    criteria, owners), each counting from its own date (an old CQC report imported late)."""
    return not stream.startswith("provider-") or stream.startswith("provider-failure-")


def happened_times(events: Iterable[StoredEvent]) -> dict[int, datetime]:
    """When each event counts as having happened, by log position: its ``occurred_at``, except
    that on a record whose events happen in order (``in_order``) nothing happens before the
    event it follows there: an event dated before its predecessor on the same record (a typing
    slip) counts from the predecessor's time, so that a fold can replay the record. Wherever a
    record's events are dated in order (as the demonstration's and every ordinary use's are)
    this is ``occurred_at``."""
    latest: dict[str, datetime] = {}
    out: dict[int, datetime] = {}
    for e in sorted(events, key=lambda e: e.position):  # a stream's versions in log order
        at = aware(e.occurred_at)
        if in_order(e.stream):
            before = latest.get(e.stream)
            if before is not None and before > at:
                at = before
            latest[e.stream] = at
        out[e.position] = at
    return out


def happened_order(events: Iterable[StoredEvent]) -> list[StoredEvent]:
    """In the order things happened (``happened_times``), ties (the same instant) by log
    position: each record's events stay in version order, so a fold can replay them."""
    listed = list(events)
    times = happened_times(listed)
    return sorted(listed, key=lambda e: (times[e.position], e.position))


def happened_by(events: Iterable[StoredEvent], instant: datetime) -> list[StoredEvent]:
    """The events that had happened by ``instant`` (``happened_times`` at or before it), in the
    order given: *as it happened at* ``instant``, by everything recorded, early or late."""
    listed = list(events)
    times = happened_times(listed)
    limit = aware(instant)
    return [e for e in listed if times[e.position] <= limit]


class LogReader:
    """Reads of the log. ``fetch`` runs the hot prepared reads (streams, histories); without
    one they run through SQLAlchemy (PostgreSQL passes the driver's faster path)."""

    def __init__(self, engine: Engine, fetch: Fetch | None = None) -> None:
        self.engine = engine
        self._fetch = fetch or self._fetch_with_sqlalchemy

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A connection for queries, its driver errors translated into the store's."""
        try:
            with reading(self.engine) as conn:
                yield conn
        except DBAPIError as exc:
            raise translate_db_error(exc) from exc

    def _fetch_with_sqlalchemy(self, query: Select, params: dict[str, Any]) -> list[Any]:
        with self.connection() as conn:
            return list(conn.execute(query, params))

    def read_stream(
        self, stream: str, from_version: int = 1, to_version: int | None = None
    ) -> list[StoredEvent]:
        """One stream's events, from ``from_version`` (1 = the first) in version order."""
        query, params = _READ_STREAM, {"s": stream, "v": from_version}
        if to_version is not None:
            query, params["to"] = _READ_STREAM_TO, to_version
        return [row_to_event(r) for r in self._fetch(query, params)]

    def stream_version(self, stream: str) -> int:
        """The stream's current version; 0 when it does not exist."""
        with self.connection() as conn:
            v = conn.execute(select(func.max(T.c.version)).where(T.c.stream == stream)).scalar()
        return v or 0

    def read_history(
        self,
        provider_id: str,
        as_of: datetime | None = None,
        *,
        happened_at: datetime | None = None,
        order: Order = "recorded",
    ) -> list[StoredEvent]:
        """Everything recorded about one provider, across all its streams: one indexed read of
        that provider's events (``ix_events_provider_position``), never a scan of the log.

        ``as_of`` (*as known at*) keeps only what had been recorded by that instant (what the
        system knew then); ``happened_at`` (*as it happened at*) only what had happened by then,
        whenever it was recorded (``happened_by``). ``order``: ``recorded`` (log position) or
        ``happened`` (``happened_order``).
        """
        if as_of is None:
            rows = self._fetch(_HISTORY, {"p": provider_id})
        else:
            rows = self._fetch(_HISTORY_AS_OF, {"p": provider_id, "as_of": aware(as_of)})
        events = [row_to_event(r) for r in rows]
        if happened_at is not None:
            events = happened_by(events, happened_at)
        return happened_order(events) if order == "happened" else events

    def read_all(
        self, after: int = 0, limit: int = 1000, types: Iterable[str] | None = None
    ) -> list[StoredEvent]:
        """One page of the whole log after position ``after``, in position order. Gap-free."""
        query = select(*COLUMNS).where(T.c.position > after)
        if types is not None:
            query = query.where(T.c.type.in_(list(types)))
        query = query.order_by(T.c.position).limit(limit)
        with self.connection() as conn:
            return [row_to_event(r) for r in conn.execute(query)]

    def iter_all(
        self, after: int = 0, page: int = 5000, until: int | None = None
    ) -> Iterator[list[StoredEvent]]:
        """Pages of the whole log after ``after`` (up to ``until`` if given), streamed."""
        while True:
            batch = self.read_all(after, page)
            if until is not None:
                batch = [e for e in batch if e.position <= until]
            if not batch:
                return
            yield batch
            after = batch[-1].position
            if len(batch) < page:
                return

    def head_position(self) -> int:
        """The position of the last event stored (0 for an empty log)."""
        with self.connection() as conn:
            return conn.execute(select(func.max(T.c.position))).scalar() or 0

    def count(self) -> int:
        with self.connection() as conn:
            return conn.execute(select(func.count()).select_from(T)).scalar() or 0

    def get_events(self, event_ids: Iterable[str | uuid.UUID]) -> dict[str, StoredEvent]:
        ids = [str(i) for i in event_ids]
        found: dict[str, StoredEvent] = {}
        with self.connection() as conn:
            for chunk in chunks(ids, 500):
                for row in conn.execute(_GET_EVENTS, {"ids": list(chunk)}):
                    ev = row_to_event(row)
                    found[ev.event_id] = ev
        return found

    def streams_exist(self, streams: Iterable[str]) -> set[str]:
        names = list(streams)
        found: set[str] = set()
        with self.connection() as conn:
            for chunk in chunks(names, 500):
                found.update(r[0] for r in conn.execute(_STREAMS_EXIST, {"streams": list(chunk)}))
        return found

    def ping(self) -> None:
        with self.connection() as conn:
            conn.execute(select(1))
