"""Shared pieces of the API's models: UTC times, write answers, the restricted marker."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


# Accepted with any offset (a naive time is refused: say which zone you mean); returned in UTC.
UtcDateTime = Annotated[
    AwareDatetime,
    AfterValidator(_utc),
    PlainSerializer(lambda v: _utc(v).isoformat().replace("+00:00", "Z"), return_type=str),
]


class Body(BaseModel):
    """Base of request bodies: unknown fields are refused (422), so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


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
