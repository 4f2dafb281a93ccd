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
from casework.bootstrap import Casework, bootstrap
from casework.cli.errors import ExplainedErrors
from casework.cli.terminal import say
from casework.cli.verbosity import ask_for_logs, command_settings
from casework.events.store.database import current_revisions, make_engine, upgrade_schema
from casework.evidence.checkpoints import (
    Checkpoint,
    CheckpointSchedule,
    against_log,
    public_keys_of,
    read_checkpoint,
    stored_problem,
)
from casework.evidence.signing import SigningKeyError, SigningKeys
from casework.files import MIB, FileTooLarge, read_text_within
from casework.logs import configure_logging
from casework.settings import load_settings
from casework.warmup import Warmup
from casework.wording import counted

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
        help="Show the traceback of a failure instead of one line saying what to do, and every log.",
    ),
    verbose: bool = typer.Option(
        False, "--verbose", "-v",
        help="Also print what the command is doing (its INFO logs) on standard error.",
    ),
) -> None:
    """Casework's command line. A failure prints one line (exit 1; a usage error exits 2)."""
    # ExplainedErrors reads --debug from this command's parameters.
    ask_for_logs(debug=debug, verbose=verbose)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the schema, or apply every pending migration. Safe to run twice."""
    settings = command_settings()
    engine = make_engine(settings.database_url)
    before = current_revisions(engine)
    after = upgrade_schema(engine)
    say(schema_change(before, after))


def schema_change(before: set[str], after: set[str]) -> str:
    """What ``db upgrade`` did, from the revisions recorded before and after it."""
    now = ", ".join(sorted(after))
    if not before:
        return f"created the schema at revision {now}"
    if before == after:
        return f"the schema is already current (revision {now}): nothing to do"
    return f"upgraded the schema from revision {', '.join(sorted(before))} to {now}"


@app.command()
def verify(
    against: Path | None = typer.Option(
        None, "--against",
        help="HEADS.json exported earlier (also detect a log cut short), or a CHECKPOINT file "
             "printed by `casework checkpoint` (prove the log was not rewritten up to it).",
    ),
    export_heads: Path | None = typer.Option(
        None, "--export-heads", help="Write every stream's last version and hash to this file."
    ),
) -> None:
    """Recompute every stream's hash chain. Exit 0 when intact; 1 naming the first broken event
    (or, against a checkpoint, a digest or signature that does not match); 2 when the --against
    file is neither heads nor a checkpoint (or is over 128 MiB), or a checkpoint's key is not
    in CASEWORK_SIGNING_KEY_FILE."""
    settings = command_settings()
    heads, checkpoint = (None, None) if against is None else _read_against(against)
    public_keys = None
    if checkpoint is not None:
        public_keys = _public_keys(settings.signing_key_file)
    cw = bootstrap(settings)
    report = cw.store.verify(against=heads)
    if not report.ok:
        say(f"BROKEN: {report.broken}", err=True)
        say(f"checked {counted(report.events_checked, 'event')} before the break", err=True)
        raise typer.Exit(1)
    if checkpoint is not None and public_keys is not None:
        problem = against_log(cw.store, checkpoint, public_keys)
        if problem:
            say(f"BROKEN: {problem}", err=True)
            raise typer.Exit(1)
    stored, problem = _stored_checkpoints(cw, settings.signing_key_file)
    if problem:
        say(f"BROKEN: {problem}", err=True)
        raise typer.Exit(1)
    if export_heads is not None:
        export_heads.write_text(json.dumps({s: list(v) for s, v in report.heads.items()}))
    say(
        f"intact: {counted(report.events_checked, 'event')} in "
        f"{counted(report.streams_checked, 'stream')} verified"
    )
    if stored:
        say(f"checkpoints: {stored} recorded, chained and signed; the log still matches each")
    if checkpoint is not None:
        fields = checkpoint.fields
        say(f"matches checkpoint {fields['sequence']} (position {fields['position']}, made "
            f"{fields['made_at']}, key {fields['key_id']}): not rewritten up to it")


# A stream's head is about 130 bytes of JSON: 128 MiB holds a million streams.
HEADS_FILE_LIMIT = 128 * MIB


def _read_against(path: Path) -> tuple[dict[str, tuple[int, str]] | None, Checkpoint | None]:
    """The heads ``verify --export-heads`` wrote to ``path``, or the checkpoint ``casework
    checkpoint`` printed; exit 2 saying why when it is neither."""
    try:
        found = json.loads(read_text_within(path, limit=HEADS_FILE_LIMIT, what="the heads file"))
        if isinstance(found, dict) and "payload" in found:
            try:
                return None, read_checkpoint(found)
            except ValueError as exc:
                say(f"error: {path}: {exc}", err=True)
                raise typer.Exit(2) from None
        return {str(s): (int(v), str(h)) for s, (v, h) in found.items()}, None
    except FileTooLarge as exc:
        say(f"error: {exc}", err=True)
    except OSError as exc:
        say(f"error: cannot read the heads file {path}: {exc.strerror}", err=True)
    except (ValueError, TypeError, AttributeError):
        say(f"error: {path} is not a heads file written by `casework verify --export-heads`, "
            "nor a checkpoint printed by `casework checkpoint`", err=True)
    raise typer.Exit(2)


def _stored_checkpoints(cw: Casework, key_file: str | None) -> tuple[int, str | None]:
    """The recorded checkpoints checked against the log, when the council's keys are at hand."""
    try:
        keys = SigningKeys.load(key_file)
    except SigningKeyError:
        return 0, None  # no signing key here: the recorded checkpoints cannot be checked
    return stored_problem(cw.store, public_keys_of(keys))


