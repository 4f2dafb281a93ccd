"""Domain errors. One exception handler at each edge (HTTP, CLI, web) turns these into answers:

- ``NotFound`` -> 404, ``NotAllowed`` -> 409, ``InvalidInput`` -> 422, ``Forbidden`` -> 403.
- ``casework.events.ConcurrencyError`` (stale expected version) -> 409.
"""

from __future__ import annotations

from collections.abc import Iterable


class DomainError(Exception):
    """Base of every refusal. Nothing is appended when one is raised."""

    status = 400
    title = "Refused"


class NotFound(DomainError):
    status = 404
    title = "Not found"

    def __init__(self, kind: str, ident: str) -> None:
        self.kind = kind
        self.ident = ident
        super().__init__(f"no {kind} with id {ident!r}")


class NotAllowed(DomainError):
    """The action is not allowed in the current state. Names the state and what is allowed."""

    status = 409
    title = "Action not allowed in the current state"

    def __init__(
        self, kind: str, ident: str, state: str, action: str, allowed: Iterable[str], hint: str = ""
    ) -> None:
        self.kind = kind
        self.ident = ident
        self.state = state
        self.action = action
        self.allowed = sorted(allowed)
        allowed_text = ", ".join(self.allowed) if self.allowed else "none: it is final"
        message = f"Cannot {action} {kind} {ident}: it is '{state}'"
        if hint:
            message += f"; {hint}"
        super().__init__(f"{message} (allowed: {allowed_text})")


class InvalidInput(DomainError):
    """A field failed validation. ``errors`` is a list of (field, reason)."""

    status = 422
    title = "Invalid input"

    def __init__(self, field: str, reason: str, *more: tuple[str, str]) -> None:
        self.errors = [(field, reason), *more]
        super().__init__("; ".join(f"{f}: {r}" for f, r in self.errors))


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"

    def __init__(self, role: str, action: str) -> None:
        self.role = role
        self.action = action
        super().__init__(f"a user with role {role!r} may not {action}")
