"""``casework``: the command line. Each area adds its commands in its own module under
casework/cli/ and registers them at the bottom of this file."""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from casework.alerts.service import EMAIL_OFF
from casework.bootstrap import bootstrap
from casework.cli.errors import ExplainedErrors
from casework.cli.terminal import say
from casework.events.store.database import make_engine, upgrade_schema
from casework.files import MIB, FileTooLarge, read_text_within
from casework.logs import configure_logging
from casework.settings import load_settings

if TYPE_CHECKING:
    from fastapi import FastAPI

app = typer.Typer(
    help=(
        "Casework: the quality and contracts team's case file, kept as an append-only event log.\n\n"
        "The store is chosen by CASEWORK_DATABASE_URL (default sqlite:///casework.db in this "
        "directory; postgresql+psycopg://user@host:5432/db for PostgreSQL)."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    cls=ExplainedErrors,
)
db_app = typer.Typer(help="Database schema: create or migrate it.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@app.callback()
def root(
    debug: bool = typer.Option(
        False, "--debug", envvar="CASEWORK_DEBUG",
        help="Show the traceback of a failure instead of one line saying what to do.",
    ),
) -> None:
    """Casework's command line. A failure prints one line (exit 1; a usage error exits 2)."""
    # ExplainedErrors reads --debug from this command's parameters; nothing to do here.


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the schema, or apply every pending migration. Safe to run twice."""
    settings = load_settings()
    configure_logging(settings.log_level)
    revisions = upgrade_schema(make_engine(settings.database_url))
    say(f"schema is current ({', '.join(sorted(revisions))})")


@app.command()
def verify(
    against: Path | None = typer.Option(
        None, "--against", help="HEADS.json exported earlier: also detect a log cut short."
    ),
    export_heads: Path | None = typer.Option(
        None, "--export-heads", help="Write every stream's last version and hash to this file."
    ),
) -> None:
    """Recompute every stream's hash chain. Exit 0 when intact; 1 naming the first broken event;
    2 when the --against file is not one --export-heads wrote (or is over 128 MiB)."""
    settings = load_settings()
    configure_logging(settings.log_level)
    heads = None if against is None else _read_heads(against)
    cw = bootstrap(settings)
    report = cw.store.verify(against=heads)
    if not report.ok:
        say(f"BROKEN: {report.broken}", err=True)
        say(f"checked {report.events_checked} events before the break", err=True)
        raise typer.Exit(1)
    if export_heads is not None:
        export_heads.write_text(json.dumps({s: list(v) for s, v in report.heads.items()}))
    say(
        f"intact: {report.events_checked} events in {report.streams_checked} streams verified"
    )


# A stream's head is about 130 bytes of JSON: 128 MiB holds a million streams.
HEADS_FILE_LIMIT = 128 * MIB


def _read_heads(path: Path) -> dict[str, tuple[int, str]]:
    """The heads ``verify --export-heads`` wrote to ``path``; exit 2 saying why when it is not."""
    try:
        found = json.loads(read_text_within(path, limit=HEADS_FILE_LIMIT, what="the heads file"))
        return {str(s): (int(v), str(h)) for s, (v, h) in found.items()}
    except FileTooLarge as exc:
        say(f"error: {exc}", err=True)
    except OSError as exc:
        say(f"error: cannot read the heads file {path}: {exc.strerror}", err=True)
    except (ValueError, TypeError, AttributeError):
        say(f"error: {path} is not a heads file written by `casework verify --export-heads`", err=True)
    raise typer.Exit(2)


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(
        1, min=1, max=64,
        help="Server processes answering requests. One process answers on one core (Python runs "
             "one thread at a time); give busy teams about one per core, on PostgreSQL. With "
             "more than one, the deadline scheduler runs once, in the supervising process, and "
             "sign-in sessions are shared (CASEWORK_SESSION_SECRET, or a key made at start).",
    ),
) -> None:
    """Serve the HTTP API and web interface, with the deadline scheduler running inside."""
    import uvicorn

    from casework.api.app import create_app

    settings = load_settings()
    configure_logging(settings.log_level)
    if workers > 1 and settings.session_secret is None:
        # Every worker must sign and check sessions with the same key; they inherit this.
        os.environ["CASEWORK_SESSION_SECRET"] = secrets.token_urlsafe(48)
    cw = bootstrap(settings)
    say(
        f"Casework on http://{host}:{port}/ (store: {cw.engine.dialect.name}, "
        f"{workers} process{'es' if workers > 1 else ''})", err=True,
    )
    if not cw.alerts.email_on:
        say(EMAIL_OFF, err=True)  # once, here: worker processes send no mail and say nothing
    if settings.scheduler_enabled and cw.scheduler is not None:
        cw.scheduler.start()  # fires what fell due while we were down, then polls (and sends mail)
    try:
        if workers > 1:
            uvicorn.run("casework.cli.main:worker_app", factory=True, workers=workers, host=host,
                        port=port, log_config=None, access_log=False)
            return
        if cw.projections is not None:
            cw.projections.start()  # follows appends made by other processes
        uvicorn.run(create_app(cw), host=host, port=port, log_config=None, access_log=False)
    finally:
        if cw.scheduler is not None:
            cw.scheduler.shutdown()


def worker_app() -> FastAPI:
    """The app of one ``casework serve --workers N`` process (uvicorn calls this in each): its
    own container, following the others' appends; the scheduler stays in the supervisor."""
    from casework.api.app import create_app

    settings = load_settings()
    configure_logging(settings.log_level)
    cw = bootstrap(settings.model_copy(update={"scheduler_enabled": False}))
    if cw.projections is not None:
        cw.projections.start()
    return create_app(cw)


from casework.cli.deadlines import deadlines_app  # noqa: E402

app.add_typer(deadlines_app, name="deadlines")
from casework.cli.users import users_app  # noqa: E402

app.add_typer(users_app, name="users")
from casework.cli.imports import import_app  # noqa: E402

app.add_typer(import_app, name="import")
from casework.cli.reports import report_app  # noqa: E402

app.add_typer(report_app, name="report")
from casework.cli.demo import demo  # noqa: E402

app.command("demo")(demo)

from casework.cli.projections import history_command, rebuild  # noqa: E402

app.command("rebuild")(rebuild)
app.command("history")(history_command)
from casework.cli.erase import HELP as ERASE_HELP  # noqa: E402
from casework.cli.erase import erase  # noqa: E402

app.command("erase", help=ERASE_HELP)(erase)
from casework.cli.keys import keys_app  # noqa: E402

app.add_typer(keys_app, name="keys")
from casework.cli.outbox import outbox_app  # noqa: E402

app.add_typer(outbox_app, name="outbox")


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
