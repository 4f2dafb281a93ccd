"""Faults: processes killed with SIGKILL mid-work, the database going away under a running
server, and a log cut short or edited behind the store's back.

Every process here is a real subprocess (``casework ...`` or a small ``python -c`` driver) and
every kill is a real ``kill -9``, landed once the process has shown (in its output or in the
database) that it is in the middle of the work.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from casework.bootstrap import bootstrap
from casework.events.store.database import make_engine
from casework.imports.cqc import BUNDLED_CQC_FILE
from casework.imports.cqc_importer import CqcImporter
from casework.projections.registry import Registry
from casework.projections.runner import ProjectionRunner
from casework.settings import Settings

from .support import (
    AFTER_EXPIRY,
    add_users,
    assert_read_models_equal_a_rebuild,
    check_integrity,
    checkpoints_at,
    fired_deadlines,
    head,
    invoke,
    issue_final_notices,
    kill9,
    postgres_only,
    serving,
    start,
    wait_until,
)

pytestmark = pytest.mark.slow
PROBLEM_JSON = "application/problem+json"


# ------------------------------------------------------------------------------ the database goes away
class Writer:
    """One manager's HTTP client; remembers every write's key and what became of it."""

    def __init__(self, base_url: str, token: str) -> None:
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"},
                                 timeout=20)
        # (key, status code or the exception's name), in order; appended to by one thread at a time
        self.sent: list[tuple[str, Any]] = []

    def post(self, path: str, body: dict[str, Any], key: str | None = None) -> httpx.Response | None:
        key = key or str(uuid.uuid4())
        try:
            answer = self.http.post(path, json=body, headers={"Idempotency-Key": key})
        except httpx.TransportError as exc:
            self.sent.append((key, type(exc).__name__))
            return None
        self.sent.append((key, answer.status_code))
        return answer

    def statuses(self) -> list[Any]:
        return [status for _, status in self.sent[:]]


def _admin(url: str):
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _cut(admin, name: str) -> None:
    """Refuse new connections to the test database and drop every open one (ours only)."""
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})


def _restore(admin, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))


@postgres_only
def test_the_database_going_away_gives_503_problems_then_casework_recovers_by_itself(database_url, tmp_path):
    name = make_url(database_url).database
    tokens = add_users(database_url, manny="manager")
    admin = _admin(database_url)
    with serving(database_url, tmp_path) as served:
        w = Writer(served.url, tokens["manny"])
        pid = w.http.post("/api/v1/providers", json={
            "name": "Elm Court", "service_type": "care_home_residential", "categories": ["OP"]}).json()["id"]
        received = (datetime.now(UTC) - timedelta(hours=2)).isoformat()

        def log_body(n: int) -> dict[str, Any]:
            return {"provider_id": pid, "source": "complaint", "received_at": received,
                    "summary": f"Complaint {n}: medicines given late"}

        # A client keeps writing while the database goes away under it and comes back.
        stop = threading.Event()

        def keep_writing() -> None:
            n = 0
            while not stop.is_set():
                w.post("/api/v1/intelligence", log_body(n))
                n += 1

        background = threading.Thread(target=keep_writing)
        background.start()
        try:
            wait_until(lambda: w.statuses().count(201) >= 5, 20, "writes before the cut")
            _cut(admin, name)
            down_at = time.perf_counter()
            # While it is down: a clear 503 problem for reads and writes, quickly, never a 500.
            answers = {
                "provider": w.http.get(f"/api/v1/providers/{pid}"),
                "providers": w.http.get("/api/v1/providers"),
                "inbox": w.http.get("/api/v1/intelligence"),
                "write": w.http.post("/api/v1/intelligence", json=log_body(-1)),
                "healthz": w.http.get("/healthz"),
            }
            down_for = time.perf_counter() - down_at
            for what, answer in answers.items():
                assert answer.status_code == 503, (what, answer.status_code, answer.text)
            for what in ("provider", "providers", "inbox", "write"):
                assert answers[what].headers["content-type"] == PROBLEM_JSON, what
                problem = answers[what].json()
                assert problem["type"] == "urn:casework:problem:store-unavailable", problem
                assert "nothing was recorded" in problem["detail"]
                assert answers[what].headers["retry-after"]
            assert down_for < 10, f"the 503s took {down_for:.1f}s"
            wait_until(lambda: w.statuses()[-10:].count(503) == 10, 20,
                       "the background writer to be refused 10 times in a row")
        finally:
            _restore(admin, name)
        back_at = time.perf_counter()
        # Back: without restarting Casework, reads and writes succeed again.
        wait_until(lambda: w.http.get(f"/api/v1/providers/{pid}").status_code == 200, 20,
                   "reads to succeed again")
        recovered_in = time.perf_counter() - back_at
        wait_until(lambda: w.statuses()[-3:].count(201) == 3, 20, "writes to succeed again")
        stop.set()
        background.join(30)
        statuses = Counter(w.statuses())
        assert set(statuses) <= {201, 503}, statuses  # never a 500, never a hang
        # A write refused with 503 retried with its key lands exactly once.
        refused = [key for key, status in w.sent if status == 503]
        for n, key in enumerate(refused):
            answer = w.post("/api/v1/intelligence", log_body(1000 + n), key=key)
            assert answer.status_code == 201, answer.text
        engine = make_engine(database_url)
        last = head(engine)
        wait_until(lambda: set(checkpoints_at(engine).values()) == {last}, 15, "read models at the head")

    integrity = check_integrity(engine, dense=False)
    with engine.connect() as conn:
        stored = Counter(orjson.loads(m).get("command_id") for (m,) in conn.execute(
            text("SELECT metadata FROM events WHERE type = 'IntelligenceLogged'")))
    engine.dispose()
    admin.dispose()
    written = {f"http:manny:{key}" for key, status in w.sent if status == 201}
    assert set(stored) == written and set(stored.values()) == {1}, "a write landed twice, or half"
    assert invoke(["verify"], database_url).exit_code == 0
    assert_read_models_equal_a_rebuild(database_url)
    print(f"\ndatabase away {back_at - down_at:.1f}s: 503 answers in {down_for:.2f}s for 5 requests; "
          f"reads succeed {recovered_in:.2f}s after it is back; writes {dict(statuses)}; "
          f"{len(refused)} refused writes retried once each; log {integrity.events} events, "
          f"positions {integrity.first_position}..{integrity.last_position}")


# ------------------------------------------------------------------------------ SIGKILL mid-work
# An import of the bundled CQC file (421 locations) in chunks of 50 locations per transaction,
# printing after each committed chunk how many events the store holds: what it acknowledged. Each
# append holds its transaction open 0.3 s after its rows are written ("rows written"), so a kill
# just after that line lands inside the transaction, before its commit.
IMPORT_DRIVER = """
import time
from casework.bootstrap import bootstrap
from casework.events.store.postgres_writer import PostgresWriter
from casework.events.store.sqlite_writer import SqliteWriter
from casework.imports.cqc import BUNDLED_CQC_FILE
from casework.projections.registry import Registry
from casework.projections.runner import ProjectionRunner
from casework.settings import Settings
from casework.imports.cqc_importer import CqcImporter
from casework.settings import load_settings


