"""Structured logs through structlog: JSON lines when not on a terminal, readable on one.

Log events carry ids and states, never personal data (names of whistleblowers or adults at
risk, free-text summaries): pass identifiers only. An exception is logged as ``error_text``
gives it, and a traceback's messages are reduced the same way: a database error's text quotes
the statement's parameters and the row it failed on, which hold what users typed.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import traceback
from typing import TextIO

import structlog
from pydantic import ValidationError
from sqlalchemy.exc import StatementError
from structlog.typing import EventDict, Processor, WrappedLogger


def configure_logging(
    level: str = "INFO", *, json: bool | None = None, stream: TextIO | None = None
) -> None:
    stream = stream or sys.stderr
    if json is None:
        json = not stream.isatty()
    processors: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        format_exc_info_safely,
    ]
    renderer = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=stream.isatty())
    )
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )


def error_text(exc: BaseException) -> str:
    """``Type: message`` for a log line or an operator's screen, without data. A database error
    becomes its driver's primary message: SQLAlchemy's text quotes the statement's parameters
    and PostgreSQL's DETAIL quotes the row (``Key (summary)=(...)``); a validation error keeps
    where and why, never the input."""
    if isinstance(exc, StatementError) and exc.orig is not None:
        exc = exc.orig
    return f"{type(exc).__name__}: {_message(exc)}"


def _message(exc: BaseException) -> str:
    primary = getattr(getattr(exc, "diag", None), "message_primary", None)  # psycopg
    if primary is not None:
        # PostgreSQL puts a value after a colon ('invalid input syntax for type integer: "x"');
        # what comes before names types, columns and constraints only.
        return str(primary).split(": ", 1)[0]
    if isinstance(exc, sqlite3.Error):
        return str(exc).split("\n", 1)[0]  # SQLite names constraints and columns, never values
    if isinstance(exc, StatementError):  # raised before the driver saw it: no parameters here
        return f"{exc.__class__.__name__} running a statement"
    if isinstance(exc, ValidationError):
        where = "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or '(root)'}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        return f"{exc.error_count()} validation error(s) for {exc.title}: {where}"
    return str(exc)


def format_exc_info_safely(_logger: WrappedLogger, _name: str, event: EventDict) -> EventDict:
    """structlog's ``format_exc_info``, with each exception of the chain shown by ``error_text``."""
    exc_info = event.pop("exc_info", None)
    if not exc_info:
        return event
    if exc_info is True:
        exc_info = sys.exc_info()
    exc = exc_info if isinstance(exc_info, BaseException) else exc_info[1]
    if isinstance(exc, BaseException):
        event["exception"] = _traceback(exc)
    return event


_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_CONTEXT = "\nDuring handling of the above exception, another exception occurred:\n\n"


def _traceback(exc: BaseException) -> str:
    """What ``traceback.format_exception`` prints, each message as ``error_text`` gives it."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    text = ""
    for earlier, e in zip([None, *reversed(chain)], reversed(chain), strict=False):
        if earlier is not None:
            text += _CAUSE if e.__cause__ is earlier else _CONTEXT
        text += "Traceback (most recent call last):\n" if e.__traceback__ else ""
        text += "".join(traceback.format_tb(e.__traceback__)) + error_text(e) + "\n"
    return text.rstrip("\n")
