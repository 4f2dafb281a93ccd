"""Working-day arithmetic: weekends and English bank holidays are not working days.

Bank holidays come from the ``holidays`` library (``country_holidays("GB", subdiv="ENG")``),
never from a hand-typed list, so new years and one-off holidays need no code change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import cached_property

import holidays


class WorkingCalendar:
    """Which days are working days. ``closures`` adds council-specific closure dates."""

    def __init__(self, closures: Iterable[date] = ()) -> None:
        self.closures = frozenset(closures)
        # Answers never change for a calendar: remembered (a rebuild asks the same ones often).
        self._working: dict[date, bool] = {}
        self._added: dict[tuple[date, int], date] = {}

    @cached_property
    def _bank_holidays(self) -> holidays.HolidayBase:
        return holidays.country_holidays("GB", subdiv="ENG")

    def is_working_day(self, day: date) -> bool:
        known = self._working.get(day)
        if known is None:
            known = day.weekday() < 5 and day not in self._bank_holidays and day not in self.closures
            self._working[day] = known
        return known

    def holiday_name(self, day: date) -> str | None:
        return self._bank_holidays.get(day)

    def add_working_days(self, start: date, days: int) -> date:
        """The day ``days`` working days after ``start`` (before it, when negative).

        ``start`` itself need not be a working day: one working day after Good Friday 2026
        (3 April) is Tuesday 7 April, as Easter Monday is a bank holiday.
        """
        known = self._added.get((start, days))
        if known is not None:
            return known
        step = 1 if days >= 0 else -1
        day, remaining = start, abs(days)
        while remaining:
            day += timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        self._added[(start, days)] = day
        return day

    def add_days(self, start: date, days: int, *, working: bool) -> date:
        """Calendar days, or working days when ``working``."""
        return self.add_working_days(start, days) if working else start + timedelta(days=days)

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie after ``start`` up to and including ``end``."""
        if end <= start:
            return 0
        return sum(
            1 for n in range(1, (end - start).days + 1) if self.is_working_day(start + timedelta(n))
        )


ENGLAND = WorkingCalendar()
