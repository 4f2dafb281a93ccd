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
from casework.cli.instants import parse_day_end
from casework.cli.terminal import say, say_document
from casework.cli.verbosity import command_settings
from casework.logs import error_text
from casework.projections.halts import ProjectionHalted
from casework.projections.history import ProviderHistory, history
from casework.projections.narrative import (
    Link,
    Names,
    day,
    describe,
    moment,
    names_for,
    score_words,
)
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


def _title(found: ProviderHistory, names: Names) -> str:
    link = names.provider(found.provider_id)
    name = link.text if isinstance(link, Link) and link.text != "a provider" else None
    who = f"{name} (provider {found.provider_id})" if name else f"provider {found.provider_id}"
    cuts = []
    if found.as_happened_at:
        cuts.append(f"as it happened at {moment(found.as_happened_at)}")
    if found.as_known_at:
        cuts.append(f"as known at {moment(found.as_known_at)}")
    when = f" {', '.join(cuts)}" if cuts else ""
    order = ("in the order things happened" if found.order == "happened"
             else "in the order they were recorded")
    return (f"History of {who}{when}: {counted(len(found.events), 'event')} in "
            f"{counted(len(found.streams), 'stream')}, {order}")


def _print_text(found: ProviderHistory, names: Names) -> None:
    say(_title(found, names))
    for e in found.events:
        say("")
        say(f"{moment(e.occurred_at)}  {describe(e, names).text}")
        if e.alert:
            say(f"    !!!      {e.alert}")
        by = f"by {names.person(e.actor)}"
        late = f"recorded late: {day(e.recorded_at)} · " if e.recorded_late else ""
        say(f"    {late}{by} · {e.type} · {e.stream} v{e.version} · #{e.position}")
        if e.reason:
            say(f"    reason   {e.reason}")
        if e.has_restricted_data:
            say("    note: sealed personal data is recorded here and not shown")
        say(f"    hash {e.hash}")
    say("")
    if found.verified:
        say(f"chain: verified ({counted(len(found.streams), 'stream')}, each from its first event)")
    else:
        say(f"chain: BROKEN: {found.broken}")


def history_command(
    provider_id: str = typer.Argument(..., help="The provider's id."),
    as_of: datetime | None = typer.Option(
        None, "--as-of", "--as-happened-at", parser=parse_day_end, metavar="WHEN",
        help="As it happened at WHEN: everything that had happened by then, whenever it was "
             "recorded. A date means the end of that day in England (everything on that day "
             "counts); a time without offset is England's (2018-09-01T10:00).",
    ),
    as_known_at: datetime | None = typer.Option(
        None, "--as-known-at", parser=parse_day_end, metavar="WHEN",
        help="As known at WHEN: only what had been recorded by then (what Casework knew). Same "
             "forms as --as-of; both together: the world at --as-of as recorded by --as-known-at.",
    ),
    order: str = typer.Option(
        "happened", "--order", metavar="ORDER",
        help="happened (default): in the order things happened; recorded: in the order they "
             "were recorded (log position).",
    ),
    as_json: bool = typer.Option(False, "--json", help="One JSON document instead of text."),
) -> None:
    """A provider's whole history, in the order things happened: the auditor's replay.

    Every event of its records, visits, plans and sanctions as a sentence, with when it
    happened, when it was recorded (where later), who did it, and its hash; and whether the
    chain verifies. Restricted personal data shows as sealed. Exit 1 for an unknown provider."""
    if order not in ("happened", "recorded"):
        say(f"--order: {order!r} is not happened or recorded", err=True)
        raise typer.Exit(2)
    settings = command_settings()
    cw = bootstrap(settings)
    try:
        found = history(cw, provider_id, happened_at=as_of, known_at=as_known_at,
                        order="happened" if order == "happened" else "recorded")
        names = names_for(found.events, score=score_words(cw.frameworks)) if found else Names()
    finally:
        cw.close()
    if found is None:
        say(f"unknown provider {provider_id!r}: nothing is recorded about it", err=True)
        raise typer.Exit(1)
    if as_json:
        document = {
            "provider_id": found.provider_id,
            # ``as_of`` names the as-it-happened instant here, as ``--as-of`` does.
            "as_of": iso_or_none(found.as_happened_at),
            "as_happened_at": iso_or_none(found.as_happened_at),
            "as_known_at": iso_or_none(found.as_known_at),
            "order": found.order,
            "verified": found.verified,
            "broken": found.broken,
            "streams": found.streams,
            "events": [{**e.to_json(), "sentence": describe(e, names).text} for e in found.events],
        }
        say_document(json.dumps(document, indent=2, default=str) + "\n")
        return
    _print_text(found, names)


def iso_or_none(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


__all__ = ["history_command", "rebuild"]
