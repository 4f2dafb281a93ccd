"""The one reading of a date or time given to a command-line option (``deadlines run --now``,
``deadlines list --before``, ``history --as-of``), so every option accepts the same forms:

- ``2027-06-01``: the start of that day in England (Europe/London); for the options that ask
  for the state of things *on* a day (``history --as-of`` and ``--as-known-at``:
  ``parse_day_end``), the end of that day, so that everything on that day counts, as an auditor
  asking "what was the position on 1 Sep 2018?" expects;
- ``2027-06-01T10:00`` (or with seconds, or a space for the ``T``): that wall-clock time in England;
- ``2027-06-01T10:00+01:00`` or ``...Z``: that instant, as given.

Every answer is an aware datetime in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import typer

ENGLAND = ZoneInfo("Europe/London")
FORMS = "give yyyy-mm-dd, yyyy-mm-ddThh:mm (time in England) or yyyy-mm-ddThh:mm+01:00"


def parse_instant(value: str) -> datetime:
    """``value`` as an instant in UTC; a date or a time without offset is read in Europe/London.
    Raises ``typer.BadParameter`` (exit 2, naming the option) for anything else."""
    try:
        instant = datetime.fromisoformat(value.strip())  # a bare date is its midnight
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date or time: {FORMS}") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=ENGLAND)
    return instant.astimezone(UTC)


def parse_day_end(value: str) -> datetime:
    """As ``parse_instant``, except that a bare date is the last instant of that day in England
    (23:59:59.999999): "as of 1 Sep 2018" includes everything on 1 Sep 2018."""
    instant = parse_instant(value)
    if "T" in value.strip() or " " in value.strip() or ":" in value:
        return instant
    day = instant.astimezone(ENGLAND).date()
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=ENGLAND)
    return (next_midnight - timedelta(microseconds=1)).astimezone(UTC)


__all__ = ["ENGLAND", "FORMS", "parse_day_end", "parse_instant"]
