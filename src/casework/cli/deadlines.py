"""``casework deadlines``: fire due deadlines now (or as of a back-dated instant) and list them."""

from __future__ import annotations

from datetime import datetime

import typer

from casework.bootstrap import bootstrap
from casework.cli.instants import parse_instant
from casework.cli.terminal import say
from casework.cli.verbosity import command_settings
from casework.workflows.deadline_calendar import pending_deadlines
from casework.workflows.deadlines import Deadline

deadlines_app = typer.Typer(help="Deadlines and alerts: fire what is due.", no_args_is_help=True)


def _line(d: Deadline) -> str:
    missed = f"  ({d.missed_note})" if d.missed_note else ""
    if d.is_reminder and d.reminds_due_at is not None:
        return (
            f"{d.due_at.isoformat()}  {d.kind:<30} provider={d.provider_id or '-'} owner={d.owner}  "
            f"reminder, {d.before} before {d.reminds_due_at.isoformat()}: {d.title}  [{d.deadline_id}]"
        )
    return (
        f"{d.due_at.isoformat()}  {d.kind:<30} provider={d.provider_id or '-'} owner={d.owner}  "
        f"{d.title}{missed}  [{d.deadline_id}]"
    )


@deadlines_app.command("run")
def run(
    now: datetime | None = typer.Option(
        None, "--now", parser=parse_instant, metavar="WHEN",
        help="Fire what is due at or before this instant (default: now). A date means the start "
             "of that day in England, a time without offset is England's (2027-06-01T10:00).",
    ),
) -> None:
    """Fire every deadline due at or before NOW that has not fired yet, in one pass, and send the
    reminders due by then (each once); print them. A review missed several times while Casework
    was down fires once, saying how many were missed and since when."""
    settings = command_settings(scheduler_enabled=False)
    cw = bootstrap(settings)
    try:
        report = cw.scheduler.fire_due(now)
    finally:
        cw.close()
    for deadline in report.fired:
        say(f"{'sent  ' if deadline.is_reminder else 'fired '} {_line(deadline)}")
    for deadline in report.already_fired:
        say(f"skip   {_line(deadline)} (already fired elsewhere)")
    say(f"{len(report.alerts)} deadline(s) fired as of {report.now.isoformat()}")
    say(f"{len(report.reminders)} reminder(s) sent")
    if report.more_due:
        say(f"stopped after {report.rounds} round(s) with deadlines still due: run it again",
                   err=True)


@deadlines_app.command("list")
def list_pending(
    before: datetime | None = typer.Option(
        None, "--before", parser=parse_instant, metavar="WHEN",
        help="Only those due at or before this date or time (read as --now is).",
    ),
) -> None:
    """Pending deadlines and reminders still to send, soonest first (the deadline read model,
    caught up at start)."""
    settings = command_settings(scheduler_enabled=False)
    cw = bootstrap(settings)
    try:
        pending = pending_deadlines(cw, before=before, reminders=True)
    finally:
        cw.close()
    for deadline in pending:
        say(_line(deadline))
    say(f"{len(pending)} pending deadline(s)")
