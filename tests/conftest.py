"""Shared fixtures. Store-touching tests take ``database_url`` (or ``casework``) and so run twice:
on a temporary SQLite file and on PostgreSQL (``CASEWORK_TEST_DATABASE_URL``).

In CI (``CI=true``) the PostgreSQL half must run: an unreachable server fails the run.
On a developer's machine without PostgreSQL it is skipped with a message saying how to run it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from casework.bootstrap import Casework, bootstrap
from casework.clock import FixedClock
from casework.domain.actors import Actor, Role
from casework.events.store.database import make_engine, upgrade_schema
from casework.evidence.signing import SigningKeys
from casework.settings import Settings

PG_URL = os.environ.get("CASEWORK_TEST_DATABASE_URL", "")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_HOWTO = (
    "PostgreSQL tests skipped: set CASEWORK_TEST_DATABASE_URL="
    "postgresql+psycopg://postgres@127.0.0.1:5432/postgres (a server you may create databases on) "
    "and run make test again"
)
_pg_state: dict[str, object] = {}


def pytest_report_header(config: pytest.Config) -> str:
    if PG_URL:
        return f"casework store backends: sqlite, postgresql ({make_url(PG_URL).render_as_string()})"
    return f"casework store backends: sqlite only. {PG_HOWTO}"


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    if not PG_URL:
        terminalreporter.write_line(f"NOTE: {PG_HOWTO}", yellow=True)


def _pg_test_database(worker: str) -> str:
    """Create (once per session and worker) an empty database with the schema migrated."""
    if "url" in _pg_state:
        return str(_pg_state["url"])
    admin_url = make_url(PG_URL).set(drivername="postgresql+psycopg")
    # One database per pytest process: several runs (and xdist workers) may share a server.
    name = f"casework_test_{worker}_{os.getpid()}"
    try:
        admin = create_engine(admin_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # the server is down or refuses us
        message = f"PostgreSQL at {admin_url.render_as_string()} is unreachable: {exc}"
        if IN_CI:
            pytest.fail(f"{message} (CI must run the PostgreSQL tests)", pytrace=False)
        pytest.skip(f"{message}. {PG_HOWTO}")
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade_schema(engine)
    engine.dispose()
    _pg_state["url"] = url
    _pg_state["name"] = name
    _pg_state["admin"] = admin_url.set(database="postgres")
    return url


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop this run's PostgreSQL database."""
    if "name" not in _pg_state:
        return
    try:
        admin = create_engine(_pg_state["admin"], isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": _pg_state["name"]},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{_pg_state["name"]}"'))
        admin.dispose()
    except Exception:  # cleanup is best effort; a leftover test database harms nothing
        pass


def truncate_everything(url: str) -> None:
    """Empty every table (events, read models, users...) but keep the migrated schema."""
    engine = create_engine(url)
    with engine.begin() as conn:
        names = [n for n in inspect(conn).get_table_names() if n != "alembic_version"]
        if names:
            conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh, empty, migrated store on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'casework.db'}"
        engine = make_engine(url)
        upgrade_schema(engine)
        engine.dispose()
        yield url
        return
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI=true but CASEWORK_TEST_DATABASE_URL is not set", pytrace=False)
        pytest.skip(PG_HOWTO)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = _pg_test_database(worker)
    truncate_everything(url)
    yield url


@pytest.fixture
def clock() -> FixedClock:
    """Monday 2 March 2026, 09:00 UTC; tests move it by hand."""
    return FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def signing_key_file(tmp_path, clock: FixedClock) -> Path:
    """The council's signing key (evidence bundles, checkpoints), in a fresh file."""
    path = tmp_path / "signing-key.json"
    SigningKeys.create(path, clock.now())
    return path


@pytest.fixture
def settings(database_url: str, signing_key_file: Path) -> Settings:
    return Settings(database_url=database_url, scheduler_enabled=False,
                    signing_key_file=str(signing_key_file))


@pytest.fixture
def casework(settings: Settings, clock: FixedClock) -> Iterator[Casework]:
    """The whole system wired as in production, on a fresh store, with a fixed clock."""
    cw = bootstrap(settings, clock=clock)
    yield cw
    cw.close()


@pytest.fixture
def tokens(casework: Casework) -> dict[str, str]:
    """A user per role, named after it (officer, manager, auditor, admin): name -> API token."""
    by = Actor("test-admin", Role.admin)
    return {role.value: casework.users.add(role.value, role, by).token for role in Role}


@pytest.fixture
def as_role(tokens: dict[str, str]) -> Callable[[str], dict[str, str]]:
    """``as_role("manager")``: the Authorization header of that role's user."""
    def headers(role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[role]}"}

    return headers
