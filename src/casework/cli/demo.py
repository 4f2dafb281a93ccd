"""``casework demo``: load a demonstration scenario (and, optionally, CQC location records)."""

from __future__ import annotations

from pathlib import Path

import typer

from casework.bootstrap import Casework, bootstrap
from casework.cli.terminal import say
from casework.cli.verbosity import command_settings
from casework.files import FileTooLarge

BUNDLED = "bundled"
# The demonstration users' email domain: reserved (RFC 2606), so nothing is ever delivered.
DEMO_MAIL_DOMAIN = "demo.casework.invalid"
# Who a new user can sign in as after `make demo`: one user of each role.
DEMO_USERS = [("demo.manager", "manager"), ("demo.officer", "officer"), ("demo.auditor", "auditor"),
              ("demo.admin", "admin")]
# Computed here rather than inside demo()'s defaults: mypy does not see the names a comprehension
# binds when it sits in a default argument (python/mypy#9346), though Python runs it fine.
_DEMO_USERS_LISTED = ", ".join(f"{name} ({role})" for name, role in DEMO_USERS)


def demo(
    scenario: str | None = typer.Option(None, "--scenario", help="Which scenario (default: leicester-2018)."),
    with_cqc: str | None = typer.Option(
        None, "--with-cqc", metavar="FILE",
        help=f"Also import CQC location records from FILE ('{BUNDLED}': the Devon and Plymouth file "
        "packaged with Casework).",
    ),
    list_scenarios: bool = typer.Option(False, "--list", help="List the scenarios and exit."),
    with_users: bool = typer.Option(
        False, "--users",
        help=f"Also create demonstration users ({_DEMO_USERS_LISTED}) and print a new sign-in token "
        "for each, for the web pages and the API.",
    ),
) -> None:
    """Load a demonstration data set into the store and print what it loaded.

    Each scenario is a seeded year of a team's work written through the same commands as the
    API; running it again on the same store appends nothing."""
    from casework.demo import DEFAULT_SCENARIO, SCENARIOS, load_scenario

    if list_scenarios:
        for s in SCENARIOS.values():
            say(f"{s.name:<22} {s.summary}")
        return
    name = scenario or DEFAULT_SCENARIO
    if name not in SCENARIOS:
        raise typer.BadParameter(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}",
                                 param_hint="--scenario")
    cqc_file = _cqc_file(with_cqc)
    settings = command_settings(scheduler_enabled=False)
    cw = bootstrap(settings)
    try:
        for line in load_scenario(cw, name).lines():
            say(line)
        if cqc_file is not None:
            from casework.cli.imports import print_report, run_import

            try:
                report = run_import(cw, cqc_file, progress=False)
            except FileTooLarge as exc:
                say(f"error: {exc} Nothing was imported from it.", err=True)
                raise typer.Exit(2) from None
            say(f"CQC import from {cqc_file.name}:")
            print_report(report, cqc_file)
        if with_users:
            _demo_users(cw)
    finally:
        cw.close()


def _cqc_file(value: str | None) -> Path | None:
    if value is None:
        return None
    if value == BUNDLED:
        from casework.imports.cqc import BUNDLED_CQC_FILE

        return BUNDLED_CQC_FILE
    path = Path(value)
    if not path.is_file():
        raise typer.BadParameter(f"{value}: no such file", param_hint="--with-cqc")
    return path


def _demo_users(cw: Casework) -> None:
    """Create the demonstration users that are missing and print a new token for each."""
    from casework.cli.users import _operator
    from casework.domain.errors import NotFound

    operator = _operator()
    say("Sign in at /signin (or send `Authorization: Bearer TOKEN`) with one of these tokens:")
    for name, role in DEMO_USERS:
        try:
            cw.users.get(name)
            issued = cw.users.issue_token(name, operator)
        except NotFound:  # with an address of a reserved domain: mail to it goes nowhere real
            issued = cw.users.add(name, role, operator, email=f"{name}@{DEMO_MAIL_DOMAIN}")
        say(f"  {issued.role.value:<8} {issued.name:<13} {issued.token}")
    say(f"Their alerts and reminders go to NAME@{DEMO_MAIL_DOMAIN} when CASEWORK_SMTP_URL is set "
        "(watch them with `python -m aiosmtpd -n -l 127.0.0.1:1025` and "
        "CASEWORK_SMTP_URL=smtp://127.0.0.1:1025; see docs/alerts.md).")
