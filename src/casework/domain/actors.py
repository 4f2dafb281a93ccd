"""Who does things: users and their roles (spec/domain.md, "People and roles")."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    officer = "officer"
    manager = "manager"
    auditor = "auditor"
    admin = "admin"


@dataclass(frozen=True)
class Actor:
    """The person (or system process) a command is executed for."""

    name: str
    role: Role

    @property
    def may_see_restricted(self) -> bool:
        """Whistleblower identities and adults-at-risk names: managers only."""
        return self.role is Role.manager

    @property
    def reads_only(self) -> bool:
        """Auditors read and verify, and record or change nothing (refused at every edge)."""
        return self.role is Role.auditor


# Used by the scheduler, importers and other processes acting on the system's own behalf.
SYSTEM = Actor("system", Role.manager)
