"""The council's reporting periods, defined once: the financial year runs from 1 April to 31
March and is named by its two years ("2018/19"); its quarters are April–June (Q1), July–
September (Q2), October–December (Q3) and January–March (Q4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

FIRST_MONTH = 4  # April


@dataclass(frozen=True, slots=True)
class ReportingPeriod:
    """Inclusive dates, and the name a person reads."""

    first: date
    last: date
    name: str

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last


def financial_year(day: date) -> ReportingPeriod:
    """The financial year ``day`` falls in."""
    start = day.year if day.month >= FIRST_MONTH else day.year - 1
    return ReportingPeriod(date(start, FIRST_MONTH, 1), date(start + 1, FIRST_MONTH, 1) - timedelta(days=1),
                  f"{start}/{(start + 1) % 100:02d}")


def quarters(year: ReportingPeriod) -> list[ReportingPeriod]:
    """The four quarters of a financial year, in order."""
    found = []
    for index in range(4):
        first = _months_after(year.first, 3 * index)
        last = _months_after(first, 3) - timedelta(days=1)
        found.append(ReportingPeriod(first, last, f"Q{index + 1} {year.name} ({first:%B} to {last:%B})"))
    return found


def _months_after(day: date, months: int) -> date:
    """The first of the month ``months`` after ``day``'s."""
    years, month = divmod(day.month - 1 + months, 12)
    return date(day.year + years, month + 1, 1)


__all__ = ["ReportingPeriod", "financial_year", "quarters"]
