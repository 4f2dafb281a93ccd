"""Driver errors translated, once, into the store's own (``casework.events.errors``).

``translate_db_error`` is public: other modules that share the store's database (users, API
idempotency keys) map their driver errors the same way.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

from casework.events.errors import StoreError, StoreUnavailable
from casework.logs import error_text

_SQLITE_UNAVAILABLE = ("unable to open", "disk i/o", "database is locked", "readonly database")


def translate_db_error(exc: DBAPIError) -> Exception:
    """Driver errors become the store's own: a lost or refused connection is StoreUnavailable."""
    message = str(exc.orig).lower()
    if exc.connection_invalidated:
        return StoreUnavailable(f"the database connection was lost: {error_text(exc)}")
    if isinstance(exc, OperationalError):
        if exc.orig.__class__.__module__.startswith("sqlite3"):
            if any(m in message for m in _SQLITE_UNAVAILABLE):
                return StoreUnavailable(f"the database is unavailable: {error_text(exc)}")
            return StoreError(f"database error: {error_text(exc)}")
        return StoreUnavailable(f"the database is unavailable: {error_text(exc)}")
    return StoreError(f"database error: {error_text(exc)}")


class UniqueViolation(Exception):
    """A unique constraint refused the insert (event id or stream version already taken)."""


class Conflict(Exception):
    """A stream's head is not the expected version (raised inside an append, before writing)."""

    def __init__(self, stream: str, expected: int, actual: int) -> None:
        self.stream, self.expected, self.actual = stream, expected, actual
