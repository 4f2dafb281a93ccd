"""What the command line says when a command fails for a reason the user can act on: one line on
standard error naming what went wrong and what to do next, and exit status 1 (click's own usage
errors keep exit status 2). ``casework --debug`` (or ``CASEWORK_DEBUG=1``) shows the traceback
instead. An error not known here is a bug, and keeps its traceback.

Known: the store's own errors, a database URL that is not one, a database that cannot be reached
or opened, settings the environment got wrong, a file a command was told to read or write (the
deadline policy file, the key file, one over its size limit), and a domain refusal. No line
shows a database password."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from typer.core import TyperGroup

from casework.cli.terminal import say
from casework.domain.errors import DomainError
from casework.domain.policy import PolicyFileError
from casework.events.errors import SchemaOutOfDate, StoreError, StoreUnavailable
from casework.files import FileTooLarge
from casework.personal_data_store import KeyFileError
from casework.settings import load_settings

URL_FORMS = "sqlite:///path/to/casework.db or postgresql+psycopg://user@host:5432/dbname"


class ExplainedErrors(TyperGroup):
    """The root command: runs a subcommand and turns a known failure into one line."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            line = None if ctx.params.get("debug") else explain(exc)
            if line is None:
                raise
            say(f"error: {line}", err=True)
            raise typer.Exit(1) from None


def explain(exc: BaseException) -> str | None:
    """One line saying what went wrong and what to do, or None for an error not known here."""
    if isinstance(exc, ArgumentError):  # raised before any connection: the URL itself is wrong
        return f"CASEWORK_DATABASE_URL is not a database URL: check it; give {URL_FORMS}"
    if isinstance(exc, StoreUnavailable) and isinstance(exc.__cause__, DBAPIError):
        return _unreachable(exc.__cause__)
    if isinstance(exc, DBAPIError):
        return _unreachable(exc)
    if isinstance(exc, SchemaOutOfDate):
        return str(exc)
    if isinstance(exc, StoreError):
        return f"{exc} (the store at {_shown_url()})"
    if isinstance(exc, ValidationError):
        return _settings_refused(exc)
    if isinstance(exc, OSError) and exc.filename is not None:
        return _file_refused(exc)
    if isinstance(exc, DomainError | PolicyFileError | KeyFileError | FileTooLarge):
        return str(exc)
    return None


def _database_url() -> URL | None:
    try:
        return make_url(load_settings().database_url)
    except (ArgumentError, ValidationError):
        return None


def _shown_url() -> str:
    url = _database_url()
    return "CASEWORK_DATABASE_URL" if url is None else url.render_as_string(hide_password=True)


def _unreachable(exc: DBAPIError) -> str:
    """A connection refused or a database that cannot be opened, said for its backend."""
    url = _database_url()
    cause = str(exc.orig) if exc.orig is not None else str(exc)
    if url is not None and url.get_backend_name() == "sqlite":
        return _sqlite_unopenable(url, cause)
    if url is not None and url.get_backend_name() == "postgresql":
        return _postgres_unreachable(url, cause)
    first = cause.strip().splitlines()[0] if cause.strip() else type(exc).__name__
    return f"the database failed ({first}): check CASEWORK_DATABASE_URL ({_shown_url()})"


def _sqlite_unopenable(url: URL, cause: str) -> str:
    path = Path(url.database or "")
    if not path.parent.is_dir():
        return (f"the directory for the SQLite file {path} does not exist: create it "
                f"(mkdir -p {path.parent}) or check CASEWORK_DATABASE_URL")
    first = cause.strip().splitlines()[0]
    return f"cannot open the SQLite file {path} ({first}): check its permissions or CASEWORK_DATABASE_URL"


def _postgres_unreachable(url: URL, cause: str) -> str:
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    shown = url.render_as_string(hide_password=True)
    if "does not exist" in cause and f'database "{url.database}"' in cause:
        return (f"PostgreSQL at {where} has no database {url.database!r}: create it "
                f"(createdb {url.database}) or check CASEWORK_DATABASE_URL ({shown})")
    if "authentication failed" in cause or "password" in cause:
        return (f"PostgreSQL at {where} refused user {url.username!r}: check the user and "
                f"password in CASEWORK_DATABASE_URL ({shown})")
    if any(s in cause for s in ("Connection refused", "could not connect", "connection failed",
                                "timeout", "timed out", "Is the server running")):
        return (f"PostgreSQL at {where} is not answering: start it, or check the host and port "
                f"in CASEWORK_DATABASE_URL ({shown})")
    first = cause.strip().splitlines()[0] if cause.strip() else "unknown error"
    return f"PostgreSQL at {where} failed ({first}): check CASEWORK_DATABASE_URL ({shown})"


def _settings_refused(exc: ValidationError) -> str:
    """Each refused setting by its variable and the rule, never the value (it may be a secret).
    Another model's refusal names its fields the same way."""
    settings = exc.title == "Settings"
    problems = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"])
        where = f"CASEWORK_{name.upper()}" if settings else f"{exc.title} {name}".strip()
        problems.append(f"{where}: {error['msg']}")
    return "; ".join(problems) + (": correct it in the environment" if settings else "")


def _file_refused(exc: OSError) -> str:
    path = Path(str(exc.filename))
    if isinstance(exc, FileNotFoundError) and not path.parent.is_dir():
        return (f"cannot use {path}: the directory {path.parent} does not exist: create it, or "
                "name a file in a directory that exists")
    return f"cannot use the file {path}: {exc.strerror or exc}: check the path and its permissions"


__all__ = ["ExplainedErrors", "explain"]
