"""Forms: from posted fields to a command, and from a refusal back to the form.

A refused command is shown with the same words the API uses (the domain's ``InvalidInput``,
``NotAllowed``, ``Forbidden`` messages), each field's reason next to that field, and the form
filled in again with what was typed, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from casework.domain.aggregate import EARLIEST_YEAR, LATEST_YEAR, invalid_input
from casework.domain.errors import DomainError, InvalidInput
from casework.events.errors import ConcurrencyError
from casework.web.csrf import FIELD as CSRF_FIELD
from casework.web.filters import LOCAL

# Fields of the page, not of the command.
PAGE_FIELDS = frozenset({CSRF_FIELD, "view", "next"})


@dataclass
class FormState:
    """What a form shows: the values to fill in, and the errors (``""``: the whole form)."""

    action: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    status: int = 200

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    def value(self, name: str, default: Any = "") -> Any:
        return self.values.get(name, default)

    def error(self, name: str) -> str:
        return self.errors.get(name, "")

    @property
    def summary(self) -> list[tuple[str, str]]:
        """Every error as (field, message), the form-level one first, for the error summary."""
        return sorted(self.errors.items(), key=lambda item: item[0] != "")

    @classmethod
    def refused(cls, action: str, values: Mapping[str, Any], exc: Exception) -> FormState:
        """The form as typed, with the reasons the command was refused."""
        errors: dict[str, str] = {}
        if isinstance(exc, InvalidInput):
            for name, reason in exc.errors:
                name = "" if name in ("body", "__root__") else name
                errors[name] = f"{errors[name]}; {reason}" if name in errors else reason
            status = exc.status
        elif isinstance(exc, ConcurrencyError):
            errors[""] = (
                "Someone else changed this record while you were working on it. Nothing was "
                "saved; what you typed is below. Check the record, then submit again."
            )
            status = 409
        elif isinstance(exc, DomainError):
            errors[""] = str(exc)
            status = exc.status
        else:
            raise exc
        return cls(action=action, values=dict(values), errors=errors, status=status)


@dataclass(frozen=True)
class WebForm:
    """One form of the pages: the command it runs and the names of the fields it has (a name
    ending in ``.*`` stands for every field under that prefix, e.g. ``scores.*``).

    Only these fields are read from a post: anything else the browser sends (``record_id``,
    ``occurred_at``, ``framework_id``...) is ignored, so a page cannot choose a new record's id,
    backdate a write or set what its form does not offer. Ignored rather than refused (the API
    refuses unknown fields with 422): the person at the form could not see or correct a field
    that is not on it, and dropping it leaves nothing it could do.
    """

    command: type[BaseModel]
    fields: tuple[str, ...]
    # What to tell the person who left a field empty, in plain words ("Choose where the
    # intelligence came from"): every empty one is named at once, with whatever else is wrong.
    # The command still decides what is required; this is only how the page words it.
    if_empty: Mapping[str, str] = field(default_factory=dict)

    def check(self, values: Mapping[str, str], build: Callable[[], Any]) -> Any:
        """``build()``'s command, or ``InvalidInput`` naming every problem of the form at once:
        each empty field of ``if_empty`` in its own words, and each other field ``build`` (the
        command's own validation) refused."""
        problems = {name: message for name, message in self.if_empty.items() if not values.get(name)}
        try:
            command = build()
        except InvalidInput as exc:
            for name, reason in exc.errors:
                problems.setdefault(name, reason)
            command = None
        if problems:
            first, *more = problems.items()
            raise InvalidInput(*first, *more)
        return command

    def has(self, name: str) -> bool:
        return name in self.fields or any(
            f.endswith(".*") and name.startswith(f[:-1]) for f in self.fields
        )

    def values(self, form: FormData) -> dict[str, str]:
        """The form's own fields as posted, stripped. One text each, as each field of these
        forms is: a name sent twice keeps its last value (as ``FormData.get`` does), and a file
        where text belongs is empty."""
        values: dict[str, str] = {}
        for name, value in form.multi_items():
            if name not in PAGE_FIELDS and self.has(name):
                values[name] = value.strip() if isinstance(value, str) else ""
        return values

    def data(self, values: Mapping[str, Any], **ids: str) -> dict[str, Any]:
        """The command's input: the form's values (``command_data``), then the ids of the path,
        which always win."""
        return {**command_data(self.command, values), **ids}


def command_data(command_type: type[BaseModel], values: Mapping[str, Any]) -> dict[str, Any]:
    """Posted values as command input: dotted names nest (``whistleblower.name``), and an empty
    optional field is left out (so that it takes its default) while an empty required one is
    kept (so that the command says it must not be empty)."""
    data: dict[str, Any] = {}
    fields = command_type.model_fields
    for name, value in values.items():
        head, _, rest = name.partition(".")
        if head not in fields:
            continue
        if value == "" and not fields[head].is_required():
            continue
        if rest:
            data.setdefault(head, {})[rest] = value
        else:
            data[head] = value
    return data


def parse_command(command_type: type[BaseModel], data: Mapping[str, Any]) -> Any:
    """The command, or ``InvalidInput`` naming each field at fault (as the API reports it)."""
    try:
        return command_type.model_validate(data)
    except ValidationError as exc:
        raise invalid_input(exc) from None


def calendar_day(value: str) -> date:
    """A date typed on a page (``2026-03-02``) within the years Casework keeps; otherwise
    ``ValueError`` saying what to enter (a page shows it next to the field)."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError("Enter the date as year, month and day, e.g. 2026-03-02.") from None
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise ValueError(f"Enter a date between {EARLIEST_YEAR} and {LATEST_YEAR}.")
    return day


def local_datetime(field_name: str, value: str) -> datetime:
    """A ``datetime-local`` value (UK local time, no offset) as an aware datetime."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(field_name, "enter a date and time, e.g. 02/03/2026 09:30") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=LOCAL)