def _public_keys(path: str | None) -> dict[str, str]:
    try:
        return public_keys_of(SigningKeys.load(path))
    except SigningKeyError as exc:
        say(f"error: a checkpoint is checked with the council's public keys: {exc}", err=True)
        raise typer.Exit(2) from None


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

    settings = load_settings()  # a server: logs at CASEWORK_LOG_LEVEL, INFO by default
    configure_logging(settings.log_level)
    if workers > 1 and settings.session_secret is None:
        # Every worker must sign and check sessions with the same key; they inherit this.
        os.environ["CASEWORK_SESSION_SECRET"] = secrets.token_urlsafe(48)
    # Listen at once: the read models catch up with the log in the background (casework.warmup),
    # then the scheduler fires what fell due while we were down and polls.
    cw = bootstrap(settings, catch_up=False)
    say(
        f"Casework on http://{host}:{port}/ (store: {cw.engine.dialect.name}, "
        f"{workers} process{'es' if workers > 1 else ''})", err=True,
    )
    if not cw.alerts.email_on:
        say(EMAIL_OFF, err=True)  # once, here: worker processes send no mail and say nothing
    checkpoints = CheckpointSchedule(cw.store, cw.clock, settings.signing_key_file,
                                     settings.council_name, settings.checkpoint_interval_hours)
    if settings.scheduler_enabled and cw.scheduler is not None:
        checkpoints.start()  # a signed checkpoint of the log every CHECKPOINT_INTERVAL_HOURS
    try:
        if workers > 1:
            # The supervisor catches up and runs the scheduler; each worker catches up on its own.
            Warmup(cw, scheduler=settings.scheduler_enabled, follow=False).start()
            uvicorn.run("casework.cli.main:worker_app", factory=True, workers=workers, host=host,
                        port=port, log_config=None, access_log=False)
            return
        warmup = Warmup(cw, scheduler=settings.scheduler_enabled, follow=True).start()
        uvicorn.run(create_app(cw, warmup), host=host, port=port, log_config=None, access_log=False)
    finally:
        checkpoints.shutdown()
        if cw.scheduler is not None:
            cw.scheduler.shutdown()


def worker_app() -> FastAPI:
    """The app of one ``casework serve --workers N`` process (uvicorn calls this in each): its
    own container, following the others' appends; the scheduler stays in the supervisor."""
    from casework.api.app import create_app

    settings = load_settings()  # a server: logs at CASEWORK_LOG_LEVEL, INFO by default
    configure_logging(settings.log_level)
    cw = bootstrap(settings.model_copy(update={"scheduler_enabled": False}), catch_up=False)
    return create_app(cw, Warmup(cw, scheduler=False, follow=True).start())


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
from casework.cli.evidence import checkpoint_command, export_app, verify_bundle_command  # noqa: E402

app.add_typer(export_app, name="export")
app.command("verify-bundle")(verify_bundle_command)
app.command("checkpoint")(checkpoint_command)
from casework.cli.outbox import outbox_app  # noqa: E402

app.add_typer(outbox_app, name="outbox")


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
