"""A projection as a pure fold over partitions, plus the plumbing that stores it.

A ``PartitionedFold`` splits the log into partitions (a provider, a stream...). Its state per
partition is a plain JSON-ready dict built by the pure ``fold(state, event)``; its query tables
are a pure function of that state (``rows``). The state itself is kept in ``<name>_state`` so
that a page of events needs one set-based read (the states of the partitions it touches), the
same fold in memory, and batched writes (delete those partitions' rows, insert the new ones).

Rebuild folds the whole log into dicts in memory and writes every row once, in bulk. Both paths
run the same ``fold`` and the same ``rows``, which is why a rebuilt read model equals the
incrementally built one (tests/projections/test_rebuild_equals_incremental.py).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Collection, Iterable
from typing import Any, ClassVar

import orjson
from rbloom import Bloom
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Delete,
    Index,
    Insert,
    Select,
    Table,
    Text,
    bindparam,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from casework.events.base import event_class, upcast
from casework.events.errors import UnknownEventType
from casework.events.store import StoredEvent
from casework.events.store.database import driver_connection
from casework.projections.base import read_models
from casework.projections.runner import ProjectionHalted

State = dict[str, Any]
_CHUNK = 500
_INSERT_BATCH = 5000


def state_table(name: str) -> Table:
    """The table holding each partition's folded state (JSON)."""
    return Table(
        f"{name}_state",
        read_models,
        Column("partition", Text, primary_key=True),  # a stream or an id: unbounded
        Column("state", Text, nullable=False),
    )


def current_data(event: StoredEvent) -> dict[str, Any]:
    """The event's data lifted to its current schema (no pydantic validation: rebuild speed)."""
    try:
        current = event_class(event.type).schema_version
    except UnknownEventType:
        return event.data
    if event.schema_version == current:
        return event.data
    return upcast(event.type, event.schema_version, event.data)


