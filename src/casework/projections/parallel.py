"""A rebuild shared among processes, on PostgreSQL: one group of projections per process.

One Python process folds on one core at a time (the interpreter lock), and a rebuild is nearly
all folding. Projections are independent (each has its own tables, checkpoint and advisory
lock), so ``ProjectionRunner.rebuild`` can hand groups of them to worker processes: each worker
bootstraps Casework from the same settings (the same projections, the same deadline policy),
reads the log on its own connection and rebuilds its group in its own transaction, exactly as
one process would rebuild that group. The calling process rebuilds the heaviest group itself
meanwhile. What each group promises is unchanged: its read models and checkpoints move in one
transaction, a fold that fails halts that projection (the ones before it in its group commit),
and a worker that dies takes its uncommitted transaction with it, leaving its projections'
old rows and checkpoints as they were.

Groups are balanced by an estimate of their cost: the events of each projection's types in the
log times its ``rebuild_cost`` (microseconds of folding and writing per event, measured with
``benchmarks/``; 10 when a projection does not say), largest first onto the lightest group.
Every group also reads and decodes the whole log, so more groups than cores only adds work.

SQLite keeps one process: its single write lock would serialise the groups anyway.
"""

from __future__ import annotations

import importlib
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from sqlalchemy import Engine

from casework.clock import Clock
from casework.events.store.database import reading
from casework.logs import error_text
from casework.projections.base import Projection
from casework.projections.halts import ProjectionHalted
from casework.projections.rebuild import Progress
from casework.settings import Settings

log = structlog.get_logger("casework.projections")

DEFAULT_REBUILD_COST = 10.0

# A rebuild of a log shorter than this stays in one process: starting a worker (a new
# interpreter importing Casework and connecting) costs about as much as folding this many.
PARALLEL_FROM = 100_000


@dataclass(frozen=True)
class Spawn:
    """What a worker needs to build the same projections as the process that started it:
    the settings, the clock, and the composition root that builds them (``module:function``,
    given by that root itself, so this layer never imports the one above it)."""

    settings: Settings
    clock: Clock
    build: str = "casework.bootstrap:bootstrap"

    def bootstrap(self, settings: Settings) -> Any:
        module, _, function = self.build.partition(":")
        return getattr(importlib.import_module(module), function)(
            settings, self.clock, migrate=False, catch_up=False
        )


def cost(projection: Projection, events_by_type: Mapping[str, int]) -> float:
    """The estimated cost of rebuilding ``projection`` from a log with these type counts."""
    types = projection.event_types
    events = sum(events_by_type.values()) if types is None else sum(
        events_by_type.get(t, 0) for t in types
    )
    return events * float(getattr(projection, "rebuild_cost", DEFAULT_REBUILD_COST))


def plan(projections: list[Projection], events_by_type: Mapping[str, int], workers: int
         ) -> list[list[Projection]]:
    """At most ``workers`` groups of ``projections``, balanced by cost (longest first onto the
    lightest group), heaviest group first; each group sorted by name, none empty."""
    groups: list[tuple[float, list[Projection]]] = [(0.0, []) for _ in range(max(1, workers))]
    ranked = sorted(projections, key=lambda p: (-cost(p, events_by_type), p.name))
    for projection in ranked:
        lightest = min(range(len(groups)), key=lambda i: (groups[i][0], i))
        total, members = groups[lightest]
        groups[lightest] = (total + cost(projection, events_by_type), [*members, projection])
    kept = sorted((g for g in groups if g[1]), key=lambda g: -g[0])
    return [sorted(members, key=lambda p: p.name) for _, members in kept]


def share(engine: Engine, projections: list[Projection], workers: int, parallel_from: int
          ) -> list[list[Projection]]:
    """How to share a rebuild of ``projections`` among at most ``workers`` processes: one group
    (this process alone) on SQLite or for a log shorter than ``parallel_from``."""
    workers = min(workers, len(projections))
    if workers < 2 or engine.dialect.name != "postgresql":
        return [projections]
    with reading(engine) as conn:
        counted = conn.exec_driver_sql("SELECT type, count(*) FROM events GROUP BY type").all()
    by_type: dict[str, int] = dict(counted)
    if sum(by_type.values()) < parallel_from:
        return [projections]
    return plan(projections, by_type, workers)


