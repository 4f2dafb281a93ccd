"""PostgreSQL statements through the pooled psycopg connection in autocommit, bypassing
SQLAlchemy's Connection and result layer where their cost shows (the hot reads and the
one-round-trip append)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import psycopg
from sqlalchemy import Dialect, Engine, Select

from casework.events.errors import StoreError, StoreUnavailable
from casework.events.store.database import driver_connection
from casework.events.store.errors import UniqueViolation
from casework.logs import error_text


@cache
def _driver_sql(query: Select, dialect: Dialect) -> str:
    """A prepared read as the driver's SQL text, compiled once (named parameters)."""
    return str(query.compile(dialect=dialect))


class PostgresDriver:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def fetch(self, query: Select, params: dict[str, Any]) -> list[Any]:
        """The rows of a prepared read, through the pooled driver connection in autocommit and
        binary format: SQLAlchemy's row layer and its isolation-level switch cost about a third
        of reading a provider's history, and the server formats no timestamps."""
        with self.autocommit() as pooled:
            return self.call(pooled, _driver_sql(query, self.engine.dialect), params, binary=True)

    @contextmanager
    def autocommit(self) -> Iterator[Any]:
        """A pooled connection in autocommit, without SQLAlchemy's Connection: its isolation
        level option costs a fifth of a one-round-trip append (set on checkout, reset on
        checkin). The pool's reset on return is a local no-op outside a transaction."""
        pooled = self.engine.raw_connection()
        try:
            try:
                driver_connection(pooled).autocommit = True
            except psycopg.Error as exc:  # closed while it waited in the pool
                pooled.invalidate(exc)
                raise StoreUnavailable(f"the database is unavailable: {error_text(exc)}") from exc
            yield pooled
        finally:
            if pooled.is_valid:  # not invalidated by a lost connection
                driver_connection(pooled).autocommit = False
            pooled.close()

    @staticmethod
    def call(pooled: Any, sql: str, params: Any, *, binary: bool = False) -> list[Any]:
        """One statement through the driver's cursor (SQLAlchemy's result layer costs a fifth
        of a one-round-trip append), its errors mapped as SQLAlchemy would map them."""
        try:
            with pooled.driver_connection.cursor(binary=binary) as cursor:
                return cursor.execute(sql, params).fetchall()
        except psycopg.errors.UniqueViolation as exc:
            raise UniqueViolation() from exc
        except psycopg.OperationalError as exc:
            pooled.invalidate(exc)  # never handed out again
            raise StoreUnavailable(f"the database is unavailable: {error_text(exc)}") from exc
        except psycopg.Error as exc:
            raise StoreError(f"database error: {error_text(exc)}") from exc
