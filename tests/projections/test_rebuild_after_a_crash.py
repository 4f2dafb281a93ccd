"""A rebuild killed part-way (its process gone, as by a crash or ``kill -9``) leaves the read
models serving as they were, and the next rebuild runs to completion with the right rows, on
both backends. On PostgreSQL the killed rebuild was building new tables in ``casework_rebuild``
beside the serving ones: none is left there; on SQLite it was rebuilding in place, in a
transaction the crash rolls back."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import text

from .builders import T0, Recorder
from .test_rebuild_equals_incremental import snapshot

WAIT = 60  # a bound on a hung test, never a pause

# ``casework rebuild`` as the command runs it, in pages of two events, held for good by its
# progress report after the first page: the test kills it there, part-way through the log.
REBUILD_HELD_PART_WAY = """
import sys
from casework.bootstrap import bootstrap
from casework.settings import Settings

cw = bootstrap(Settings(database_url=sys.argv[1], scheduler_enabled=False), catch_up=False)
cw.projections.rebuild_page_size = 2

def held(name, done, total):
    print(f"rebuilding {name}: {done} of {total} events", flush=True)
    sys.stdin.readline()  # never answered: the test kills this process here

cw.projections.rebuild(progress=held)
"""


def _history(r: Recorder) -> list[str]:
    providers = []
    for n in range(3):
        pid = r.provider(name=f"Home {n}")
        r.rating(pid, "requires_improvement", T0.date())
        r.record(pid, risk="high", action_required=True, allocate_to="bob")
        r.record(pid, T0 + timedelta(days=1), risk="high", action_required=True, close="actioned")
        r.lead(pid, "lena", T0 + timedelta(days=2))
        r.concern(pid, section_42=True)
        providers.append(pid)
    return providers


def _started_and_held(database_url: str) -> tuple[subprocess.Popen[str], int, int]:
    """The rebuild in a process of its own, held after its first page; with the events it had
    folded then and the events it had to fold."""
    child = subprocess.Popen(
        [sys.executable, "-c", REBUILD_HELD_PART_WAY, database_url],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "CASEWORK_LOG_LEVEL": "WARNING"},
    )
    assert child.stdout is not None
    with selectors.DefaultSelector() as ready:
        ready.register(child.stdout, selectors.EVENT_READ)
        said = child.stdout.readline() if ready.select(WAIT) else ""
    if not said.startswith("rebuilding"):
        child.kill()
        _, err = child.communicate(timeout=WAIT)
        raise AssertionError(f"the rebuild was not held part-way: {said!r} {err[-2000:]}")
    done, _, total = said.rpartition(": ")[2].removesuffix(" events\n").partition(" of ")
    return child, int(done), int(total)


def _shadow_tables(cw) -> list[str]:
    with cw.engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'casework_rebuild'"
        )).scalars())


def _killed(child: subprocess.Popen[str]) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=WAIT)


def test_a_rebuild_killed_part_way_leaves_the_read_models_serving_and_the_next_one_finishes(
    casework, database_url
) -> None:
    cw = casework
    r = Recorder(cw.store)
    providers = _history(r)
    serving = snapshot(cw)
    positions = {s.name: s.position for s in cw.projections.status()}

    child, done, total = _started_and_held(database_url)
    assert 0 < done < total
    try:
        # Part-way through the log: readers are answered from the serving read models, as they were.
        assert snapshot(cw) == serving
        assert {s.name: s.position for s in cw.projections.status()} == positions
    finally:
        _killed(child)
    assert snapshot(cw) == serving
    assert {s.name: s.position for s in cw.projections.status()} == positions

    # Writes carry on (the dead rebuild's locks went with it), and the next rebuild gives the
    # read models those writes gave, every one of them at the head of the log.
    r.record(providers[0], T0 + timedelta(days=3), risk="critical", action_required=True)
    r.lead(providers[1], "omar", T0 + timedelta(days=3))
    caught_up = snapshot(cw)
    assert caught_up != serving
    cw.projections.rebuild()
    assert snapshot(cw) == caught_up
    head = cw.store.head_position()
    assert all(s.position == head and not s.halted for s in cw.projections.status())
    if cw.engine.dialect.name == "postgresql":
        assert _shadow_tables(cw) == []  # nothing half-built left beside the serving tables
