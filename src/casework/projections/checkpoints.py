"""Where each projection has got to in the log: one row per projection (name, version, position).

The row is written in the same transaction as the read-model rows it vouches for, so after a
crash the read model and its checkpoint agree. The table is disposable like the read models
(no migration): losing it only means the runner rebuilds every projection from the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    delete,
    insert,
    select,
    update,
)

# Its own MetaData: dropping every read model must never drop the checkpoints with them.
runner_metadata = MetaData()

checkpoints = Table(
    "projection_checkpoints",
    runner_metadata,
    Column("name", String(100), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # Why the projection stopped (the event it could not apply), cleared when it moves again.
    Column("halted", Text, nullable=True),
)


# Built once: the in-process catch-up runs these after every append.
_READ_ALL = select(checkpoints)
_ADVANCE = (
    update(checkpoints)
    .where(checkpoints.c.name.in_(bindparam("names", expanding=True)))
    .values(position=bindparam("p"), updated_at=bindparam("now"), halted=None)
)


@dataclass(frozen=True)
class Checkpoint:
    name: str
    version: int
    position: int
    updated_at: datetime
    halted: str | None = None


def ensure_table(conn: Connection) -> None:
    runner_metadata.create_all(conn, checkfirst=True)


def read(conn: Connection, name: str) -> Checkpoint | None:
    row = conn.execute(select(checkpoints).where(checkpoints.c.name == name)).first()
    return Checkpoint(*row) if row else None


def read_all(conn: Connection) -> dict[str, Checkpoint]:
    return {row[0]: Checkpoint(*row) for row in conn.execute(_READ_ALL)}


def write(conn: Connection, name: str, version: int, position: int, now: datetime) -> None:
    """Move the checkpoint (creating it); clears any halt."""
    values = {"version": version, "position": position, "updated_at": now, "halted": None}
    done = conn.execute(update(checkpoints).where(checkpoints.c.name == name).values(**values))
    if done.rowcount == 0:
        conn.execute(insert(checkpoints).values(name=name, **values))


def advance(conn: Connection, names: list[str], position: int, now: datetime) -> None:
    """Move several existing checkpoints to ``position`` in one statement; clears any halt."""
    conn.execute(_ADVANCE, {"names": list(names), "p": position, "now": now})


def mark_halted(conn: Connection, name: str, reason: str) -> None:
    conn.execute(update(checkpoints).where(checkpoints.c.name == name).values(halted=reason))


def forget(conn: Connection, name: str) -> None:
    conn.execute(delete(checkpoints).where(checkpoints.c.name == name))
