"""Creating and dropping tables: the runner's checkpoint table, once per process, and a
projection's read-model tables, dropped and created again (empty) by a rebuild."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import Connection, Engine, Index, Table, text
from sqlalchemy.schema import CreateIndex, CreateTable

from casework.projections import checkpoints
from casework.projections.base import Projection
from casework.projections.locks import write_transaction

# Serialises creating the runner's own table across processes (PostgreSQL).
_DDL_LOCK_KEY = 0x6361_7365_0004


def ensure_checkpoint_table(engine: Engine) -> None:
    with write_transaction(engine) as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _DDL_LOCK_KEY})
        checkpoints.ensure_table(conn)


def recreate(conn: Connection, projections: Iterable[Projection]) -> None:
    """Drop the read-model tables of ``projections`` and create them again, empty, in ``conn``'s
    transaction (readers see the old rows until it commits), without the indexes their rebuild
    builds after its load (``create_loaded_indexes``)."""
    for projection in projections:
        for table in reversed(projection.tables):
            table.drop(conn, checkfirst=True)
        create_for_load(conn, projection.tables, deferred_indexes(projection))


def create_for_load(conn: Connection, tables: Iterable[Table], later: Collection[Index]) -> None:
    """Create ``tables`` (absent) with their keys and constraints and every index but ``later``."""
    for table in tables:
        conn.execute(CreateTable(table))
        for index in table.indexes:
            if index not in later:
                conn.execute(CreateIndex(index))


def deferred_indexes(projection: Projection) -> list[Index]:
    """The indexes a rebuild of ``projection`` creates once its tables are loaded: those its
    rebuild does not read its tables back by (``rebuild_reads_by``, a collection of indexes;
    without one, none is deferred). Keys and constraints are always made with the table.
    One sorted build of an index costs less than keeping it through the bulk load: at 1M
    events, random inserts into triage's five indexes (larger than shared_buffers) made its
    rebuild's writes grow x21 for x9.6 events (benchmarks/README.md, Growth)."""
    reads_by = getattr(projection, "rebuild_reads_by", None)
    if reads_by is None:
        return []
    return [index for table in projection.tables for index in table.indexes if index not in reads_by]


def create_loaded_indexes(conn: Connection, projections: Iterable[Projection]) -> None:
    """Create the indexes ``recreate`` (or a blue/green rebuild) left for after the load."""
    for projection in projections:
        for index in deferred_indexes(projection):
            conn.execute(CreateIndex(index))


__all__ = [
    "create_for_load", "create_loaded_indexes", "deferred_indexes", "ensure_checkpoint_table",
    "recreate",
]