class PartitionedFold:
    """Base class. Subclasses set ``name``, ``version``, ``event_types``, ``query_tables`` (each
    with a ``partition`` column) and implement ``partition``, ``fold`` and ``rows``.

    ``counted_by`` (optional): a column of a query table with one row per partition (a record's
    lifecycle state, say); the read model then keeps how many partitions have each value of it
    in ``<name>_counts``, moved by each apply (from the rows ``rows`` gives) and recounted from
    the column at the end of a rebuild, so that "how many" never counts every row
    (``count_of(projection.counts, ...)``)."""

    name: ClassVar[str]
    version: ClassVar[int]
    event_types: ClassVar[Collection[str] | None]
    query_tables: ClassVar[list[Table]] = []
    state: ClassVar[Table]
    # Its rebuild reads its tables back by partition only (the keys): every other index is
    # created after the load (casework.projections.tables.deferred_indexes).
    rebuild_reads_by: ClassVar[frozenset[Index]] = frozenset()

    counted_by: ClassVar[Column[Any] | None] = None
    # The table of partition counts by ``counted_by`` (None: none kept).
    counts: ClassVar[Table | None] = None

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if "name" in cls.__dict__:
            cls.state = state_table(cls.name)
            if getattr(cls, "counted_by", None) is not None:
                cls.counts = counts_table(cls.name)

    @property
    def tables(self) -> list[Table]:
        return [*self.partitioned_tables, *([self.counts] if self.counts is not None else [])]

    @property
    def partitioned_tables(self) -> list[Table]:
        """The tables holding rows of each partition (all but the counts)."""
        return [self.state, *self.query_tables]

    def counted(self, partition: str, state: State) -> Any:
        """The value of ``counted_by`` in the partition's row (None: it has none)."""
        column = self.counted_by
        assert column is not None
        rows = self.rows(partition, state).get(column.table.name)
        return rows[0][column.name] if rows else None

    # --------------------------------------------------------------------------- to implement
    def partition(self, event: StoredEvent) -> str | None:
        """The partition an event belongs to (None: not this projection's concern)."""
        raise NotImplementedError

    def fold(self, state: State | None, event: StoredEvent) -> State:
        """Pure: the partition's state after ``event``."""
        raise NotImplementedError

    def rows(self, partition: str, state: State) -> dict[str, list[dict[str, Any]]]:
        """Pure: the query-table rows (by table name) that show ``state``; each row is given its
        ``partition`` column by the caller."""
        return {}

    # --------------------------------------------------------------------------- pure folding
    def fold_all(self, events: Iterable[StoredEvent], states: dict[str, State]) -> set[str]:
        """Fold ``events`` into ``states`` in place; returns the partitions touched.

        Raises ProjectionHalted naming the event a fold could not apply."""
        touched: set[str] = set()
        fold, partition_of = self.fold, self.partition
        for event in events:
            key = partition_of(event)
            if key is None:
                continue
            try:
                states[key] = fold(states.get(key), event)
            except Exception as exc:
                raise ProjectionHalted(self.name, event, exc) from exc
            touched.add(key)
        return touched

    # --------------------------------------------------------------------------- persistence
    def apply(self, conn: Connection, events: list[StoredEvent]) -> None:
        keys = {k for k in map(self.partition, events) if k is not None}
        if not keys:
            return
        states = self.load(conn, keys)
        # Rows are a pure function of the state, so the rows stored for a partition are those
        # of its stored state (read before folding, which changes the states in place).
        stored_in = self._tables_holding(states)
        was = {k: self.counted(k, v) for k, v in states.items()} if self.counts is not None else {}
        touched = self.fold_all(events, states)
        if self.counts is not None:
            self._move_counts(conn, was, {k: self.counted(k, states[k]) for k in touched})
        new_rows = self._rows_by_table({k: states[k] for k in touched})
        for table in self.partitioned_tables:
            rows = new_rows[table.name]
            had = {k for k in touched if table.name in stored_in.get(k, ())}
            upsert = _keyed_by_partition(table)
            if upsert:  # one row per partition: replaced in place, deleted only when gone
                had.difference_update(r["partition"] for r in rows)
            ordered = sorted(had)
            for i in range(0, len(ordered), _CHUNK):
                conn.execute(_delete_partitions(table), {"keys": ordered[i : i + _CHUNK]})
            _write_rows(conn, table, rows, upsert=upsert)

    def _move_counts(self, conn: Connection, was: dict[str, Any], now: dict[str, Any]) -> None:
        """Add the partitions that came to a value, take away those that left one."""
        assert self.counts is not None
        moves: dict[str, int] = {}
        for key, counted in now.items():
            before = was.get(key)
            if before == counted:
                continue
            if counted is not None:
                moves[counted] = moves.get(counted, 0) + 1
            if before is not None:
                moves[before] = moves.get(before, 0) - 1
        changed = [{"key": k, "n": n} for k, n in sorted(moves.items()) if n]
        if changed:
            conn.execute(_add_counts(self.counts, conn.dialect.name), changed)
        if any(n < 0 for n in moves.values()):  # a key nobody has left: as a recount has it
            conn.execute(delete(self.counts).where(self.counts.c.n == 0))

    def recount(self, conn: Connection) -> None:
        """After a rebuild: the counts from the partitions' rows (one pass, in the database)."""
        if self.counts is None:
            return
        column = self.counted_by
        assert column is not None
        conn.execute(delete(self.counts))
        conn.execute(insert(self.counts).from_select(
            ["key", "n"],
            select(column, func.count()).where(column.is_not(None)).group_by(column),
        ))


    def _tables_holding(self, states: dict[str, State]) -> dict[str, set[str]]:
        """For each stored partition, the names of the tables its rows are in."""
        held: dict[str, set[str]] = {}
        for key, state in states.items():
            names = {self.state.name}
            names.update(name for name, rows in self.rows(key, state).items() if rows)
            held[key] = names
        return held

    def rebuilder(self, conn: Connection) -> FoldRebuild:
        """For the runner's single pass over the log shared by every projection it rebuilds."""
        return FoldRebuild(self, conn)

    def load(self, conn: Connection, keys: Collection[str]) -> dict[str, State]:
        states: dict[str, State] = {}
        ordered = sorted(keys)
        for i in range(0, len(ordered), _CHUNK):
            for key, blob in conn.execute(_load_states(self.state), {"keys": ordered[i : i + _CHUNK]}):
                states[key] = orjson.loads(blob)
        return states

    def _rows_by_table(self, states: dict[str, State]) -> dict[str, list[dict[str, Any]]]:
        """The rows of every table (the state table's included) that show ``states``."""
        by_table: dict[str, list[dict[str, Any]]] = {t.name: [] for t in self.partitioned_tables}
        state_rows = by_table[self.state.name]
        for key, state in states.items():
            state_rows.append({"partition": key, "state": orjson.dumps(state).decode()})
            for table_name, rows in self.rows(key, state).items():
                target = by_table[table_name]
                for row in rows:
                    row["partition"] = key
                    target.append(row)
        return by_table

    def insert_new(self, conn: Connection, states: dict[str, State]) -> None:
        """Insert the rows of partitions that have none (a rebuild's tables start empty)."""
        by_table = self._rows_by_table(states)
        for table in self.partitioned_tables:
            _write_rows(conn, table, by_table[table.name], upsert=False)