def lingering(insert):
    def insert_then_linger(self, conn, rows):
        positions = insert(self, conn, rows)
        print("rows written", len(rows), flush=True)
        time.sleep(0.3)
        return positions
    return insert_then_linger


SqliteWriter.insert = lingering(SqliteWriter.insert)
PostgresWriter.insert = lingering(PostgresWriter.insert)
cw = bootstrap(load_settings(scheduler_enabled=False))
importer = CqcImporter(cw.application, chunk=50)
importer.import_file(BUNDLED_CQC_FILE, progress=lambda n: print("ack", cw.store.count(), flush=True))
print("done", flush=True)
"""


def _versions(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT stream, max(version) FROM events GROUP BY stream")).all())


def _by_type(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT type, count(*) FROM events GROUP BY type")).all())


@pytest.fixture(scope="module")
def never_killed(tmp_path_factory) -> dict[str, Any]:
    """The bundled CQC import run once, undisturbed, in this process: events per stream, per type,
    and in the store after each chunk of 50 locations (what each transaction leaves)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('reference') / 'reference.db'}"
    cw = bootstrap(Settings(database_url=url, scheduler_enabled=False, sqlite_synchronous="OFF"))
    try:
        boundaries = [0]
        CqcImporter(cw.application, chunk=50).import_file(
            BUNDLED_CQC_FILE, progress=lambda n: boundaries.append(cw.store.count()))
        return {"versions": _versions(cw.engine), "types": _by_type(cw.engine), "boundaries": boundaries}
    finally:
        cw.close()


