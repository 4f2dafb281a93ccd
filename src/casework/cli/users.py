"""``casework users``: who may use the API, with which role, and their tokens.

Exit status: 0 done; 1 unknown user; 2 a bad name or role, or a name already taken.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer

from casework.bootstrap import Casework, bootstrap
from casework.cli.terminal import say
from casework.cli.verbosity import command_settings
from casework.domain.actors import Actor, Role
from casework.domain.errors import DomainError, InvalidInput, NotFound

users_app = typer.Typer(
    help=(
        "Users and API tokens. Roles: officer (logs and works cases), manager (also allocates, "
        "issues sanctions, sees whistleblowers), auditor (reads and verifies, writes nothing), "
        "admin (manages users)."
    ),
    no_args_is_help=True,
)
T = TypeVar("T")
ROLES = ", ".join(r.value for r in Role)


def _operator() -> Actor:
    """Whoever runs the command line acts as an admin: they hold the database already."""
    try:
        who = getpass.getuser()
    except Exception:  # no login name in some containers
        who = "unknown"
    return Actor(f"cli:{who}", Role.admin)


@contextmanager
def _casework() -> Iterator[Casework]:
    settings = command_settings(scheduler_enabled=False)
    cw = bootstrap(settings)
    try:
        yield cw
    finally:
        cw.close()


def _run(action: Callable[[Casework], T]) -> T:
    """The CLI's one error handler for user commands: a refusal says why, with its exit code."""
    try:
        with _casework() as cw:
            return action(cw)
    except InvalidInput as exc:
        say(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except NotFound as exc:
        say(f"error: {exc}; see `casework users list`", err=True)
        raise typer.Exit(1) from None
    except DomainError as exc:
        say(f"error: {exc}", err=True)
        raise typer.Exit(1) from None


@users_app.command("add")
def add(
    name: str = typer.Argument(..., help="Login name: lower-case letters, digits, '.', '_', '-'."),
    role: str = typer.Option(..., "--role", "-r", help=f"One of: {ROLES}."),
    email: str | None = typer.Option(
        None, "--email", "-e", help="Where their alerts and daily digest go (e.g. amy@council.example)."
    ),
) -> None:
    """Create a user and print their API token. The token is shown once: pass it on securely.

    Exit 2 on a bad role, a bad email address or a name already taken.
    """
    issued = _run(lambda cw: cw.users.add(name, role, _operator(), email=email))
    say(f"added {issued.name} ({issued.role.value}); API token, shown once:", err=True)
    say(issued.token)


@users_app.command("token")
def token(name: str = typer.Argument(..., help="An existing user.")) -> None:
    """Issue a new API token for a user (e.g. after revoking a lost one); printed once."""
    issued = _run(lambda cw: cw.users.issue_token(name, _operator()))
    say(f"new token for {issued.name} ({issued.role.value}), shown once:", err=True)
    say(issued.token)


@users_app.command("revoke")
def revoke(name: str = typer.Argument(..., help="The user whose tokens stop working.")) -> None:
    """Revoke every token the user holds. Issue a new one with `casework users token NAME`."""
    count = _run(lambda cw: cw.users.revoke(name, _operator()))
    say(f"revoked {count} token(s) of {name}")


@users_app.command("role")
def change_role(
    name: str = typer.Argument(..., help="An existing user."),
    role: str = typer.Argument(..., help=f"The new role, one of: {ROLES}."),
) -> None:
    """Change a user's role (their tokens keep working, with the new role)."""
    record = _run(lambda cw: cw.users.change_role(name, role, _operator()))
    say(f"{record.name} is now {record.role.value}")


@users_app.command("list")
def list_users() -> None:
    """Every user with their role and how many working tokens they hold."""
    records = _run(lambda cw: cw.users.list())
    if not records:
        say("no users yet: add one with `casework users add NAME --role ROLE`")
        return
    for r in records:
        mail = r.email or "no email"
        digest = "" if not r.email else " digest=on" if r.digests else " digest=off"
        feed = " calendar=on" if r.calendar else ""
        say(f"{r.name:<24} {r.role.value:<8} tokens={r.active_tokens}  since {r.created_at:%Y-%m-%d}"
            f"  {mail}{digest}{feed}")


@users_app.command("email")
def email(
    name: str = typer.Argument(..., help="An existing user."),
    address: str = typer.Argument(..., help='Their email address; "" removes it.'),
) -> None:
    """Set where a user's alerts and daily digest go (exit 2 on an address that is not one)."""
    record = _run(lambda cw: cw.users.set_email(name, address, _operator()))
    say(f"{record.name}: alerts go to {record.email}" if record.email
        else f"{record.name}: no email address; alerts stay in Casework")


@users_app.command("digests")
def digests(
    name: str = typer.Argument(..., help="An existing user."),
    on: bool = typer.Option(..., "--on/--off", help="Daily digest by email on or off."),
) -> None:
    """Turn a user's daily digest on or off (their alerts still come)."""
    record = _run(lambda cw: cw.users.set_digests(name, on, _operator()))
    say(f"{record.name}: daily digest {'on' if record.digests else 'off'}")


@users_app.command("calendar")
def calendar(
    name: str = typer.Argument(..., help="An existing user."),
    revoke: bool = typer.Option(False, "--revoke", help="Stop the feed instead (its address 404s)."),
) -> None:
    """Print a new private calendar feed address for the user (the old one stops working), or
    revoke it. Anyone with the address can read the feed: pass it on securely."""
    if revoke:
        gone = _run(lambda cw: cw.users.revoke_calendar(name, _operator()))
        say(f"revoked the calendar feed of {name}" if gone else f"{name} had no calendar feed")
        return

    def issue(cw: Casework) -> str:
        return f"{cw.settings.base_url}/calendar/{cw.users.issue_calendar(name, _operator())}.ics"

    url = _run(issue)
    say(f"calendar feed of {name}, shown once (subscribe to it in Outlook or another calendar):",
        err=True)
    say(url)
