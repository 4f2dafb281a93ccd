"""``casework deadlines``: fire due deadlines now (or as of a back-dated instant) and list them."""

from __future__ import annotations

from datetime import datetime

import typer

from casework.bootstrap import bootstrap
from casework.cli.terminal import say
from casework.clock import utc
from casework.logs import configure_logging
from casework.settings import load_settings
from casework.workflows.deadline_calendar import pending_deadlines
from casework.workflows.deadlines import Deadline

deadlines_app = typer.Typer(help="Deadlines and alerts: fire what is due.", no_args_is_help=True)


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return utc(datetime.fromisoformat(value))
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r}: give an ISO 8601 datetime with offset ({exc})") from None


def _line(d: Deadline) -> str:
    missed = f"  ({d.missed_note})" if d.missed_note else ""
    return (
        f"{d.due_at.isoformat()}  {d.kind:<30} provider={d.provider_id or '-'} owner={d.owner}  "
        f"{d.title}{missed}  [{d.deadline_id}]"
    )


@deadlines_app.command("run")
def run(
    now: str | None = typer.Option(
        None, "--now", help="Fire what is due at or before this instant (ISO 8601; default: now)."
    ),
) -> None:
    """Fire every deadline due at or before NOW that has not fired yet, and print them."""
    settings = load_settings(scheduler_enabled=False)
    configure_logging(settings.log_level)
    cw = bootstrap(settings)
    try:
        report = cw.scheduler.fire_due(_parse_now(now))
    finally:
        cw.close()
    for deadline in report.fired:
        say(f"fired  {_line(deadline)}")
    for deadline in report.already_fired:
        say(f"skip   {_line(deadline)} (already fired elsewhere)")
    say(f"{len(report.fired)} deadline(s) fired as of {report.now.isoformat()}")
    if report.more_due:
        say(f"stopped after {report.rounds} round(s) with deadlines still due: run it again",
                   err=True)


@deadlines_app.command("list")
def list_pending(
    before: str | None = typer.Option(None, "--before", help="Only those due at or before (ISO 8601)."),
) -> None:
    """Pending deadlines, soonest first (the deadline read model, caught up at start)."""
    settings = load_settings(scheduler_enabled=False)
    configure_logging(settings.log_level)
    cw = bootstrap(settings)
    try:
        pending = pending_deadlines(cw, before=_parse_now(before))
    finally:
        cw.close()
    for deadline in pending:
        say(_line(deadline))
    say(f"{len(pending)} pending deadline(s)")
