"""``casework erase PERSON_ID --reason TEXT``: erase a whistleblower's identity or an adult at
risk's name on request, for good (``casework.erasure``)."""

from __future__ import annotations

import typer

from casework.bootstrap import bootstrap
from casework.cli.users import _operator
from casework.domain.errors import InvalidInput, NotFound
from casework.erasure import erase_person
from casework.logs import configure_logging
from casework.settings import load_settings

HELP = "\n\n".join([
    "Erase a person's restricted data (a whistleblower's identity and contact, or an adult at "
    "risk's name) on request. IRREVERSIBLE: their key is destroyed, and nobody, not even a manager "
    "or an operator holding the database, can read that person's data again.",
    "What stays: every event of the history and its hash chain (the sealed data is left in place, "
    "unreadable), so `casework verify` still passes and the rest of the record still reads; the "
    "record shows the person as erased. The erasure itself is recorded (PersonErased: who, when "
    "and the reason, never who the person was).",
    "PERSON_ID is the id shown to managers beside the person's name (API: `person_id` of a "
    "record's `whistleblower` or of each of a concern's `adults_at_risk`; web: the record or provider page). "
    "Someone recorded twice (two records, two concerns) has an id for each: erase each. "
    "Do not name the person in the reason: it is kept for good (a reason naming them is refused).",
    "Exit status: 0 erased (or already erased: nothing more is done); 1 no such person; 2 bad "
    "usage (a malformed id, an empty reason, a reason naming the person).",
])


def erase(
    person_id: str = typer.Argument(..., help="The person's id (a UUID) as shown to managers."),
    reason: str = typer.Option(..., "--reason", help="Why: e.g. the erasure request's reference."),
) -> None:
    settings = load_settings(scheduler_enabled=False)
    configure_logging(settings.log_level)
    cw = bootstrap(settings)
    try:
        done = erase_person(cw.store, cw.vault, person_id, reason, _operator())
    except InvalidInput as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except NotFound:
        typer.echo(f"error: no person with id {person_id!r} (nothing was erased)", err=True)
        raise typer.Exit(1) from None
    finally:
        cw.close()
    when = f"{done.erased_at:%Y-%m-%d %H:%M} UTC by {done.erased_by}"
    if done.already:
        typer.echo(f"person {done.person_id} was already erased ({when}); nothing more to do")
        return
    where = f" (named in {done.mentioned_in})" if done.mentioned_in else ""
    typer.echo(f"erased person {done.person_id}{where}: their data can no longer be read; "
               "the history and its hash chain are unchanged")

