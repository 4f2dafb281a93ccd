"""The one composition root: ``serve``, the CLI and the tests all build Casework here.

Tests call ``bootstrap(settings, clock=FixedClock(...))`` with a temporary store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from casework.clock import Clock, SystemClock
from casework.db import ensure_schema, make_engine
from casework.events.store import EventStore
from casework.settings import Settings, load_settings


@dataclass
class Casework:
    """Everything a process needs, wired once."""

    settings: Settings
    clock: Clock
    engine: Engine
    store: EventStore
    extras: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        self.engine.dispose()


def bootstrap(
    settings: Settings | None = None, clock: Clock | None = None, *, migrate: bool = True
) -> Casework:
    settings = settings or load_settings()
    clock = clock or SystemClock()
    engine = make_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    if migrate:
        ensure_schema(engine)
    store = EventStore(engine, clock)
    return Casework(settings=settings, clock=clock, engine=engine, store=store)
