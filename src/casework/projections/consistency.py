"""Read-your-writes across requests and server processes: positions in the log.

A serving process folds its read models after a command has answered (``ProjectionRunner``
``deferred``: the follower thread folds, in batches shared by every write made meanwhile), so a
read must make sure the read models have reached what its reader wrote. Two positions say what:

- in a request, the position the reader asks for (``wanted``): a write answers with the
  position of its last event (the ``Casework-Position`` header; a browser keeps it in a
  cookie), and the reader's next request hands it back, whichever process of the server answers
  it; and whatever the request itself wrote. A reader who wrote nothing waits for nothing: it
  is not held up by other people's writes (measured: making every read wait for every write of
  its process halved the reads a server answered under a mixed load, benchmarks/README.md);
- outside a request (a script, a test), the last position this process appended (the runner
  keeps it).

``request()`` opens one request's record (the HTTP middleware does it); ``note_written`` is
called by the runner after every append in this process, so the request learns the position of
what it wrote without each route having to pass it on. Both are contextvars: a request's
threads (FastAPI runs handlers in a thread pool, with a copy of the request's context) share the
one ``Positions`` object.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

# What a request may carry: the header an API client echoes, the cookie a browser keeps.
POSITION_HEADER = "Casework-Position"
MIN_POSITION_HEADER = "Casework-Min-Position"
POSITION_COOKIE = "casework_position"


@dataclass
class Positions:
    """One request's positions: what it must see (``wanted``) and what it wrote (``written``)."""

    wanted: int = 0
    written: int = 0


_current: ContextVar[Positions | None] = ContextVar("casework_positions", default=None)


@contextmanager
def request(wanted: int = 0) -> Iterator[Positions]:
    """The positions of one request, for everything it runs (reads wait for ``wanted``)."""
    positions = Positions(wanted=max(wanted, 0))
    token = _current.set(positions)
    try:
        yield positions
    finally:
        _current.reset(token)


def wanted() -> int | None:
    """The position the current request must see (what it was asked for, and what it wrote);
    None outside a request."""
    positions = _current.get()
    return max(positions.wanted, positions.written) if positions else None


def note_written(position: int) -> None:
    """The current request (if any) appended up to ``position``."""
    positions = _current.get()
    if positions is not None and position > positions.written:
        positions.written = position


def parse_position(text: str | None) -> int | None:
    """A position as a client sends it back: a whole number, at least 0 (None: not one)."""
    if text is None:
        return None
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)


__all__ = [
    "MIN_POSITION_HEADER",
    "POSITION_COOKIE",
    "POSITION_HEADER",
    "Positions",
    "note_written",
    "parse_position",
    "request",
    "wanted",
]
