"""Helpers for the load and fault tests: real ``casework`` subprocesses on a given store, and the
checks made on the store afterwards (stream and position integrity, read models against a rebuild).

Subprocesses write their output to files (never to pipes nobody reads) and are always stopped by
the test that started them, by their own pid.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner, Result

from casework.bootstrap import bootstrap, read_models
from casework.cli.main import app as cli
from casework.clock import FixedClock
from casework.domain.actors import SYSTEM, Role
from casework.domain.policy import DEFAULT_POLICY
from casework.events import Metadata, to_new_event
from casework.events.sanctions import FinalNoticeIssued, SanctionStage
from casework.events.store import AppendRequest, EventStore
from casework.events.store.database import make_engine
from casework.settings import Settings
from casework.workflows.rulebook import derive

# Run a test on PostgreSQL only: ``database_url`` parametrised indirectly, keeping its marker.
postgres_only = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)

START_TIMEOUT = 60.0  # a cold `casework serve` imports a lot; CI machines are busy


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cli_env(url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "CASEWORK_DATABASE_URL": url,
        "CASEWORK_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.02) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail saying ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        found = predicate()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def start(args: list[str], url: str, log: Path, **env: str) -> subprocess.Popen[bytes]:
    """``python -m casework.cli ARGS`` (or ``python -c`` when args[0] == "-c") in the background."""
    command = [sys.executable, *args] if args[0] == "-c" else [sys.executable, "-m", "casework.cli", *args]
    with log.open("ab") as out:
        return subprocess.Popen(command, env=cli_env(url, **env), stdout=out, stderr=subprocess.STDOUT)


def run(args: list[str], url: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "casework.cli", *args], env=cli_env(url, **env),
        capture_output=True, text=True, timeout=timeout, check=False,
    )


def invoke(args: list[str], url: str) -> Result:
    """A ``casework`` command run in this process (no interpreter start-up), as typer runs it."""
    try:
        env = {"CASEWORK_DATABASE_URL": url, "CASEWORK_LOG_LEVEL": "WARNING"}
        return CliRunner().invoke(cli, args, env=env)
    finally:
        structlog.reset_defaults()  # the command pointed the logs at CliRunner's closed stream


def stop(proc: subprocess.Popen[bytes], grace: float = 10) -> None:
    """SIGTERM, then SIGKILL if it has not gone within ``grace`` seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(grace)


def kill9(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGKILL)
    return proc.wait(10)


@dataclass
class Served:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def serving(
    url: str, workdir: Path, *, scheduler: bool = False, workers: int = 1, **env: str
) -> Iterator[Served]:
    """``casework serve`` in a subprocess on a free loopback port; waits for /healthz 200."""
    port = free_port()
    log = workdir / f"serve-{port}.log"
    proc = start(
        ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)], url, log,
        CASEWORK_SCHEDULER_ENABLED="true" if scheduler else "false",
        CASEWORK_PROJECTION_POLL_SECONDS="0.2", **env,
    )
    served = Served(f"http://127.0.0.1:{port}", proc, log)
    try:
        def healthy() -> bool:
            if proc.poll() is not None:
                raise AssertionError(f"casework serve exited with {proc.returncode}:\n{served.output()}")
            try:
                return httpx.get(f"{served.url}/healthz", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(healthy, START_TIMEOUT, "casework serve to answer /healthz", interval=0.1)
        yield served
    finally:
        stop(proc)


def add_users(url: str, **roles: str) -> dict[str, str]:
    """Users named after the keys with the given roles; returns their tokens."""
    cw = bootstrap(Settings(database_url=url, scheduler_enabled=False))
    try:
        return {name: cw.users.add(name, Role(role), SYSTEM).token for name, role in roles.items()}
    finally:
        cw.close()


# ``casework deadlines run ...`` that, once it has started and read its store, says it is ready
# (file ``<gate>.<pid>``) and fires nothing until the file ``<gate>`` exists: several processes
# released together then fire the same due deadlines at the same instant.
GATED_DEADLINES_RUN = (
    "import os, pathlib, sys, time\n"
    "from casework.cli.main import app\n"
    "from casework.workflows.scheduler import DeadlineScheduler\n"
    "gate, fire_due = pathlib.Path(sys.argv[1]), DeadlineScheduler.fire_due\n"
    "def gated(self, now=None):\n"
    "    self.due(now or self.clock.now())\n"
    "    pathlib.Path(f'{gate}.{os.getpid()}').touch()\n"
    "    while not gate.exists():\n"
    "        time.sleep(0.002)\n"
    "    return fire_due(self, now)\n"
    "DeadlineScheduler.fire_due = gated\n"
    "app(['deadlines', 'run', *sys.argv[2:]], prog_name='casework')\n"
)


def deadlines_run_together(count: int, now: str, url: str, workdir: Path) -> list[subprocess.Popen[bytes]]:
    """``count`` processes of ``casework deadlines run --now NOW`` released at the same instant."""
    gate = workdir / "gate"
    procs = [start(["-c", GATED_DEADLINES_RUN, str(gate), "--now", now], url, workdir / f"proc-{i}.log")
             for i in range(count)]
    try:
        wait_until(lambda: all(Path(f"{gate}.{p.pid}").exists() for p in procs), START_TIMEOUT,
                   "the processes to be ready", interval=0.05)
    except BaseException:
        for proc in procs:
            if proc.poll() is None:
                kill9(proc)
        raise
    gate.touch()
    return procs


# ------------------------------------------------------------------------------ histories
ISSUED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # each final notice expires 90 days later
AFTER_EXPIRY = ISSUED + timedelta(days=95)


def issue_final_notices(url: str, count: int) -> list[str]:
    """``count`` providers under a 90 day final notice issued on ISSUED (reminders 30, 14 and 7
    days before expiry, and the decision on expiry), in one append. Returns the ids of the
    deadlines due by AFTER_EXPIRY (the decisions: their reminders are superseded by then)."""
    engine = make_engine(url)
    clock = FixedClock(ISSUED)
    store = EventStore(engine, clock)
    requests = []
    for n in range(count):
        pid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"casework-test-provider-{n}"))
        notice = FinalNoticeIssued(provider_id=pid, from_stage=SanctionStage.contract_suspension,
                                   reason="no improvement after suspension")
        meta = Metadata(actor="mia", provider_id=pid)
        event = to_new_event(notice, metadata=meta, occurred_at=ISSUED)
        requests.append(AppendRequest(f"escalation-{pid}", [event], expected_version=0))
    stored = store.append_batch(requests)
    due = derive(stored).pending(before=AFTER_EXPIRY)
    engine.dispose()
    return [d.deadline_id for d in due]


