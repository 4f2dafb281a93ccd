"""The base of the workflows' commands: the domain's ``Command`` (frozen pydantic, class-level
``permitted`` roles, ``occurred_at`` defaulting to the clock and never in the future)."""

from __future__ import annotations

from casework.domain.aggregate import MANAGERS, OFFICERS, Command

WorkflowCommand = Command

__all__ = ["MANAGERS", "OFFICERS", "WorkflowCommand"]
