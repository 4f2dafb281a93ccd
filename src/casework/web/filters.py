"""Template filters: how times, ages and the system's words are shown to people."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment

from casework.projections.words import LABELS, event_label, label
from casework.web.paging import showing
from casework.wording import counted

LOCAL = ZoneInfo("Europe/London")


def _aware(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def when(value: datetime | date | str | None, with_time: bool = True) -> str:
    """A date (and time) in UK local time, e.g. ``Mon 2 Mar 2026, 09:00``."""
    if value is None or value == "":
        return "—"
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"{value:%a} {value.day} {value:%b %Y}"
    local = _aware(value).astimezone(LOCAL)
    day = f"{local:%a} {local.day} {local:%b %Y}"
    return f"{day}, {local:%H:%M}" if with_time else day


def iso_date(value: datetime | date | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    return _aware(value).astimezone(LOCAL).date().isoformat()


def datetime_local(value: datetime | str | None) -> str:
    """The value of an ``<input type=datetime-local>``: UK local time, to the minute."""
    if value is None or value == "":
        return ""
    return _aware(value).astimezone(LOCAL).strftime("%Y-%m-%dT%H:%M")


def age(value: datetime | str | None, now: datetime | None = None) -> str:
    """How long ago, in the largest sensible unit: ``3 h``, ``2 days``, ``5 weeks``."""
    if value is None or value == "":
        return "—"
    seconds = ((now or datetime.now(UTC)) - _aware(value)).total_seconds()
    if seconds < 3600:
        return f"{max(int(seconds // 60), 0)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    days = int(seconds // 86400)
    if days < 21:
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{days // 7} weeks"


def number(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return "—" if value is None else str(value)


__all__ = ["LABELS", "LOCAL", "age", "datetime_local", "event_label", "install", "iso_date", "label",
           "number", "when"]


def install(env: Environment) -> None:
    env.filters.update(
        label=label, event_label=event_label, when=when, iso_date=iso_date,
        datetime_local=datetime_local, age=age, number=number,
    )
    env.globals["counted"] = counted
    env.globals["showing"] = showing