class FoldRebuild:
    """A rebuild in progress (the tables start empty): ``fold`` pages of the projection's
    events (position order) into plain dicts in memory; ``finish`` writes the rows.

    Memory stays bounded: once ``limit`` partitions are in memory they are all written and
    dropped (a write-back cache). A partition met again after that is read back from its state
    row first, and its rows are replaced at the next write, as the incremental ``apply`` does;
    of the partitions written only a Bloom filter of their keys stays in memory (WrittenKeys)."""

    def __init__(self, projection: PartitionedFold, conn: Connection, limit: int | None = None) -> None:
        self.projection = projection
        self.conn = conn
        self.limit = limit or REBUILD_PARTITIONS_IN_MEMORY
        self.states: dict[str, State] = {}
        self.written = WrittenKeys()

    def fold(self, events: list[StoredEvent]) -> None:
        p, states = self.projection, self.states
        if self.written:
            keys = {k for k in map(p.partition, events) if k is not None}
            back = [k for k in keys if k not in states and k in self.written]
            if back:
                states.update(p.load(self.conn, back))
        p.fold_all(events, states)
        if len(states) >= self.limit:
            self._write()

    def finish(self) -> None:
        self._write()
        self.written = WrittenKeys()
        self.projection.recount(self.conn)

    def _write(self) -> None:
        """Write every state in memory (replacing rows written before), in chunks released as
        they go, so the rows of every partition are never all in memory beside the states."""
        p, conn = self.projection, self.conn
        states, self.states = self.states, {}
        again = sorted(k for k in states if k in self.written)
        for table in p.partitioned_tables:
            for i in range(0, len(again), _CHUNK):
                conn.execute(_delete_partitions(table), {"keys": again[i : i + _CHUNK]})
        self.written.update(states)
        while states:
            chunk = {}
            for _ in range(min(_FINISH_CHUNK, len(states))):
                key, state = states.popitem()
                chunk[key] = state
            p.insert_new(conn, chunk)


class WrittenKeys:
    """The keys a rebuild has written out and may meet again, in Bloom filters: ~2 bytes a key
    where a set of strings takes ~100 (a national log has tens of millions of partitions).
    ``key in written`` is True for every key added; for a key never added it is sometimes True
    (0.1 % a filter: about 1 % with the ten filters of 60 million keys), which costs a read back
    that finds nothing and a delete of no rows. Filters are added as keys come, each twice the
    size of the one before."""

    def __init__(self, first: int | None = None) -> None:
        self._filters: list[Bloom] = []
        self._next = first or WRITTEN_FIRST_FILTER
        self._room = 0

    def __bool__(self) -> bool:
        return bool(self._filters)

    def __contains__(self, key: str) -> bool:
        # Not any(<generator>): this runs for most events of a rebuild, and the generator cost
        # three times the loop.
        for f in self._filters:  # noqa: SIM110
            if key in f:
                return True
        return False

    def update(self, keys: Iterable[str]) -> None:
        pending = [k for k in keys if k not in self]  # written again: already there
        while pending:
            if self._room == 0:
                self._filters.append(Bloom(self._next, WRITTEN_FALSE_POSITIVES))
                self._room, self._next = self._next, self._next * 2
            taken, pending = pending[: self._room], pending[self._room :]
            self._filters[-1].update(taken)
            self._room -= len(taken)