def rebuild_in_processes(
    groups: list[list[Projection]],
    spawn: Spawn,
    here: Callable[[list[Projection], Progress | None], dict[str, int]],
    progress: Progress | None,
    halted: dict[str, str],
) -> dict[str, int]:
    """Rebuild the first group with ``here`` and each other in a worker process of its own, at
    the same time. Returns the events folded by each projection once every group has ended
    (recording halts in ``halted``); raises the first halt (by projection name) after that, or
    a RuntimeError naming the projections of a worker that failed or died."""
    folded: dict[str, int] = {}
    halts: list[ProjectionHalted] = []
    workers: list[Worker] = []
    try:
        for group in groups[1:]:
            for projection in group:
                halted.pop(projection.name, None)
            worker = Worker(spawn, [p.name for p in group], progress is not None)
            workers.append(worker)
            log.info("projection_rebuild_worker_started", pid=worker.pid, projections=worker.names)

        def relay(name: str, done: int, total: int) -> None:
            for worker in workers:
                worker.listen(progress)
            progress(name, done, total)  # type: ignore[misc]  # relayed only with a progress

        try:
            folded.update(here(groups[0], relay if progress else None))
        except ProjectionHalted as exc:
            halts.append(exc)
        for worker in workers:
            worker.wait(progress)
    finally:
        for worker in workers:  # still running only if this process is being interrupted
            worker.stop()
    failures = []
    for worker in workers:
        message, names = worker.ended, ", ".join(worker.names)
        if message is None:
            failures.append(
                f"the worker rebuilding {names} ended without finishing (exit code "
                f"{worker.process.returncode}): their read models are as they were"
            )
        elif message[0] == "done":
            folded.update(message[1])
        elif message[0] == "halted":
            halts.append(ProjectionHalted.reported(*message[1:]))
        else:
            failures.append(f"the worker rebuilding {names} failed: {message[1]}")
    for halt in halts:
        halted[halt.projection] = str(halt)
    if failures:
        raise RuntimeError("; ".join(failures) + "; run `casework rebuild` again")
    if halts:
        raise min(halts, key=lambda e: e.projection)
    return folded


# ------------------------------------------------------------------------- the worker's side
# A worker is ``python -m casework.projections.rebuild_worker``: a new interpreter (never a fork
# of a process that has threads and pooled connections, and no re-import of the caller's main
# module as multiprocessing's spawn does). It reads what to do as a pickle on its standard
# input and answers in JSON lines on its standard output: any number of progress reports, then
# exactly one of done / halted / failed. A worker that exits without one was killed.
Message = tuple[Any, ...]


class Worker:
    """A worker process rebuilding ``names``; its messages arrive on ``messages``."""

    def __init__(self, spawn: Spawn, names: list[str], report_progress: bool) -> None:
        self.names = names
        self.messages: queue.Queue[Message] = queue.Queue()
        self.ended: Message | None = None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "casework.projections.rebuild_worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )
        assert self.process.stdin is not None
        with self.process.stdin as orders:
            orders.write(pickle.dumps((spawn, names, report_progress)))
        self._reader = threading.Thread(target=self._read, name="casework-rebuild-worker", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _read(self) -> None:
        assert self.process.stdout is not None
        with self.process.stdout as answers:
            for line in answers:
                self.messages.put(tuple(orjson.loads(line)))

    def listen(self, on_progress: Callable[[str, int, int], None] | None, timeout: float | None = None
               ) -> None:
        """Hand the progress reports waiting (up to ``timeout`` for the first) to ``on_progress``
        and keep the final message."""
        block = timeout is not None
        while True:
            try:
                message = self.messages.get(block, timeout) if block else self.messages.get_nowait()
            except queue.Empty:
                return
            block = False
            if message[0] != "progress":
                self.ended = message
            elif on_progress is not None:
                on_progress(*message[1:])

    def wait(self, on_progress: Callable[[str, int, int], None] | None) -> None:
        """Until the worker has said how it went, or exited."""
        while self.ended is None and self.process.poll() is None:
            self.listen(on_progress, timeout=0.2)
        self.process.wait()
        self._reader.join()
        self.listen(on_progress)  # what it said just before it exited

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait()


def work(spawn: Spawn, names: list[str], say: Callable[[Message], None], report_progress: bool) -> None:
    """In the worker: rebuild ``names`` in this process, as ``rebuild`` would, saying how it
    went with ``say``."""

    settings = spawn.settings.model_copy(update={"scheduler_enabled": False})
    cw = None
    try:
        cw = spawn.bootstrap(settings)
        cw.projections.rebuild_workers = 1

        def progress(name: str, done: int, total: int) -> None:
            say(("progress", name, done, total))

        folded = cw.projections.rebuild(names, progress=progress if report_progress else None)
        say(("done", folded))
    except ProjectionHalted as exc:
        say(("halted", exc.projection, exc.position, exc.event_type, str(exc)))
    except BaseException as exc:
        say(("failed", error_text(exc)))
    finally:
        if cw is not None:
            cw.close()


__all__ = [
    "PARALLEL_FROM", "Spawn", "Worker", "cost", "plan", "rebuild_in_processes", "share", "work",
]
