"""Time is a dependency: domain code asks a clock, never ``datetime.now()``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that tests move by hand. ``now()`` returns the same instant until advanced."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = instant.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._now = self._now + delta


def utc(instant: datetime) -> datetime:
    """Normalise an aware datetime to UTC; naive datetimes are refused rather than guessed."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: give a timezone offset, e.g. 2026-01-31T09:00:00+00:00")
    return instant.astimezone(UTC)
