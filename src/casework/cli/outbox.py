"""``casework outbox``: the email outbox: what is waiting, sent or failed, and sending now."""

from __future__ import annotations

import typer

from casework.alerts.service import EMAIL_OFF
from casework.bootstrap import bootstrap
from casework.cli.terminal import say
from casework.logs import configure_logging
from casework.settings import load_settings

outbox_app = typer.Typer(
    help="Alerts by email: the outbox of messages waiting, sent or failed (docs/alerts.md).",
    no_args_is_help=True,
)


@outbox_app.command("send")
def send() -> None:
    """Send every message due now (and record today's digests once their time has come), as
    the server does every poll. Exit 1 when email is off (CASEWORK_SMTP_URL unset)."""
    settings = load_settings(scheduler_enabled=False)
    configure_logging(settings.log_level)
    cw = bootstrap(settings)
    try:
        if not cw.alerts.email_on:
            say(EMAIL_OFF, err=True)
            raise typer.Exit(1)
        report = cw.alerts.send_due()
    finally:
        cw.close()
    say(f"sent {len(report.sent)}, to retry {len(report.retrying)}, failed {len(report.failed)}")


@outbox_app.command("status")
def status(
    limit: int = typer.Option(20, min=0, max=1000, help="How many recent messages to list."),
) -> None:
    """How many messages are pending, sent and failed, and the most recent ones."""
    settings = load_settings(scheduler_enabled=False)
    configure_logging(settings.log_level)
    cw = bootstrap(settings)
    try:
        counts = cw.alerts.counts()
        latest = cw.alerts.recent(limit)
    finally:
        cw.close()
    if not cw.alerts.email_on:
        say(EMAIL_OFF)
    say(", ".join(f"{status} {n}" for status, n in counts.items()))
    for m in latest:
        when = (f"sent {m.sent_at:%Y-%m-%d %H:%M} UTC" if m.sent_at
                else f"next try {m.next_attempt_at:%Y-%m-%d %H:%M} UTC" if m.status == "pending"
                else "gave up")
        error = f"  ({m.last_error})" if m.last_error and m.status != "sent" else ""
        say(f"{m.created_at:%Y-%m-%d %H:%M}  {m.kind:<8} {m.status:<7} attempts={m.attempts}  "
            f"{m.recipient}  {when}{error}")
