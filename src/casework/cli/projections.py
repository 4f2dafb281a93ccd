"""``casework rebuild`` and ``casework history``: read models from the log, and the auditor's
replay of one provider's whole history."""

from __future__ import annotations

import json
import time
from datetime import datetime

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from casework.bootstrap import bootstrap
from casework.cli.instants import parse_instant
from casework.cli.terminal import say, say_document
from casework.cli.verbosity import command_settings
from casework.logs import error_text
from casework.projections.halts import ProjectionHalted
from casework.projections.history import ProviderHistory, history
from casework.wording import counted


def rebuild(
    projection: list[str] | None = typer.Option(
        None, "--projection", "-p", help="Rebuild only this read model (repeatable); default all."
    ),
) -> None:
    """Drop and rebuild read models from the event log (a progress bar on a terminal).

    Readers keep the old rows until each read model's new ones commit.

    On PostgreSQL, CASEWORK_REBUILD_WORKERS=N (0: one per core) shares it among N processes."""
    settings = command_settings()
    cw = bootstrap(settings, catch_up=False)  # no catch-up: the rebuild replaces them
    runner = cw.projections
    assert runner is not None
    known = {p.name for p in runner.projections()}
    for name in projection or []:
        if name not in known:
            say(f"no read model named {name!r}; known: {', '.join(sorted(known))}", err=True)
            raise typer.Exit(2)
    console = Console(stderr=True)
    log_events = cw.store.head_position()
    started = time.perf_counter()
    try:
        if console.is_terminal:
            columns = (TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(),
                       TimeRemainingColumn())
            with Progress(*columns, console=console) as bar:
                tasks: dict[str, TaskID] = {}

                def progress(name: str, done: int, total: int) -> None:
                    if name not in tasks:
                        tasks[name] = bar.add_task(name, total=total)
                    bar.update(tasks[name], completed=done, total=total)

                folded = runner.rebuild(projection or None, progress=progress)
        else:
            folded = runner.rebuild(projection or None)
    except ProjectionHalted as exc:  # say which event stopped it (its message holds no data)
        say(f"rebuild failed: {exc}", err=True)
        raise typer.Exit(1) from None
    except Exception as exc:
        say(f"rebuild failed: {error_text(exc)}", err=True)
        raise typer.Exit(1) from None
    finally:
        cw.close()
    elapsed = time.perf_counter() - started
    for name, count in folded.items():
        say(f"rebuilt {name}: {counted(count, 'event')}")
    # The rate of the log's events (as benchmarks/ counts), not of the folds summed.
    rate = f" ({log_events:,} events in the log, {log_events / elapsed:,.0f} a second)" if (
        elapsed > 0 and log_events and folded) else ""
    say(f"done in {elapsed:.2f}s{rate}")


def _print_text(found: ProviderHistory) -> None:
    when = f" as of {found.as_of.isoformat()}" if found.as_of else ""
    say(f"History of provider {found.provider_id}{when}: {counted(len(found.events), 'event')} "
               f"in {counted(len(found.streams), 'stream')}")
    for e in found.events:
        say("")
        say(f"#{e.position}  {e.type}  {e.stream} v{e.version}  by {e.actor or '-'}")
        say(f"    occurred {e.occurred_at.isoformat()}  recorded {e.recorded_at.isoformat()}")
        if e.reason:
            say(f"    reason   {e.reason}")
        say(f"    data     {json.dumps(e.data, sort_keys=True, default=str)}")
        if e.has_restricted_data:
            say("    note     sealed personal data is recorded here and not shown")
        say(f"    hash     {e.hash}")
    say("")
    if found.verified:
        say(f"chain: verified ({counted(len(found.streams), 'stream')}, each from its first event)")
    else:
        say(f"chain: BROKEN: {found.broken}")


def history_command(
    provider_id: str = typer.Argument(..., help="The provider's id."),
    as_of: datetime | None = typer.Option(
        None, "--as-of", parser=parse_instant, metavar="WHEN",
        help="Only what had been recorded by this instant. A date means the start of that day "
             "in England, a time without offset is England's (2018-09-01T10:00).",
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON document instead of text."),
) -> None:
    """A provider's whole history, oldest first: the auditor's replay.

    Every event of its records, visits, plans and sanctions, with when it happened, when it was
    recorded, who did it, its data and its hash, and whether the chain verifies. Restricted
    personal data shows as sealed. Exit 1 for an unknown provider."""
    settings = command_settings()
    cw = bootstrap(settings)
    try:
        found = history(cw, provider_id, as_of)
    finally:
        cw.close()
    if found is None:
        say(f"unknown provider {provider_id!r}: nothing is recorded about it", err=True)
        raise typer.Exit(1)
    if as_json:
        document = {
            "provider_id": found.provider_id,
            "as_of": found.as_of.isoformat() if found.as_of else None,
            "verified": found.verified,
            "broken": found.broken,
            "streams": found.streams,
            "events": [e.to_json() for e in found.events],
        }
        say_document(json.dumps(document, indent=2, default=str) + "\n")
        return
    _print_text(found)


__all__ = ["history_command", "rebuild"]
