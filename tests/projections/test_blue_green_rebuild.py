"""A rebuild on PostgreSQL builds new tables beside the serving ones: readers and writers never
wait for it, what is appended meanwhile is in the rebuilt read model, and a rebuild that fails
leaves the serving tables as they were."""

from __future__ import annotations

import threading
from typing import ClassVar

import pytest
from sqlalchemy import text

from casework.domain.actors import Actor, Role
from casework.domain.enums import ServiceType
from casework.domain.providers import RegisterProvider
from casework.projections.provider_view import provider_view

# PostgreSQL only: SQLite rebuilds in place, and its readers never wait for a writer (WAL).
pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("database_url", ["postgres"], indirect=True)]

MANNY = Actor("manny", Role.manager)
WAIT = 60  # a bound on a hung test, never a pause


class Gate:
    """Rebuilt with the provider view, in the same pass: its first page waits for the test, so
    the rebuild is held part-way through the log for as long as the test needs."""

    name: ClassVar[str] = "gate"
    version: ClassVar[int] = 1
    tables: ClassVar[list] = []
    event_types = None

    def __init__(self, fail: bool = False) -> None:
        self.entered = threading.Event()
        self.open = threading.Event()
        self.fail = fail

    def rebuilder(self, conn):
        return self

    def fold(self, events) -> None:
        self.entered.set()
        assert self.open.wait(WAIT), "the test never opened the gate"
        if self.fail:
            raise RuntimeError("the fold failed")

    def finish(self) -> None:
        pass

    def apply(self, conn, events) -> None:
        pass


def _register(cw, name: str) -> str:
    command = RegisterProvider(name=name, service_type=ServiceType.home_care)
    return cw.application.execute(command, MANNY).aggregate_id


@pytest.fixture
def pg(casework):
    return casework


def _rebuild_in_background(cw, gate: Gate) -> tuple[threading.Thread, list]:
    """The provider view rebuilt with the gate in one pass, as ``casework rebuild`` would (the
    gate is not one of the runner's read models, so no write's catch-up waits for it)."""
    errors: list = []
    together = [cw.projections.registry.get("provider_view"), gate]

    def run() -> None:
        try:
            cw.projections._rebuilding().in_one_transaction(together, None)
        except Exception as exc:
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert gate.entered.wait(WAIT)
    return thread, errors


def test_readers_and_writers_carry_on_during_a_rebuild_and_its_result_includes_their_writes(pg) -> None:
    cw = pg
    before = _register(cw, "Before House")
    gate = Gate()
    thread, errors = _rebuild_in_background(cw, gate)
    try:
        # A reader of the serving table is answered at once: the rebuild holds no lock it needs
        # (in place, the rebuild's DROP TABLE held ACCESS EXCLUSIVE until its commit).
        with cw.engine.connect() as conn:
            conn.execute(text("SET statement_timeout = '10s'"))
            assert conn.execute(text("SELECT count(*) FROM rm_providers")).scalar() == 1
        assert provider_view(cw, before) is not None
        # A write, and its read-your-write catch-up, completes while the rebuild is held.
        during = _register(cw, "During House")
        assert provider_view(cw, during).name == "During House"
    finally:
        gate.open.set()
        thread.join(WAIT)
    assert not errors and not thread.is_alive()
    # The rebuilt read model holds what was appended while it was being built.
    with cw.engine.connect() as conn:
        names = set(conn.execute(text("SELECT name FROM rm_providers")).scalars())
        shadow = conn.execute(text(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'casework_rebuild'"
        )).scalar()
    assert names == {"Before House", "During House"}
    assert shadow == 0  # every new table was swapped in
    status = {s.name: s.position for s in cw.projections.status()}
    assert status["provider_view"] == cw.store.head_position()


def test_a_rebuild_that_fails_leaves_the_serving_tables_and_checkpoint_as_they_were(pg) -> None:
    cw = pg
    pid = _register(cw, "Steady House")
    position = {s.name: s.position for s in cw.projections.status()}["provider_view"]
    gate = Gate(fail=True)
    thread, errors = _rebuild_in_background(cw, gate)
    gate.open.set()
    thread.join(WAIT)
    assert errors, "the failed fold should have been reported"
    assert provider_view(cw, pid).name == "Steady House"
    assert {s.name: s.position for s in cw.projections.status()}["provider_view"] == position
    # And the next rebuild starts afresh and succeeds.
    cw.projections.rebuild(["provider_view"])
    assert provider_view(cw, pid).name == "Steady House"
