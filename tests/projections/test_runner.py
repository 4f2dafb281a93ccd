"""The runner: exactly once across crashes and competing processes; stops, never skips."""

from __future__ import annotations

import gc
import threading
from collections.abc import Collection
from datetime import timedelta
from typing import ClassVar

import pytest
from sqlalchemy import Column, Connection, Integer, String, Table, inspect, select, update

from casework.events.store import StoredEvent
from casework.events.store.database import make_engine
from casework.projections import provider_view
from casework.projections.base import read_models
from casework.projections.registry import Registry
from casework.projections.runner import ProjectionRunner

from .builders import Recorder

counter = Table(
    "test_event_counter", read_models,
    Column("name", String(20), primary_key=True), Column("n", Integer, nullable=False),
)


class Counting:
    """Counts the events it is given: any double application shows as a wrong count."""

    name: ClassVar[str] = "test_counting"
    version: ClassVar[int] = 1
    tables: ClassVar[list[Table]] = [counter]
    event_types: ClassVar[Collection[str] | None] = None

    def apply(self, conn: Connection, events: list[StoredEvent]) -> None:
        row = conn.execute(select(counter.c.n).where(counter.c.name == "all")).scalar()
        if row is None:
            conn.execute(counter.insert().values(name="all", n=len(events)))
        else:
            conn.execute(update(counter).values(n=row + len(events)))


class Refusing(Counting):
    """Cannot apply visits (as a projection meeting an event it does not understand)."""

    name: ClassVar[str] = "test_refusing"

    def apply(self, conn: Connection, events: list[StoredEvent]) -> None:
        if any(e.type == "VisitPlanned" for e in events):
            raise ValueError("no idea what a visit is")
        super().apply(conn, events)


def counted(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(counter.c.n)).scalar() or 0


def test_a_crash_before_commit_leaves_no_double_count_after_restart(casework) -> None:
    r = Recorder(casework.store)
    pid = r.provider()
    runner = casework.projections

    def crash(pages: dict) -> None:
        raise RuntimeError("power cut between reading events and committing rows")

    runner.before_commit = crash
    r.record(pid)  # committed to the log; the in-process catch-up crashes before its commit
    with casework.engine.connect() as conn:
        assert provider_view(conn, pid).open_intelligence == 0  # read model unmoved
    runner.before_commit = None
    # "Restart": a fresh runner over the same database catches up from the unmoved checkpoint.
    fresh = ProjectionRunner(casework.engine, casework.clock, runner.registry)
    fresh.catch_up()
    fresh.catch_up()
    assert provider_view(casework, pid).open_intelligence == 1
    positions = {s.name: s.position for s in fresh.status()}
    assert positions["provider_view"] == casework.store.head_position()


def test_a_projection_that_cannot_apply_an_event_stops_with_its_checkpoint_unmoved(casework) -> None:
    registry = Registry()
    registry.register(Refusing())
    runner = ProjectionRunner(casework.engine, casework.clock, registry)
    r = Recorder(casework.store)
    pid = r.provider()
    runner.catch_up()
    before = runner.status()[0].position
    r.visit(pid)
    r.record(pid)
    runner.catch_up()
    status = runner.status()[0]
    assert status.position == before
    assert status.halted and "VisitPlanned" in status.halted
    assert counted(casework.engine) == 1  # the provider only: nothing after the visit applied
    with pytest.raises(RuntimeError, match="halted"):
        runner.catch_up(raise_on_halt=True)


def test_an_append_halts_only_the_projection_that_cannot_apply_it_and_advances_the_others(
    casework,
) -> None:
    """The in-process catch-up after an append (one quick transaction for every projection)
    falls back to one savepoint per projection when a fold fails: the culprit halts with its
    checkpoint unmoved, the others still show the new event."""
    runner = casework.projections
    runner.registry.register(Refusing())
    try:
        r = Recorder(casework.store)
        pid = r.provider()
        assert counted(casework.engine) == 1  # followed in-process like the real read models
        r.visit(pid, complete=False)
        r.record(pid)
        status = {s.name: s for s in runner.status()}
        head = casework.store.head_position()
        assert status["test_refusing"].halted and "VisitPlanned" in status["test_refusing"].halted
        assert status["test_refusing"].position < head
        assert counted(casework.engine) == 1
        assert status["provider_view"].position == head
        assert provider_view(casework, pid).open_intelligence == 1
    finally:
        runner.registry.unregister("test_refusing")
        runner.resume("test_refusing")


