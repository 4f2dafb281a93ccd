"""Logs never carry SQL parameters, a database's row values or a secret: a projection that halts
on a database error (a summary it cannot store twice), the rebuild that halts again, the
traceback of a failed statement, and a start-up refused for a short session secret, each run
with a planted value that must then appear in no log line and nothing printed."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Collection
from typing import ClassVar

import pytest
import structlog
from sqlalchemy import Column, Connection, String, Table, insert

import casework.bootstrap as composition
from casework.bootstrap import Casework
from casework.events.store import StoredEvent
from casework.projections.base import read_models
from casework.projections.registry import Registry

from .conftest import Cli, Http, Logs

PLANTED = "PLANTED-SECRET-TEXT"
SHORT_SECRET = "short-PLANTED"

planted_summaries = Table(
    "test_planted_summaries", read_models, Column("summary", String(40), primary_key=True),
)


class StoresEachSummaryTwice:
    """Stores a record's summary twice under a unique key: the database refuses the second row
    and names the value in its error (PostgreSQL's DETAIL: ``Key (summary)=(...)``)."""

    name: ClassVar[str] = "test_planted"
    version: ClassVar[int] = 1
    tables: ClassVar[list[Table]] = [planted_summaries]
    event_types: ClassVar[Collection[str] | None] = ["IntelligenceLogged"]

    def apply(self, conn: Connection, events: list[StoredEvent]) -> None:
        for event in events:
            conn.execute(insert(planted_summaries), [{"summary": event.data["summary"]}] * 2)


def test_a_projection_halted_by_the_database_logs_neither_parameters_nor_row_values(
    casework: Casework, http: Http, cli: Cli, logs: Logs, monkeypatch: pytest.MonkeyPatch
) -> None:
    casework.projections.registry.register(StoresEachSummaryTwice())
    pid = http.created("officer", "/providers", {"name": "Larchfield House",
                                                 "service_type": "care_home_nursing"})
    http.created("officer", "/intelligence", {
        "provider_id": pid, "source": "complaint", "received_at": "2026-03-01T10:00:00Z",
        "summary": PLANTED})
    halted = {s.name: s.halted for s in casework.projections.status()}["test_planted"]
    assert halted and "IntelligenceLogged" in halted and PLANTED not in halted

    def with_the_planting_projection(policy):
        registry: Registry = read_models_of_production(policy)
        registry.register(StoresEachSummaryTwice())
        return registry

    read_models_of_production = composition.read_models
    monkeypatch.setattr(composition, "read_models", with_the_planting_projection)
    rebuilt = cli("rebuild", "--projection", "test_planted")
    assert rebuilt.exit_code == 1 and "rebuild failed" in rebuilt.output
    assert "halted" in rebuilt.output and "IntelligenceLogged" in rebuilt.output

    assert any('"event": "projection_halted"' in line for line in logs.lines())
    leaked = [line for line in logs.lines() if PLANTED in line]
    assert not leaked, f"{len(leaked)} lines carry the planted summary, e.g. {leaked[:2]}"


def test_the_traceback_of_a_failed_statement_quotes_neither_its_parameters_nor_the_row(
    casework: Casework, logs: Logs
) -> None:
    planted_summaries.create(casework.engine, checkfirst=True)
    try:
        with casework.engine.begin() as conn:
            conn.execute(insert(planted_summaries), [{"summary": PLANTED}] * 2)
    except Exception as exc:
        structlog.get_logger("test").exception("statement_failed")
        # The engine itself keeps parameters out of its errors, whoever prints them.
        assert "[parameters:" not in str(exc) and "parameters hidden" in str(exc)
    finally:
        planted_summaries.drop(casework.engine, checkfirst=True)
    failed = [line for line in logs.lines() if "statement_failed" in line]
    assert failed and ("UniqueViolation" in failed[0] or "IntegrityError" in failed[0])
    assert "Traceback" in failed[0]
    assert PLANTED not in logs.text


def test_a_short_session_secret_is_refused_at_start_naming_the_rule_never_the_value(tmp_path) -> None:
    env = {**os.environ, "CASEWORK_DATABASE_URL": f"sqlite:///{tmp_path / 'casework.db'}",
           "CASEWORK_SESSION_SECRET": SHORT_SECRET}
    started = subprocess.run([sys.executable, "-m", "casework.cli", "users", "list"], env=env,
                             cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert started.returncode != 0
    assert "CASEWORK_SESSION_SECRET" in started.stderr and "at least 32 characters" in started.stderr
    assert "Traceback" not in started.stderr
    assert SHORT_SECRET not in started.stderr + started.stdout
