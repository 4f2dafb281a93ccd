"""Shared pieces of the API's models: UTC times, write answers, the restricted marker."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
)

# The longest text any field takes, and the years times and dates must fall in.
from casework.domain.aggregate import EARLIEST_YEAR, LATEST_YEAR, MAX_TEXT


def _utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:  # as the store and the read models give them: nothing to convert
        _check_year(value.year)
        return value
    try:
        value = value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}") from None
    _check_year(value.year)
    return value


def _in_range(value: date) -> date:
    _check_year(value.year)
    return value


_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _text_not_number(value: Any) -> Any:
    # pydantic would read 1700000000 as seconds (and larger numbers as milliseconds) since 1970
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.match(value.strip())):
        raise ValueError("give an ISO 8601 text, e.g. 2026-03-02 or 2026-03-02T09:00:00Z")
    return value


def _check_year(year: int) -> None:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValueError(f"must be between the years {EARLIEST_YEAR} and {LATEST_YEAR}")


# Accepted with any offset (a naive time is refused: say which zone you mean); returned in UTC.
UtcDateTime = Annotated[
    AwareDatetime,
    BeforeValidator(_text_not_number),
    AfterValidator(_utc),
    PlainSerializer(lambda v: (v if v.tzinfo is UTC else _utc(v)).isoformat().replace("+00:00", "Z"),
                    return_type=str),
]
# A calendar date within the years Casework accepts.
CaseDate = Annotated[date, BeforeValidator(_text_not_number), AfterValidator(_in_range)]


def refuse_nul(value: Any) -> Any:
    """PostgreSQL cannot store the NUL character in text: refuse it (422 naming the field)."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain the NUL character (\\u0000)")
    if isinstance(value, list | tuple):  # of text; nested bodies check their own fields
        for item in value:
            if isinstance(item, str):
                refuse_nul(item)
    return value


class Body(BaseModel):
    """Base of request bodies: unknown fields are refused (422), so typos do not pass silently;
    text is at most ``MAX_TEXT`` characters and never holds NUL."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, str_max_length=MAX_TEXT)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return refuse_nul(value)


class WriteBody(Body):
    occurred_at: UtcDateTime | None = Field(
        None,
        description="When it happened in the world (default: now; not in the future).",
    )

    def data(self, **ids: Any) -> dict[str, Any]:
        """The fields given, plus the ids from the path: what the command is parsed from."""
        return {**self.model_dump(exclude_none=True), **ids}


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class WriteResult(Out):
    """What every write answers: the record, the state it is now in and its stream version."""

    id: str = Field(description="The record's id.")
    state: str | None = Field(None, description="The state the record is in after the write.")
    version: int = Field(description="The stream's version after the write (for expected_version).")
    events: list[str] = Field(description="The types of the events recorded.")
    allowed_actions: list[str] | None = Field(None, description="What the new state allows next.")


class Restricted(Out):
    """Shown instead of restricted personal data to those who may not see it."""

    restricted: bool = True


def clean(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}