# How often WrittenKeys may say a key was written when it was not (each filter), and how many
# keys its first filter holds.
WRITTEN_FALSE_POSITIVES = 0.001
WRITTEN_FIRST_FILTER = 1 << 16

# Partitions a rebuild holds in memory before writing them out (see FoldRebuild).
REBUILD_PARTITIONS_IN_MEMORY = 10_000
_FINISH_CHUNK = 20_000


# COPY pays a round trip to start and end; below this many rows an INSERT is no slower.
_COPY_FROM = 200


# Statements built once per table: building one costs more than SQLAlchemy running it.
def count_of(counts: Table, conn: Connection, keys: Collection[str] | None = None) -> int:
    """How many partitions have any of ``keys`` (None: how many there are), from a projection's
    ``counts``: a row a key, however many partitions."""
    query = select(func.coalesce(func.sum(counts.c.n), 0))
    if keys is not None:
        query = query.where(counts.c.key.in_(list(keys)))
    return int(conn.execute(query).scalar_one())


def counts_table(name: str) -> Table:
    """``<name>_counts``: how many partitions have each value of ``PartitionedFold.counted_by``."""
    return Table(f"{name}_counts", read_models,
                 Column("key", Text, primary_key=True), Column("n", BigInteger, nullable=False))


@functools.cache
def _add_counts(table: Table, dialect: str) -> Insert:
    """INSERT ... ON CONFLICT (key) DO UPDATE SET n = n + excluded.n (both backends)."""
    add = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return add.on_conflict_do_update(index_elements=[table.c.key],
                                     set_={"n": table.c.n + add.excluded.n})


@functools.cache
def _load_states(state: Table) -> Select:
    return select(state.c.partition, state.c.state).where(
        state.c.partition.in_(bindparam("keys", expanding=True))
    )


@functools.cache
def _delete_partitions(table: Table) -> Delete:
    return delete(table).where(table.c.partition.in_(bindparam("keys", expanding=True)))


@functools.cache
def _insert_rows(table: Table) -> Insert:
    return insert(table)


def _write_rows(conn: Connection, table: Table, rows: list[dict[str, Any]], *, upsert: bool) -> None:
    if not upsert and len(rows) >= _COPY_FROM and conn.dialect.name == "postgresql":
        copy_rows(conn, table, rows)
        return
    statement = _upsert_rows(table, conn.dialect.name) if upsert else _insert_rows(table)
    for i in range(0, len(rows), _INSERT_BATCH):
        conn.execute(statement, rows[i : i + _INSERT_BATCH])


def _keyed_by_partition(table: Table) -> bool:
    return [c.name for c in table.primary_key.columns] == ["partition"]


@functools.cache
def _upsert_rows(table: Table, dialect: str) -> Insert:
    """INSERT ... ON CONFLICT (partition) DO UPDATE: one statement instead of a delete and an
    insert for tables holding one row per partition (SQLite and PostgreSQL alike)."""
    upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    changed = {c.name: upsert.excluded[c.name] for c in table.columns if c.name != "partition"}
    return upsert.on_conflict_do_update(index_elements=[table.c.partition], set_=changed)


def copy_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Bulk rows into PostgreSQL with COPY (a rebuild writes every row once). A column a row
    leaves out is NULL."""
    names = [c.name for c in table.columns]
    statement = f'COPY "{table.name}" ({", ".join(chr(34) + n + chr(34) for n in names)}) FROM STDIN'
    # A row's values in one C call, where the row has them all (of one name, itemgetter gives
    # the value itself, not a tuple).
    values: Any = operator.itemgetter(*names) if len(names) > 1 else lambda row: (row[names[0]],)
    cursor = driver_connection(conn).cursor()
    try:
        with cursor.copy(statement) as copy:
            write = copy.write_row
            for row in rows:
                try:
                    write(values(row))
                except KeyError:
                    write([row.get(n) for n in names])
    finally:
        cursor.close()


__all__ = [
    "FoldRebuild", "PartitionedFold", "State", "WrittenKeys", "count_of", "current_data", "state_table",
]
