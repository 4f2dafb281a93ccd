"""What an event tells people, and the words of the email.

``NOTICES`` maps an event type to the function that reads a ``Notice`` from its data: the one
place that says which events send mail. A new kind of alert is one line here.

An email names the provider, the deadline's title, its due date and a link into Casework, and
nothing else: no whistleblower or adult at risk, no safeguarding detail, no intelligence summary.
Deadline titles are written by the deadline rules (``workflows/deadline_rules.py``), never typed
by a person, so they quote nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from casework.workflows.deadlines import reminder_id


@dataclass(frozen=True)
class Notice:
    """What one event tells the owner of a deadline."""

    kind: str  # "alert": the deadline fell due; "reminder": it falls due soon
    deadline_id: str  # what the message is about: the deadline, or the reminder (its own id)
    provider_id: str | None
    title: str
    due_at: datetime
    owner: str
    missed: int = 1


def _when(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def deadline_reached(data: Mapping[str, Any]) -> Notice:
    return Notice("alert", data["deadline_id"], data.get("provider_id"), data["title"],
                  _when(data["due_at"]), data["owner"], int(data.get("missed") or 1))


def deadline_reminder(data: Mapping[str, Any]) -> Notice:
    # Kept by the reminder's own id: each of a deadline's reminders has its own emails.
    return Notice("reminder", reminder_id(data["deadline_id"], data["offset"]),
                  data.get("provider_id"), data["title"],
                  _when(data["due_at"]), data["owner"])


# Event type -> its notice. Keyed by type name: the read of the data needs no event class.
NOTICES: dict[str, Callable[[Mapping[str, Any]], Notice]] = {
    "DeadlineReached": deadline_reached,
    "DeadlineReminder": deadline_reminder,
}


def provider_link(base_url: str, provider_id: str | None) -> str:
    return f"{base_url}/providers/{provider_id}" if provider_id else f"{base_url}/"


def day(instant: datetime, zone: ZoneInfo) -> str:
    """``Monday 2 March 2026`` in the council's time zone."""
    local = instant.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y}"


def alert_email(notice: Notice, provider: str, base_url: str, zone: ZoneInfo) -> tuple[str, str]:
    """(subject, body) of one alert or reminder."""
    due = day(notice.due_at, zone)
    if notice.kind == "reminder":
        subject = f"Reminder: {notice.title} ({provider}), due {due}"
        opening = "A deadline you own falls due soon."
    else:
        subject = f"Deadline reached: {notice.title} ({provider})"
        opening = "A deadline you own has fallen due."
    lines = [
        opening, "",
        f"Provider: {provider}",
        f"Deadline: {notice.title}",
        f"Due: {due}",
    ]
    if notice.missed > 1:
        lines.append(f"Missed: {notice.missed} occurrences since {due}")
    lines += ["", f"Open it in Casework: {provider_link(base_url, notice.provider_id)}", "", FOOTER]
    return subject, "\n".join(lines) + "\n"


FOOTER = (
    "Casework sends this because you own the deadline, or your team does. Details are kept in "
    "Casework only: sign in to read them."
)


@dataclass(frozen=True)
class DigestLine:
    title: str
    provider: str
    due_at: datetime
    provider_id: str | None


def digest_email(
    name: str, today: str, due: list[DigestLine], overdue: list[DigestLine], base_url: str,
    zone: ZoneInfo,
) -> tuple[str, str]:
    subject = f"Casework digest for {today}: {len(due)} due this week, {len(overdue)} overdue"
    lines = [f"Deadlines owned by {name} or their team, {today}.", ""]
    for heading, items in (("Overdue", overdue), ("Due in the next 7 days", due)):
        lines.append(f"{heading} ({len(items)}):")
        for item in items:
            lines.append(f"- {day(item.due_at, zone)}: {item.title} ({item.provider})")
            lines.append(f"  {provider_link(base_url, item.provider_id)}")
        if not items:
            lines.append("- none")
        lines.append("")
    lines += [
        f"Turn this digest off in Casework, or ask an administrator "
        f"(`casework users digests {name} --off`).", "", FOOTER,
    ]
    return subject, "\n".join(lines) + "\n"