def test_after_an_append_every_projection_is_at_the_head_so_the_follower_has_nothing_to_do(
    casework,
) -> None:
    r = Recorder(casework.store)
    r.record(r.provider())
    r.provider()  # triage folds no provider event: its checkpoint moves all the same
    head = casework.store.head_position()
    assert {s.name: s.position for s in casework.projections.status()} == {
        name: head for name in casework.projections.registry.names()
    }
    assert casework.projections._nothing_new()


def test_competing_runners_apply_each_event_exactly_once(casework, database_url) -> None:
    registry = Registry()
    registry.register(Counting())
    engines = [make_engine(database_url) for _ in range(3)]
    runners = [ProjectionRunner(e, casework.clock, registry, page_size=7) for e in engines]
    runners[0].catch_up()
    r = Recorder(casework.store)
    stop = threading.Event()
    errors: list[BaseException] = []

    def work(runner: ProjectionRunner, wait: bool) -> None:
        try:
            while not stop.is_set():
                runner.catch_up(wait=wait)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(run, i % 2 == 0)) for i, run in enumerate(runners)]
    for t in threads:
        t.start()
    for _ in range(15):
        pid = r.provider()
        r.record(pid, risk="low")
    stop.set()
    for t in threads:
        t.join()
    runners[1].catch_up()
    assert not errors
    assert not any(run.halted for run in runners)
    assert counted(casework.engine) == casework.store.head_position()
    for e in engines:
        e.dispose()


def test_a_new_projection_version_is_rebuilt_from_the_log(casework) -> None:
    registry = Registry()
    registry.register(Counting())
    runner = ProjectionRunner(casework.engine, casework.clock, registry)
    r = Recorder(casework.store)
    r.provider()
    r.provider()
    runner.catch_up()
    assert counted(casework.engine) == 2

    class CountingV2(Counting):
        version: ClassVar[int] = 2

    registry.register(CountingV2())
    casework.clock.advance(timedelta(minutes=1))
    runner.catch_up()
    assert counted(casework.engine) == 2  # rebuilt from scratch, not counted again on top


def test_a_rebuilt_read_model_has_every_index_its_tables_declare(casework) -> None:
    # A rebuild may create indexes after loading the rows (tables.deferred_indexes): they must
    # all be there once it commits, on both backends.
    r = Recorder(casework.store)
    r.provider()
    casework.projections.rebuild()
    with casework.engine.connect() as conn:
        found = inspect(conn)
        for projection in casework.projections.projections():
            for table in projection.tables:
                declared = {index.name for index in table.indexes}
                assert declared <= {i["name"] for i in found.get_indexes(table.name)}, table.name


def test_a_rebuild_that_halts_part_way_through_the_log_leaves_no_reader_running(
    casework, monkeypatch
) -> None:
    # On PostgreSQL the rebuild reads the log ahead in a thread on its own connection; a fold
    # failing on a later page must stop that thread and give its connection back.
    r = Recorder(casework.store)
    pid = r.provider()
    for _ in range(6):
        r.record(pid)
    r.visit(pid)
    monkeypatch.setattr(casework.projections, "rebuild_page_size", 2)
    view = casework.projections.projections(["provider_view"])[0]
    real_fold = view.fold

    def fold(state, event):
        if event.type == "VisitPlanned":
            raise ValueError("no idea what a visit is")
        return real_fold(state, event)

    monkeypatch.setattr(view, "fold", fold)
    with pytest.raises(Exception, match="VisitPlanned"):
        casework.projections.rebuild()
    assert not [t for t in threading.enumerate() if t.name == "casework-scan"]
    assert casework.engine.pool.checkedout() == 0
    assert gc.isenabled()  # paused for the rebuild only, halted or not


def test_the_follower_asks_whether_anything_is_new_only_after_a_catch_up_in_flight_ends(
    casework,
) -> None:
    # This process's own NOTIFY wakes its follower while the append's catch-up still runs; were
    # the follower to judge then, it would see a lag and run a whole second pass.
    runner, store = casework.projections, casework.store
    r = Recorder(store)
    pid = r.provider()
    hooks = [f for f in store.listeners if getattr(f, "__self__", None) is runner]
    for f in hooks:
        store.listeners.remove(f)
    r.record(pid)  # appended; this process's catch-up not run yet
    for f in hooks:
        store.listeners.append(f)
    answers: list[bool] = []
    with runner._local:  # a catch-up in flight holds it
        follower = threading.Thread(target=lambda: answers.append(runner._nothing_new()))
        follower.start()
        runner.catch_up()
    follower.join()
    assert answers == [True]
