"""``casework export provider``, ``casework verify-bundle`` and ``casework checkpoint``: evidence
an auditor outside the council verifies without Casework (docs/evidence-bundle.md)."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path

import typer

from casework.bootstrap import bootstrap
from casework.cli.terminal import say, say_document
from casework.evidence.bundle import BrokenHistory, export_bundle
from casework.evidence.checkpoints import BrokenLog, make_checkpoint
from casework.evidence.signing import SigningKeyError, SigningKeys
from casework.evidence.verifier import Unreadable, verify_bundle
from casework.files import MIB, FileTooLarge, read_text_within
from casework.logs import configure_logging
from casework.settings import load_settings

export_app = typer.Typer(help="Export evidence: a provider's signed, verifiable history.",
                         no_args_is_help=True)


def _keys(path: str | None) -> SigningKeys:
    try:
        return SigningKeys.load(path)
    except SigningKeyError as exc:
        say(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@export_app.command("provider")
def export_provider(
    provider_id: str = typer.Argument(..., help="The provider's id."),
    out: Path = typer.Option(..., "--out", help="The bundle file to write (a zip); never overwritten."),
) -> None:
    """Write a provider's evidence bundle: every event of its streams with the hash links, the
    chain heads, a readable timeline, the latest checkpoint of the log, a manifest and the
    council's signature (CASEWORK_SIGNING_KEY_FILE). Check it with `casework verify-bundle`.
    Exit 1 for an unknown provider or a history that does not verify; 2 without a signing key or
    when FILE exists."""
    settings = load_settings(scheduler_enabled=False)
    configure_logging(settings.log_level)
    keys = _keys(settings.signing_key_file)
    if out.exists():
        say(f"error: {out} exists; choose another path (a bundle is never overwritten)", err=True)
        raise typer.Exit(2)
    cw = bootstrap(settings)
    try:
        bundle = export_bundle(
            cw.store, lambda: keys, provider_id, now=cw.clock.now(), council=settings.council_name,
            exported_by={"name": getpass.getuser(), "role": None, "via": "command line"},
        )
    except BrokenHistory as exc:
        say(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        cw.close()
    if bundle is None:
        say(f"unknown provider {provider_id!r}: nothing is recorded about it", err=True)
        raise typer.Exit(1)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "wb") as target:
        target.write(bundle)
    say(f"wrote {out} ({len(bundle):,} bytes), signed with key {keys.key_id}; check it with "
        f"`casework verify-bundle {out}`")


# A public key file is a PEM (about 120 bytes) or the published JSON of every key.
PUBLIC_KEY_LIMIT = 4 * MIB


def verify_bundle_command(
    bundle: Path = typer.Argument(..., help="The bundle file (zip)."),
    public_key: Path | None = typer.Option(
        None, "--public-key",
        help="The council's public key: a PEM file, or the JSON of GET /api/v1/signing-key. "
             "Without it the bundle's own copy is used (integrity, not authorship).",
    ),
) -> None:
    """Check an evidence bundle offline: every event's hash and link from each stream's first
    event, the chain heads, each file's sha256 against the manifest, the manifest's digest, the
    signature over the manifest, and the checkpoint it carries. Exit 0 with a summary; 1 naming
    the first thing that fails; 2 when the file or the key cannot be read at all. The same checks
    as tools/verify_bundle.py, which needs no Casework."""
    try:
        key_text = None if public_key is None else read_text_within(
            public_key, limit=PUBLIC_KEY_LIMIT, what="the public key file")
        outcome = verify_bundle(str(bundle), key_text)
    except (Unreadable, FileTooLarge, UnicodeDecodeError) as exc:
        say(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:
        say(f"error: cannot read {exc.filename}: {exc.strerror}", err=True)
        raise typer.Exit(2) from None
    if not outcome.ok:
        say(f"FAILED: {outcome.problem}", err=True)
        raise typer.Exit(1)
    for line in outcome.summary:
        say(line)


def checkpoint_command() -> None:
    """Sign a checkpoint of the whole log now (its position, the digest of every event up to it,
    the time, the key id, and the previous checkpoint's signature), record it, and print it as
    JSON for a third party to keep: `casework verify --against FILE` later proves the log was not
    rewritten up to it. Exit 1 when the log does not verify; 2 without a signing key."""
    settings = load_settings(scheduler_enabled=False)
    configure_logging(settings.log_level)
    keys = _keys(settings.signing_key_file)
    cw = bootstrap(settings)
    try:
        made = make_checkpoint(cw.store, keys, cw.clock, settings.council_name)
    except BrokenLog as exc:
        say(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        cw.close()
    say_document(json.dumps(made.document(), indent=2, sort_keys=True) + "\n")


__all__ = ["checkpoint_command", "export_app", "verify_bundle_command"]
