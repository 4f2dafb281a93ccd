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


class UserEmailChanged(DomainEvent, type_name="UserEmailChanged"):
    """The user's email address was set or removed (the address itself is kept in the users
    table, not in the immutable log)."""

    name: str
    has_email: bool


class UserDigestsChanged(DomainEvent, type_name="UserDigestsChanged"):
    """The user turned the daily digest on or off."""

    name: str
    digests: bool


class CalendarFeedIssued(DomainEvent, type_name="CalendarFeedIssued"):
    """A new private calendar feed address (any earlier one stops working)."""

    name: str


class CalendarFeedRevoked(DomainEvent, type_name="CalendarFeedRevoked"):
    name: str
