"""Who may use Casework (stream ``user-<name>``, no provider): the audit trail of user and token
management. Token hashes never appear in events; they live in the ``api_tokens`` table."""

from __future__ import annotations

from casework.events.base import DomainEvent


class UserAdded(DomainEvent, type_name="UserAdded"):
    name: str
    role: str


class UserRoleChanged(DomainEvent, type_name="UserRoleChanged"):
    name: str
    from_role: str
    to_role: str


class TokenIssued(DomainEvent, type_name="TokenIssued"):
    """A new API token for the user (its hash is kept in the api_tokens table, not here)."""

    name: str


class TokenRevoked(DomainEvent, type_name="TokenRevoked"):
    """Every token the user held stops working."""

    name: str
    tokens_revoked: int
