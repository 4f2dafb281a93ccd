"""What query functions accept as their first argument, and the council's calendar day.

Every query (``provider_view``, ``triage_inbox``, ``statistics``...) takes a ``source``: a
SQLAlchemy ``Connection``, an ``Engine`` or the ``Casework`` container. With the container the
clock is the container's, so pages and tests agree on "now".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine

from casework.clock import SystemClock
from casework.events.store import EventStore
from casework.events.store.database import reading

# Dates (due dates, "today", statistics periods) are the council's local dates.
COUNCIL_ZONE = ZoneInfo("Europe/London")


def local_date(instant: datetime) -> date:
    return instant.astimezone(COUNCIL_ZONE).date()


@contextmanager
def connect(source: Any) -> Iterator[Connection]:
    """A connection from a Connection (used as is), an Engine or a Casework container. With the
    container the read models are fresh first: they have reached what this process appended and
    what the request asks for (``ProjectionRunner.fresh``, read-your-writes)."""
    if isinstance(source, Connection):
        yield source
        return
    engine: Engine = source if isinstance(source, Engine) else source.engine
    runner = getattr(source, "projections", None)
    if runner is not None:
        runner.fresh()
    with reading(engine) as conn:
        yield conn


def now_of(source: Any, now: datetime | None = None) -> datetime:
    if now is not None:
        return now
    clock = getattr(source, "clock", None) or SystemClock()
    return clock.now()


def store_of(source: Any) -> EventStore:
    store = getattr(source, "store", None)
    if isinstance(store, EventStore):
        return store
    if isinstance(source, Connection):
        return EventStore(source.engine)
    return EventStore(source if isinstance(source, Engine) else source.engine)


__all__ = ["COUNCIL_ZONE", "connect", "local_date", "now_of", "store_of"]
