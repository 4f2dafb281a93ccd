"""The base of the workflows' commands: frozen pydantic models with ``occurred_at`` (default:
the clock) and the roles permitted to issue them."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from casework.domain.actors import Role


class WorkflowCommand(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    permitted: ClassVar[frozenset[Role]] = frozenset({Role.officer, Role.manager})
    occurred_at: datetime | None = None
