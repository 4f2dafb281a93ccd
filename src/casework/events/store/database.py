"""Engines for the two backends, and the schema migrations applied on first use.

SQLite runs in WAL mode with a busy timeout; write transactions start with ``BEGIN IMMEDIATE``
(ask for it with ``engine.connect().execution_options(casework_write=True)``) so that a reader
never has to upgrade its lock half-way through a transaction. PostgreSQL uses psycopg 3.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from casework.events.errors import SchemaOutOfDate, StoreUnavailable
from casework.logs import error_text

# Any constant works; it only has to be the same in every process.
MIGRATION_LOCK_KEY = 0x6361_7365_0001


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def make_engine(url: str, *, sqlite_synchronous: str = "FULL", **kw: Any) -> Engine:
    """An engine for ``url`` (``sqlite:///file.db`` or ``postgresql+psycopg://...``)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        return _sqlite_engine(url, sqlite_synchronous, **kw)
    # No pre-ping round trip per checkout: a connection found dead raises StoreUnavailable once
    # (HTTP 503) and SQLAlchemy then replaces the whole pool.
    kw.setdefault("pool_size", 10)
    kw.setdefault("max_overflow", 20)
    # Sessions in UTC: psycopg then returns timestamps with ``datetime.UTC`` itself, which the
    # store hands on untouched (a ZoneInfo('Etc/UTC') would need converting on every row).
    # Casework's SQL does no time-zone-dependent arithmetic; every timestamp is timestamptz.
    if "options=" not in url:
        connect_args = dict(kw.pop("connect_args", {}))
        connect_args.setdefault("options", "-c TimeZone=UTC")
        kw["connect_args"] = connect_args
    return create_engine(url, hide_parameters=True, **kw)  # no values in errors: docs/security.md


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for queries only. On PostgreSQL in autocommit: READ COMMITTED gives each
    statement its own snapshot anyway, so a transaction would only add BEGIN and ROLLBACK round
    trips."""
    with engine.connect() as conn:
        if is_postgres(engine):
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


def _sqlite_engine(url: str, synchronous: str, **kw: Any) -> Engine:
    memory = url in ("sqlite://", "sqlite:///:memory:")
    if memory:
        raise ValueError("an in-memory SQLite store loses everything; give a file path")
    if kw.pop("null_pool", False):
        kw["poolclass"] = NullPool
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                           hide_parameters=True, **kw)  # no values in errors: docs/security.md

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so BEGIN is ours to issue (SQLAlchemy docs,
        # "Serializable isolation / Savepoints / Transactional DDL" for pysqlite).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # Deleted content is overwritten with zeros, so an erased person's key row leaves no copy
        # in the file once the erasure checkpoints the WAL (docs/security.md, "Erasure").
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("casework_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _alembic_config(connection: Any) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "casework:migrations")
    cfg.attributes["connection"] = connection
    return cfg


def schema_heads() -> set[str]:
    return set(ScriptDirectory.from_config(_alembic_config(None)).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())


def schema_is_current(engine: Engine) -> bool:
    return current_revisions(engine) == schema_heads()


def upgrade_schema(engine: Engine) -> set[str]:
    """Apply every pending migration. Safe to run from several processes at once."""
    try:
        with engine.connect().execution_options(casework_write=True) as conn:
            with conn.begin():
                if is_postgres(engine):
                    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
                _forget_superseded(conn)
                command.upgrade(_alembic_config(conn), "heads")
    except DBAPIError as exc:
        if exc.connection_invalidated or "could not connect" in str(exc) or "Connection refused" in str(exc):
            raise StoreUnavailable(f"database unreachable: {error_text(exc)}") from exc
        raise
    return current_revisions(engine)


def _forget_superseded(conn: Any) -> None:
    """Until 0.1 the migrations were three branches off 0001, so a database upgraded then records
    three heads (0002, 0003, 0004). They now form one chain; a recorded revision that another
    recorded one descends from is already applied, so only the newest is kept."""
    recorded = set(MigrationContext.configure(conn).get_current_heads())
    if len(recorded) < 2:
        return
    script = ScriptDirectory.from_config(_alembic_config(None))
    known = recorded & _all_revisions()
    superseded = {
        older
        for newer in known
        for rev in script.iterate_revisions(newer, "base")
        if (older := rev.revision) != newer and older in known
    }
    for revision in sorted(superseded):
        conn.execute(text("DELETE FROM alembic_version WHERE version_num = :v"), {"v": revision})


def ensure_schema(engine: Engine) -> None:
    """Create or migrate the schema if it is behind; refuse a schema newer than this code."""
    current = current_revisions(engine)
    heads = schema_heads()
    if current == heads:
        return
    unknown = current - _all_revisions()
    if unknown:
        raise SchemaOutOfDate(
            f"the database has migrations this version of Casework does not know ({sorted(unknown)}): "
            "upgrade Casework"
        )
    upgrade_schema(engine)


def _all_revisions() -> set[str]:
    script = ScriptDirectory.from_config(_alembic_config(None))
    return {rev.revision for rev in script.walk_revisions()}


def driver_connection(source: Connection | Any) -> Any:
    """The DBAPI driver's own connection (psycopg's or sqlite3's) under a SQLAlchemy Connection
    or a pooled raw connection, for the few paths that need the driver itself (COPY, LISTEN,
    binary cursors, PRAGMAs)."""
    pooled = source.connection if isinstance(source, Connection) else source
    raw = pooled.driver_connection
    if raw is None:
        raise RuntimeError("the pooled connection has been closed")
    return raw
