"""SQLite appends: the shared locked path, with SQLAlchemy for the heads and the insert."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select

from casework.events.schema import events as T
from casework.events.store.heads import Head, head_sql
from casework.events.store.rows import chunks
from casework.events.store.writing import Writer


class SqliteWriter(Writer):
    head_sql = head_sql(":s")

    def lock(self, conn: Connection) -> None:
        """Nothing to take: ``BEGIN IMMEDIATE`` (casework_write) already holds the database."""

    def saw_head(self, stream: str, version: int, digest: str) -> None:
        """Not remembered: every SQLite append reads its heads inside its transaction."""

    def many_heads(self, conn: Connection, streams: Sequence[str]) -> dict[str, Head]:
        heads: dict[str, Head] = {}
        for chunk in chunks(streams, 500):
            latest = (
                select(T.c.stream, func.max(T.c.version).label("v"))
                .where(T.c.stream.in_(chunk))
                .group_by(T.c.stream)
                .subquery()
            )
            query = select(T.c.stream, T.c.version, T.c.hash).join(
                latest, and_(T.c.stream == latest.c.stream, T.c.version == latest.c.v)
            )
            for stream, version, digest in conn.execute(query):
                heads[stream] = (version, digest)
        return heads

    def insert(self, conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
        result = conn.execute(
            insert(T).returning(T.c.position, T.c.event_id, sort_by_parameter_order=True), rows
        )
        return {event_id: position for position, event_id in result}
