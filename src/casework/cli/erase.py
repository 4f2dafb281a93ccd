"""``casework erase PERSON_ID --grounds GROUNDS [--note TEXT]``: erase a whistleblower's identity or
an adult at risk's name on request, for good (``casework.erasure``)."""

from __future__ import annotations

import typer

from casework.bootstrap import bootstrap
from casework.cli.terminal import say
from casework.cli.users import _operator
from casework.cli.verbosity import command_settings
from casework.domain.errors import InvalidInput, NotFound
from casework.domain.personal_data import ErasureGrounds
from casework.erasure import erase_person

GROUNDS = ", ".join(g.value for g in ErasureGrounds)

HELP = "\n\n".join([
    "Erase a person's restricted data (a whistleblower's identity and contact, or an adult at "
    "risk's name) on request. IRREVERSIBLE: their key is destroyed, and nobody, not even a manager "
    "or an operator holding the database, can read that person's data again. The database's "
    "files are then scrubbed of the key (SQLite: a WAL checkpoint; PostgreSQL: VACUUM FULL of "
    "person_keys).",
    "What stays: every event of the history and its hash chain (the sealed data is left in place, "
    "unreadable), so `casework verify` still passes and the rest of the record still reads; the "
    "record shows the person as erased. The erasure itself is recorded (PersonErased: who, when, "
    "the grounds and the note, never who the person was), and every role can read it for good.",
    f"--grounds is required, one of: {GROUNDS}. --note is optional, e.g. the request's reference "
    "and date ('ER-2026-014 of 2 March 2026'); a note holding any part of the person's name, their "
    "email address or phone number is refused. (--reason is another name for --note.)",
    "PERSON_ID is the id shown to managers beside the person's name (API: `person_id` of a "
    "record's `whistleblower` or of each of a concern's `adults_at_risk`; web: the record or "
    "provider page). Someone recorded twice (two records, two concerns) has an id for each: "
    "erase each.",
    "Example: casework erase 0b6f3c1e-5d0a-4a53-9a59-2f0d9c1b7e42 --grounds data_subject_request "
    "--note 'ER-2026-014 of 2 March 2026'",
    "Exit status: 0 erased (or already erased: nothing more is recorded); 1 no such person; 2 bad "
    "usage (a malformed id, missing or unknown grounds, a note naming the person); 3 erased, but "
    "the database files could not be scrubbed yet (a long transaction was open): run the same "
    "command again.",
])


def erase(
    person_id: str = typer.Argument(..., help="The person's id (a UUID) as shown to managers."),
    grounds: ErasureGrounds = typer.Option(
        ..., "--grounds", case_sensitive=False, show_choices=True,
        help="Why the data may be erased (required).",
    ),
    note: str | None = typer.Option(
        None, "--note", "--reason",
        help="Optional: the request's reference or date. Never the person's name or contact.",
    ),
) -> None:
    settings = command_settings(scheduler_enabled=False)
    cw = bootstrap(settings)
    try:
        done = erase_person(cw.store, cw.vault, person_id, grounds, _operator(), note=note)
    except InvalidInput as exc:
        say(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except NotFound:
        say(f"error: no person with id {person_id!r} (nothing was erased)", err=True)
        raise typer.Exit(1) from None
    finally:
        cw.close()
    when = f"{done.erased_at:%Y-%m-%d %H:%M} UTC by {done.erased_by}"
    if done.already:
        say(f"person {done.person_id} was already erased ({when}); nothing more to record")
    else:
        where = f" (named in {done.mentioned_in})" if done.mentioned_in else ""
        say(f"erased person {done.person_id}{where}: their data can no longer be read; "
            "the history and its hash chain are unchanged")
    if not done.scrubbed:
        say("warning: the database files may still hold a copy of the key (a long "
            "transaction was open); run the same command again to scrub them", err=True)
        raise typer.Exit(3)
