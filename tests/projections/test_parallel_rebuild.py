"""A rebuild shared among worker processes (PostgreSQL) gives exactly the read models one process
gives, halts what one process would halt, and leaves a killed worker's read models as they were."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from casework.events import Metadata, to_new_event
from casework.events.visits import VisitPlanned
from casework.projections import parallel
from casework.projections.runner import ProjectionHalted

from .builders import T0, Recorder
from .test_rebuild_equals_incremental import snapshot

# Workers run on PostgreSQL only (SQLite's one write lock would serialise them).
postgres_only = pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


class _P:
    def __init__(self, name: str, types: set[str] | None, cost: float = 10.0) -> None:
        self.name, self.event_types, self.rebuild_cost = name, types, cost


def test_groups_are_balanced_by_estimated_cost_heaviest_first_and_never_empty() -> None:
    counts = {"A": 1000, "B": 600, "C": 500, "D": 100}
    a, b, c, d = _P("a", {"A"}), _P("b", {"B"}), _P("c", {"C"}), _P("d", {"D"}, cost=30.0)
    groups = parallel.plan([d, c, b, a], counts, 2)
    assert [[p.name for p in g] for g in groups] == [["a", "d"], ["b", "c"]]  # 13,000 / 11,000
    assert parallel.cost(_P("all", None), counts) == 2200 * 10.0  # every type
    assert [[p.name for p in g] for g in parallel.plan([a, b], counts, 8)] == [["a"], ["b"]]
    assert [[p.name for p in g] for g in parallel.plan([a, b, c], counts, 1)] == [["a", "b", "c"]]


def _history(casework) -> Recorder:
    r = Recorder(casework.store)
    for n in range(3):
        pid = r.provider(name=f"Home {n}")
        r.rating(pid, "good", T0.date())
        r.record(pid, risk="high", action_required=True, close="actioned")
        r.record(pid, allocate_to="bob")
        r.visit(pid)
        r.concern(pid, section_42=True)
    return r


def _rebuilt_in_this_process(casework) -> dict[str, list]:
    """The read models of a small history, rebuilt by this process alone."""
    _history(casework)
    casework.projections.rebuild()
    return snapshot(casework)


def _parallel(casework, monkeypatch, workers: int) -> None:
    runner = casework.projections
    monkeypatch.setattr(runner, "rebuild_workers", workers)
    monkeypatch.setattr(runner, "parallel_from", 0)


def _workers_started(monkeypatch) -> list[parallel.Worker]:
    started: list[parallel.Worker] = []
    real = parallel.Worker.__init__

    def init(self, *args, **kw) -> None:
        real(self, *args, **kw)
        started.append(self)

    monkeypatch.setattr(parallel.Worker, "__init__", init)
    return started


@postgres_only
def test_a_rebuild_shared_among_processes_equals_one_in_this_process(casework, monkeypatch) -> None:
    alone = _rebuilt_in_this_process(casework)
    _parallel(casework, monkeypatch, 4)
    started = _workers_started(monkeypatch)
    seen: list[tuple[str, int, int]] = []
    folded = casework.projections.rebuild(progress=lambda *report: seen.append(report))
    assert len(started) == 3  # four projections: one here, three in workers
    assert all(w.process.returncode == 0 for w in started)
    assert snapshot(casework) == alone
    assert set(folded) == {p.name for p in casework.projections.projections()}
    assert {name for name, _, _ in seen} == set(folded)  # workers' progress reaches the caller
    head = casework.store.head_position()
    assert all(s.position == head and not s.halted for s in casework.projections.status())
    assert not [t for t in threading.enumerate() if t.name == "casework-rebuild-worker"]


def test_on_a_short_log_or_sqlite_the_rebuild_stays_in_this_process(casework, monkeypatch) -> None:
    _history(casework)
    monkeypatch.setattr(casework.projections, "rebuild_workers", 4)  # parallel_from left as is
    started = _workers_started(monkeypatch)
    casework.projections.rebuild()
    if casework.engine.dialect.name == "sqlite":
        monkeypatch.setattr(casework.projections, "parallel_from", 0)
        casework.projections.rebuild()
    assert started == []


def _bad_visit(casework, r: Recorder, pid: str) -> None:
    """A VisitPlanned without its reason: a fold that needs the reason cannot apply it."""
    new = to_new_event(VisitPlanned(visit_id="v-bad", provider_id=pid, reason="responsive",
                                    planned_for=T0), metadata=Metadata(actor="amy", provider_id=pid),
                       occurred_at=T0)
    data = {k: v for k, v in new.data.items() if k != "reason"}
    casework.store.append("visit-v-bad", [new.model_copy(update={"data": data})])


@postgres_only
def test_a_fold_failing_in_a_worker_halts_what_one_process_would_halt(casework, monkeypatch) -> None:
    r = _history(casework)
    _bad_visit(casework, r, r.provider(name="Broken House"))
    names = sorted(p.name for p in casework.projections.projections())
    expected = set()
    for name in names:  # what halts when each is rebuilt alone, in this process
        try:
            casework.projections.rebuild([name])
        except ProjectionHalted:
            expected.add(name)
    assert len(expected) > 1  # the history breaks folds in more than one process
    casework.projections.halted.clear()
    before = snapshot(casework)
    _parallel(casework, monkeypatch, len(names))  # one projection per process
    with pytest.raises(ProjectionHalted, match="VisitPlanned") as raised:
        casework.projections.rebuild()
    assert raised.value.projection == min(expected)
    assert set(casework.projections.halted) == expected
    # Those that halted kept their rows; the others were rebuilt, to the same rows as before.
    assert snapshot(casework) == before


@postgres_only
def test_a_killed_worker_leaves_its_read_models_as_they_were(casework, monkeypatch) -> None:
    before = _rebuilt_in_this_process(casework)
    _parallel(casework, monkeypatch, 2)
    started = _workers_started(monkeypatch)
    real = casework.projections._rebuild_group

    def kill_the_worker_first(projections, progress):
        for worker in started:
            os.kill(worker.pid, signal.SIGKILL)
            worker.process.wait()
        return real(projections, progress)

    monkeypatch.setattr(casework.projections, "_rebuild_group", kill_the_worker_first)
    with pytest.raises(RuntimeError, match="ended without finishing") as raised:
        casework.projections.rebuild()
    assert ", ".join(started[0].names) in str(raised.value)
    assert snapshot(casework) == before
    head = casework.store.head_position()
    assert all(s.position == head for s in casework.projections.status())
