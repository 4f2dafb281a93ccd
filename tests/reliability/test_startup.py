"""A server answers at once however far behind its read models are: they catch up in the
background and /healthz says so until they have (both backends)."""

from __future__ import annotations

import threading
from typing import ClassVar

from fastapi.testclient import TestClient

from casework.api.app import create_app
from casework.bootstrap import bootstrap
from casework.domain.actors import Actor, Role
from casework.domain.enums import ServiceType
from casework.domain.providers import RegisterProvider
from casework.warmup import Warmup

MANNY = Actor("manny", Role.manager)
WAIT = 60  # seconds: a bound on a hung test, never a pause


class Gate:
    """A read model whose first page waits for the test to open the gate: a catch-up that
    takes as long as the test wants, without any sleep."""

    name: ClassVar[str] = "gate"
    version: ClassVar[int] = 1
    tables: ClassVar[list] = []
    event_types = None

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.open = threading.Event()

    def apply(self, conn, events) -> None:
        self.entered.set()
        assert self.open.wait(WAIT), "the test never opened the gate"


def test_healthz_answers_starting_while_the_read_models_catch_up_then_ok(settings, clock) -> None:
    cw = bootstrap(settings, clock=clock)
    cw.application.execute(RegisterProvider(name="Ash House", service_type=ServiceType.home_care), MANNY)
    cw.close()

    cw = bootstrap(settings, clock=clock, catch_up=False)
    gate = Gate()
    cw.projections.registry.register(gate)
    try:
        warmup = Warmup(cw, scheduler=False, follow=False).start()
        assert gate.entered.wait(WAIT)
        with TestClient(create_app(cw, warmup)) as client:
            starting = client.get("/healthz")
            assert starting.status_code == 503
            body = starting.json()
            assert body["status"] == "starting" and body["head"] == 1
            assert {"read_model": "gate", "position": 0} in body["read_models"]
            gate.open.set()
            assert warmup.wait(WAIT) and warmup.failed is None
            ready = client.get("/healthz")
            assert ready.status_code == 200 and ready.json()["status"] == "ok"
            # Caught up: the provider registered before the start is in its read model.
            providers = cw.projections.status()
            assert all(s.position == 1 for s in providers)
    finally:
        gate.open.set()
        cw.close()


def test_a_warmup_that_fails_leaves_the_server_answering_and_healthz_degraded(settings, clock) -> None:
    cw = bootstrap(settings, clock=clock, catch_up=False)

    def broken() -> None:
        raise RuntimeError("the database went away")

    cw.projections.catch_up = broken  # type: ignore[method-assign]
    try:
        warmup = Warmup(cw, scheduler=False, follow=False).start()
        assert warmup.wait(WAIT)
        with TestClient(create_app(cw, warmup)) as client:
            answer = client.get("/healthz")
            assert answer.status_code == 503
            assert answer.json()["status"] == "degraded"
            assert "RuntimeError" in answer.json()["startup"]
            assert "went away" not in answer.text  # the reason may quote data: only its type
    finally:
        cw.close()
