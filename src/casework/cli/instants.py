"""The one reading of a date or time given to a command-line option (``deadlines run --now``,
``deadlines list --before``, ``history --as-of``), so every option accepts the same forms:

- ``2027-06-01``: the start of that day in England (Europe/London);
- ``2027-06-01T10:00`` (or with seconds, or a space for the ``T``): that wall-clock time in England;
- ``2027-06-01T10:00+01:00`` or ``...Z``: that instant, as given.

Every answer is an aware datetime in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
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


__all__ = ["ENGLAND", "FORMS", "parse_instant"]
