"""``casework keys``: the key file that seals every person key (CASEWORK_KEY_FILE), kept apart
from the database so that a copy of the database alone opens nobody's data (docs/security.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from casework.bootstrap import bootstrap
from casework.cli.terminal import say
from casework.cli.verbosity import command_settings
from casework.personal_data_store import KeyFileError, SqlKeyStore, new_key_file, read_key_file

keys_app = typer.Typer(
    help=(
        "The key file that seals the per-person keys of restricted personal data. Back it up apart "
        "from the database: without it nobody's identity can be read, by anyone."
    ),
    no_args_is_help=True,
)


@keys_app.command("generate")
def generate(path: Path = typer.Argument(..., help="Where to write the new key file.")) -> None:
    """Write a new key file (32 random bytes, base64, readable by its owner only). Never
    overwrites. Then seal the stored keys under it with `casework keys rotate --new-key-file`."""
    try:
        new_key_file(path)
    except FileExistsError:
        say(f"error: {path} exists; choose another path (a key file is never overwritten)", err=True)
        raise typer.Exit(2) from None
    say(f"new key file {path}: back it up apart from the database, then run "
               f"`casework keys rotate --new-key-file {path}`")


@keys_app.command("rotate")
def rotate(
    new_key_file_path: Path = typer.Option(
        ..., "--new-key-file", help="The key file to seal every key with."
    ),
) -> None:
    """Seal every person key under a new key file, in one transaction, opening each with the
    current one (CASEWORK_KEY_FILE; unset: the keys stored in clear so far). Stop the servers
    first; afterwards set CASEWORK_KEY_FILE to the new file and start them again. Exit 2 when a
    key file is unreadable or not the one the keys were sealed with."""
    settings = command_settings(scheduler_enabled=False)
    try:
        new_master = read_key_file(new_key_file_path)
        cw = bootstrap(settings)
    except KeyFileError as exc:
        say(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        keys: SqlKeyStore = cw.vault.keys  # type: ignore[assignment]
        count = keys.rotate(new_master)
    except KeyFileError as exc:
        say(f"error: {exc}; nothing was changed", err=True)
        raise typer.Exit(2) from None
    finally:
        cw.close()
    say(f"sealed {count} person key(s) under {new_key_file_path}: now set "
               f"CASEWORK_KEY_FILE={new_key_file_path} for every Casework process")
