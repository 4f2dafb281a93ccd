"""A deadline that fell due (stream ``deadline-<deadline_id>``, always a single event), and a
reminder sent before one falls due (stream ``reminder-<deadline_id>-<offset>``, likewise).

Appending with ``expected_version=0`` makes firing exactly-once: a second attempt (another
process, a re-run) finds the stream exists and is refused by the store."""

from __future__ import annotations

from datetime import datetime

from casework.events.base import DomainEvent


class DeadlineReached(DomainEvent, type_name="DeadlineReached"):
    deadline_id: str
    provider_id: str | None
    kind: str
    title: str
    # When it fell due; for a recurring deadline that fired late, the first occurrence missed.
    due_at: datetime
    owner: str
    # The stream whose events set the deadline (and whose later events would have resolved it).
    source: str
    # The part of the source it concerns (an action-plan item id); "" for the whole source.
    scope: str = ""
    # Recurring deadlines (reviews): the next one falls due this many days after this one.
    repeat_every_days: int | None = None
    # Occurrences this one firing stands for: a recurring deadline found with later occurrences
    # also past fires once for all of them (due_at is the first); the next one follows them.
    missed: int = 1


class DeadlineReminder(DomainEvent, type_name="DeadlineReminder"):
    """A reminder that ``deadline_id`` falls due at ``due_at``, sent ``before`` it (at
    ``remind_at``) to its ``owner``. Sent once per deadline and offset."""

    deadline_id: str
    provider_id: str | None
    kind: str
    title: str
    due_at: datetime  # when the deadline falls due
    remind_at: datetime  # when this reminder was due to be sent
    before: str  # "30 days", "1 working day"
    offset: str  # "30d", "1wd": the stream's suffix
    owner: str
    source: str
    scope: str = ""
