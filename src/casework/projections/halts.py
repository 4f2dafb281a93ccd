"""A projection stops, never skips: the error that stops one, and the guard around its fold.

An exception from a fold becomes ``ProjectionHalted``, naming the projection and, when known, the
event; the runner then leaves that projection where it was (its checkpoint unmoved) until
``rebuild`` or ``resume``. A database error is not the events' fault and passes through as it is.
The halt's message names the cause as ``error_text`` does (never SQL parameters or row values):
it is logged, kept with the checkpoint and printed by ``casework rebuild``.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.exc import InterfaceError, OperationalError

from casework.events.store import StoredEvent
from casework.logs import error_text
from casework.projections.base import Projection

# A lost connection, a database refusing connections or busy: the pass fails and rolls back, and
# the next pass retries. Never a halt, which would keep a running server's read model stale until
# it restarts.
NOT_THE_EVENTS_FAULT = (OperationalError, InterfaceError)


class ProjectionHalted(RuntimeError):
    """A projection met an event it could not apply; it stays where it was until fixed."""

    def __init__(self, name: str, event: StoredEvent | None, cause: BaseException) -> None:
        self.projection = name
        self.position = event.position if event else None
        self.event_type = event.type if event else None
        self.cause = cause
        where = f" at position {event.position} ({event.type}, stream {event.stream})" if event else ""
        super().__init__(
            f"projection {name!r} halted{where}: {error_text(cause)}. Its read "
            f"model is stale but consistent; fix the cause, then `casework rebuild --projection "
            f"{name}` (or restart)"
        )

    @classmethod
    def reported(
        cls, name: str, position: int | None, event_type: str | None, message: str
    ) -> ProjectionHalted:
        """The halt another process reported (a rebuild worker), with its own message."""
        exc = cls.__new__(cls)
        RuntimeError.__init__(exc, message)
        exc.projection, exc.position, exc.event_type = name, position, event_type
        exc.cause = RuntimeError(message)
        return exc


def apply_page(conn: Connection, projection: Projection, events: list[StoredEvent]) -> None:
    """``projection.apply(conn, events)``; a failure halts it at the event the fold names, else
    at the page's first."""
    try:
        projection.apply(conn, events)
    except (ProjectionHalted, *NOT_THE_EVENTS_FAULT):
        raise
    except Exception as exc:
        raise ProjectionHalted(projection.name, _culprit(exc, events), exc) from exc


def _culprit(exc: BaseException, events: list[StoredEvent]) -> StoredEvent | None:
    """The event a fold failed on, when the fold said (``exc.event``); else the page's first."""
    event = getattr(exc, "event", None)
    return event if isinstance(event, StoredEvent) else (events[0] if events else None)


__all__ = ["NOT_THE_EVENTS_FAULT", "ProjectionHalted", "apply_page"]