def test_an_import_killed_while_appending_loses_nothing_acknowledged_and_a_rerun_completes_it(
    database_url, tmp_path, never_killed
):
    log = tmp_path / "driver.log"
    proc = start(["-c", IMPORT_DRIVER], database_url, log)
    try:
        def acks() -> list[int]:
            return [int(line.split()[1]) for line in log.read_text().splitlines() if line.startswith("ack ")]

        def mid_append() -> bool:
            """Rows written and not yet committed, the second time since the second ack: with
            one transaction per chunk that is inside the fourth chunk's append; were a chunk
            appended in several transactions, it would be half-way through the third chunk."""
            lines = log.read_text().splitlines()
            acked = [i for i, line in enumerate(lines) if line.startswith("ack ")]
            if len(acked) < 2 or not lines[-1].startswith("rows written"):
                return False
            return sum(line.startswith("rows written") for line in lines[acked[1]:]) >= 2

        wait_until(mid_append, 60, "an append's rows written after two chunks acknowledged")
        assert kill9(proc) == -9, log.read_text()
    finally:
        if proc.poll() is None:
            kill9(proc)
    acknowledged = max(acks())
    engine = make_engine(database_url)
    try:
        after_kill = check_integrity(engine, dense=False)
        versions = _versions(engine)
    finally:
        engine.dispose()
    total = sum(never_killed["types"].values())
    assert acknowledged <= after_kill.events < total, "killed mid-way, keeping all it acknowledged"
    # Each chunk's transaction is all there or not at all, and every stream stored is complete.
    assert after_kill.events in never_killed["boundaries"], f"half a chunk: {after_kill.events} events"
    short = {s: v for s, v in versions.items() if v != never_killed["versions"][s]}
    assert short == {}, f"half-written streams: {list(short.items())[:3]}"

    rerun = invoke(["import", "cqc", str(BUNDLED_CQC_FILE)], database_url)
    assert rerun.exit_code == 0, rerun.output
    assert f"appended {total - after_kill.events} events" in rerun.output
    engine = make_engine(database_url)
    try:
        check_integrity(engine, dense=False)
        assert _versions(engine) == never_killed["versions"]
        assert _by_type(engine) == never_killed["types"]
    finally:
        engine.dispose()
    verified = invoke(["verify"], database_url)
    assert verified.exit_code == 0 and f"intact: {total} events" in verified.output, verified.output
    assert_read_models_equal_a_rebuild(database_url)
    print(f"\nimport killed: {after_kill.events} of {total} events stored at the kill "
          f"({acknowledged} acknowledged); the rerun appended {total - after_kill.events}")


# A follower catching up a backlog as every process does when it starts (bootstrap), 100 events a
# page; each pass says what it applied and then holds its transaction open for 0.2 s before
# committing, so a kill after a "pass" line lands between applying rows and committing them.
CATCH_UP_DRIVER = """
import time
import casework.projections.runner as runner_module

original = runner_module.ProjectionRunner.__init__


def slow_small_pages(self, *args, **kwargs):
    original(self, *args, **{**kwargs, "page_size": 100})

    def before_commit(pages):
        print("pass", sum(len(p) for p in pages.values()), flush=True)
        time.sleep(0.2)

    self.before_commit = before_commit


runner_module.ProjectionRunner.__init__ = slow_small_pages
from casework.bootstrap import bootstrap
from casework.settings import load_settings

bootstrap(load_settings(scheduler_enabled=False))
print("caught up", flush=True)
"""


def test_a_follower_killed_while_catching_up_resumes_without_applying_anything_twice(database_url, tmp_path):
    # A backlog: the import's events appended while no read model follows them.
    cw = bootstrap(Settings(database_url=database_url, scheduler_enabled=False))
    cw.store.listeners.clear()
    CqcImporter(cw.application).import_file(BUNDLED_CQC_FILE)
    last = cw.store.head_position()
    cw.close()
    engine = make_engine(database_url)
    try:
        assert set(checkpoints_at(engine).values()) == {0}
        log = tmp_path / "follower.log"
        proc = start(["-c", CATCH_UP_DRIVER], database_url, log)
        try:
            passes = lambda: log.read_text().count("pass ")  # noqa: E731
            wait_until(lambda: passes() >= 4, 60, "the follower's fourth pass")
            assert kill9(proc) == -9, log.read_text()
        finally:
            if proc.poll() is None:
                kill9(proc)
        at_kill = checkpoints_at(engine)
        assert any(0 < p < last for p in at_kill.values()), f"killed mid-way: {at_kill}, head {last}"
    finally:
        engine.dispose()
    # Restarting (any process's bootstrap catches up) finishes from the checkpoints.
    bootstrap(Settings(database_url=database_url, scheduler_enabled=False)).close()
    assert_read_models_equal_a_rebuild(database_url)
    print(f"\nfollower killed at checkpoints {at_kill} of {last} events, then resumed")


