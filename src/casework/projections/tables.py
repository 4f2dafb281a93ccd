"""Creating and dropping tables: the runner's checkpoint table, once per process, and a
projection's read-model tables, dropped and created again (empty) by a rebuild."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, Engine, text

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
    transaction (readers see the old rows until it commits)."""
    for projection in projections:
        for table in reversed(projection.tables):
            table.drop(conn, checkfirst=True)
        for table in projection.tables:
            table.create(conn, checkfirst=True)


__all__ = ["ensure_checkpoint_table", "recreate"]
