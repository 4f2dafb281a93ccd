"""The one composition root: ``serve``, the CLI and the tests all build Casework here.

Tests call ``bootstrap(settings, clock=FixedClock(...))`` with a temporary store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from casework.application_wiring import wire_application
from casework.clock import Clock, SystemClock
from casework.db import ensure_schema, make_engine
from casework.domain.application import Application
from casework.domain.frameworks import FrameworkRegistry
from casework.domain.personal_data import PersonVault
from casework.events.store import EventStore
from casework.projections import ProjectionRunner, wire_projections
from casework.settings import Settings, load_settings
from casework.users import UserDirectory
from casework.workflows.policy import DEFAULT_POLICY, DeadlinePolicy
from casework.workflows.scheduler import DeadlineScheduler
from casework.workflows.wiring import wire_workflows


@dataclass
class Casework:
    """Everything a process needs, wired once."""

    settings: Settings
    clock: Clock
    engine: Engine
    store: EventStore
    extras: dict[str, Any] = field(default_factory=dict)
    policy: DeadlinePolicy = DEFAULT_POLICY
    # Built stopped; ``serve`` starts it when settings.scheduler_enabled.
    scheduler: DeadlineScheduler | None = None
    # Users and their API tokens (``casework users``, HTTP authentication).
    users: UserDirectory = field(init=False)
    # The command bus and the sealed personal data (casework.application_wiring).
    application: Application = field(init=False)
    vault: PersonVault = field(init=False)
    frameworks: FrameworkRegistry = field(init=False)
    # The read models' runner (casework.projections); ``serve`` also starts its follower.
    projections: ProjectionRunner | None = None

    def __post_init__(self) -> None:
        self.users = UserDirectory(self.engine, self.store, self.clock)

    def close(self) -> None:
        if self.projections is not None:
            self.projections.stop()
        if self.scheduler is not None:
            self.scheduler.shutdown()
        self.engine.dispose()


def bootstrap(
    settings: Settings | None = None,
    clock: Clock | None = None,
    *,
    migrate: bool = True,
    catch_up: bool = True,
) -> Casework:
    settings = settings or load_settings()
    clock = clock or SystemClock()
    engine = make_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    if migrate:
        ensure_schema(engine)
    store = EventStore(engine, clock)
    cw = Casework(settings=settings, clock=clock, engine=engine, store=store)
    wire_application(cw)
    wire_workflows(cw)
    cw.projections = wire_projections(cw, catch_up=catch_up)
    return cw