def test_the_scheduler_killed_while_firing_fires_every_deadline_exactly_once_after_a_rerun(
    database_url, tmp_path
):
    due = issue_final_notices(database_url, 50)
    now = AFTER_EXPIRY.isoformat()
    log = tmp_path / "deadlines.log"
    engine = make_engine(database_url)
    try:
        proc = start(["deadlines", "run", "--now", now], database_url, log)
        try:
            wait_until(lambda: sum(fired_deadlines(engine).values()) >= 20, 60, "20 deadlines fired")
            assert kill9(proc) == -9, log.read_text()
        finally:
            if proc.poll() is None:
                kill9(proc)
        at_kill = sum(fired_deadlines(engine).values())
        assert at_kill < len(due), "killed mid-way"
        rerun = invoke(["deadlines", "run", "--now", now], database_url)
        assert rerun.exit_code == 0, rerun.output
        assert f"{len(due) - at_kill} deadline(s) fired" in rerun.output
        streams = fired_deadlines(engine)
        check_integrity(engine, dense=False)
    finally:
        engine.dispose()
    assert set(streams) == {f"deadline-{d}" for d in due}
    assert set(streams.values()) == {1}, "a deadline fired twice"
    assert invoke(["verify"], database_url).exit_code == 0
    assert_read_models_equal_a_rebuild(database_url)
    print(f"\nscheduler killed after firing {at_kill} of {len(due)} deadlines; the rerun fired the rest once")


# ------------------------------------------------------------------------------ the log itself
def test_a_backup_restored_to_an_earlier_point_and_a_row_edited_on_disk_are_detected(database_url, tmp_path):
    """On both backends, through the command line: ``verify --against HEADS.json`` names a stream
    a restored backup cut short (the older log is self-consistent, so plain ``verify`` passes),
    and plain ``verify`` names the event whose row was edited with raw SQL."""
    due = issue_final_notices(database_url, 3)
    assert invoke(["deadlines", "run", "--now", AFTER_EXPIRY.isoformat()], database_url).exit_code == 0
    heads = tmp_path / "HEADS.json"
    exported = invoke(["verify", "--export-heads", str(heads)], database_url)
    assert exported.exit_code == 0, exported.output
    assert len(json.loads(heads.read_text())) == 3 + len(due)
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:  # the "backup" was taken before the last deadline fired
            latest = conn.execute(text("SELECT stream, event_id FROM events ORDER BY position DESC "
                                       "LIMIT 1")).one()
            conn.execute(text("DELETE FROM events WHERE event_id = :e"), {"e": latest.event_id})
        assert invoke(["verify"], database_url).exit_code == 0
        restored = invoke(["verify", "--against", str(heads)], database_url)
        assert restored.exit_code == 1
        assert latest.stream in restored.output and "lost" in restored.output

        with engine.begin() as conn:  # someone with disk access softens a notice's reason
            victim = conn.execute(text("SELECT event_id, data FROM events WHERE type = 'FinalNoticeIssued' "
                                       "ORDER BY position LIMIT 1")).one()
            edited = victim.data.replace("no improvement", "some improvement")
            assert edited != victim.data
            conn.execute(text("UPDATE events SET data = :d WHERE event_id = :e"),
                         {"d": edited, "e": victim.event_id})
    finally:
        engine.dispose()
    tampered = invoke(["verify"], database_url)
    assert tampered.exit_code == 1
    assert victim.event_id in tampered.output and "altered" in tampered.output


# ----------------------------------------------------------------------- a read model's connection drops
class _FlakyCounting:
    """Counts the events it is given; its first apply loses the database connection, as the
    provider view did when the test above terminated the server's sessions mid-pass."""

    name = "test_flaky_counting"
    version = 1
    flaky_counter = Table("test_flaky_counter", MetaData(), Column("n", Integer, nullable=False))
    tables = [flaky_counter]
    event_types = None

    def __init__(self) -> None:
        self.failures = 1

    def apply(self, conn, events) -> None:
        if self.failures:
            self.failures -= 1
            raise OperationalError("SELECT ...", {}, Exception("server closed the connection unexpectedly"))
        table = self.flaky_counter
        n = conn.execute(select(table.c.n)).scalar()
        if n is None:
            conn.execute(table.insert().values(n=len(events)))
        else:
            conn.execute(table.update().values(n=n + len(events)))


def test_a_projection_that_loses_its_connection_mid_pass_is_not_halted_and_catches_up_later(casework):
    """A lost connection is the database's fault, not the events': the pass fails and rolls back,
    and the next pass applies the events (once). Halting would leave the read model stale in a
    running server until it restarts."""
    registry = Registry()
    registry.register(_FlakyCounting())
    runner = ProjectionRunner(casework.engine, casework.clock, registry)
    runner.catch_up()  # creates its table at position 0; nothing to apply yet
    issued = issue_final_notices(casework.settings.database_url, 3)
    assert issued
    with pytest.raises(OperationalError):
        runner.catch_up()
    assert runner.halted == {}
    assert [s.position for s in runner.status()] == [0]
    runner.catch_up()
    with casework.engine.connect() as conn:
        assert conn.execute(select(_FlakyCounting.flaky_counter.c.n)).scalar() == casework.store.count()
    assert [s.halted for s in runner.status()] == [None]
