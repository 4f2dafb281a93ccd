"""``casework keys``: the key file that seals every person key (CASEWORK_KEY_FILE), kept apart
from the database so that a copy of the database alone opens nobody's data (docs/security.md);
and ``casework keys signing``: the council's Ed25519 signing key (CASEWORK_SIGNING_KEY_FILE) for
evidence bundles and checkpoints (docs/evidence-bundle.md)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from casework.bootstrap import bootstrap
from casework.cli.terminal import say, say_document
from casework.cli.verbosity import command_settings
from casework.clock import SystemClock
from casework.evidence.signing import SigningKeyError, SigningKeys
from casework.personal_data_store import KeyFileError, SqlKeyStore, new_key_file, read_key_file
from casework.settings import load_settings

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


signing_app = typer.Typer(
    help=(
        "The council's Ed25519 signing key (CASEWORK_SIGNING_KEY_FILE): signs evidence bundles "
        "and checkpoints of the log. Rotating keeps every old public key, so what an old key "
        "signed still verifies."
    ),
    no_args_is_help=True,
)
keys_app.add_typer(signing_app, name="signing")

_FILE_HELP = "The signing key file (default: CASEWORK_SIGNING_KEY_FILE)."


def _signing_keys(path: Path | None) -> SigningKeys:
    try:
        return SigningKeys.load(path or load_settings(scheduler_enabled=False).signing_key_file)
    except SigningKeyError as exc:
        say(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@signing_app.command("create")
def signing_create(path: Path = typer.Argument(..., help="Where to write the new key file.")) -> None:
    """Make a new Ed25519 signing key in a new file readable by its owner only (mode 0600). Never
    overwrites. Then set CASEWORK_SIGNING_KEY_FILE to it and publish its public key (`show`)."""
    try:
        keys = SigningKeys.create(path, SystemClock().now())
    except FileExistsError:
        say(f"error: {path} exists; choose another path (a key file is never overwritten)", err=True)
        raise typer.Exit(2) from None
    say(f"new signing key {keys.key_id} in {path}: set CASEWORK_SIGNING_KEY_FILE={path} for every "
        "Casework process, back the file up, and publish the public key "
        "(`casework keys signing show`)")


@signing_app.command("rotate")
def signing_rotate(file: Path | None = typer.Option(None, "--file", help=_FILE_HELP)) -> None:
    """Make a new signing key and retire the current one: its private half is deleted from the
    file, its public half kept (so bundles and checkpoints it signed still verify)."""
    keys = _signing_keys(file)
    old = keys.key_id
    keys = keys.rotate(SystemClock().now())
    say(f"signing key {old} retired; new signing key {keys.key_id}: publish it "
        "(`casework keys signing show`)")


@signing_app.command("show")
def signing_show(
    file: Path | None = typer.Option(None, "--file", help=_FILE_HELP),
    as_json: bool = typer.Option(False, "--json", help="The JSON of GET /api/v1/signing-key."),
) -> None:
    """Print the public keys, current first: key id, dates and PEM. Never the private key."""
    keys = _signing_keys(file)
    if as_json:
        say_document(json.dumps(keys.published(), indent=2) + "\n")
        return
    for key in reversed(keys.public_keys()):
        state = "current" if key.key_id == keys.key_id else f"retired {key.retired_at}"
        say(f"key {key.key_id} (Ed25519, created {key.created_at}, {state})")
        say_document(key.public_key)


# `casework keys show`, as issue 19 names it: the public signing keys (the person-key file has
# nothing to show: its key is secret).
keys_app.command("show", help="The council's public signing keys: the same as `keys signing show`.")(
    signing_show)