def fired_deadlines(engine: Engine) -> Counter[str]:
    """How many DeadlineReached events each deadline stream holds."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT stream FROM events WHERE type = 'DeadlineReached'")).all()
    return Counter(stream for (stream,) in rows)


# ------------------------------------------------------------------------------ checks on the store
@dataclass
class Integrity:
    events: int
    streams: int
    first_position: int
    last_position: int


def check_integrity(engine: Engine, dense: bool = True) -> Integrity:
    """Every stream's versions are 1..n with no gap or duplicate, event ids are unique and, when
    ``dense``, positions have no gap. (On PostgreSQL a transaction aborted after it took positions,
    e.g. by a dropped connection or a kill, leaves a hole in the sequence: no event was there, and
    readers follow position order without relying on density.)"""
    with engine.connect() as conn:
        broken = conn.execute(text(
            "SELECT stream, count(*), count(DISTINCT version), min(version), max(version) "
            "FROM events GROUP BY stream "
            "HAVING count(*) <> count(DISTINCT version) OR min(version) <> 1 OR max(version) <> count(*)"
        )).all()
        assert broken == [], f"streams with gaps or duplicate versions: {broken[:5]}"
        events, streams, first, last, distinct_ids = conn.execute(text(
            "SELECT count(*), count(DISTINCT stream), coalesce(min(position), 0), "
            "coalesce(max(position), 0), count(DISTINCT event_id) FROM events"
        )).one()
    assert distinct_ids == events, "an event id is stored twice"
    if events and dense:
        assert last - first + 1 == events, f"positions {first}..{last} have gaps: {events} events"
    return Integrity(events, streams, first, last)


def read_model_rows(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every read model's tables (``casework.bootstrap.read_models``), in primary-key
    order."""
    rows: dict[str, list[tuple]] = {}
    with engine.connect() as conn:
        for projection in read_models(DEFAULT_POLICY).all():
            for table in projection.tables:
                keys = list(table.primary_key.columns) or list(table.columns)
                rows[table.name] = [tuple(r) for r in conn.execute(select(table).order_by(*keys))]
    return rows


def checkpoints_at(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT name, position FROM projection_checkpoints")).all())


def head(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT coalesce(max(position), 0) FROM events")).scalar_one()


def assert_read_models_equal_a_rebuild(url: str) -> dict[str, list[tuple]]:
    """The read models as the processes left them (every checkpoint at the head) equal a rebuild
    from the log: nothing missed, nothing applied twice. Returns the rows."""
    engine = make_engine(url)
    try:
        last = head(engine)
        marks = checkpoints_at(engine)
        assert marks and all(p == last for p in marks.values()), f"checkpoints {marks}, head {last}"
        before = read_model_rows(engine)
    finally:
        engine.dispose()
    cw = bootstrap(Settings(database_url=url, scheduler_enabled=False))
    try:
        cw.projections.rebuild()
        after = read_model_rows(cw.engine)
    finally:
        cw.close()
    for table in sorted(set(before) | set(after)):
        assert before.get(table) == after.get(table), f"read model {table} differs from a rebuild"
    return after
