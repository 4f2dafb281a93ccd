#!/usr/bin/env python3
"""Verify a Casework evidence bundle offline: standard library plus ``cryptography`` only.

    python verify_bundle.py BUNDLE.zip [--public-key KEY]

KEY is the council's public key: a PEM file, or the JSON answer of ``GET /api/v1/signing-key``
(every key the council has had). Without it the bundle's own copy (``signing-keys.json``) is
used, which proves the bundle is intact but not who signed it: compare the key id printed with
the one the council publishes. Exit 0 with a summary when everything verifies; exit 1 naming the
first thing that does not; exit 2 when the file cannot be read as a zip or the key file as a key.

This file is both ``tools/verify_bundle.py`` (for auditors: copy it anywhere) and the module
``casework.evidence.verifier`` behind ``casework verify-bundle``; a test keeps them identical
and checks it imports nothing of Casework. The format and each step are in
docs/evidence-bundle.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
import zipfile
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

BUNDLE_FORMAT = "casework-evidence-bundle/1"
# Every checkpoint format ever signed, oldest first (/2 adds last_hash; both sign the same log
# digest): a council's old checkpoints stay valid.
CHECKPOINT_FORMATS = ("casework-log-checkpoint/1", "casework-log-checkpoint/2")
REQUIRED = ("manifest.json", "manifest.sig", "events.jsonl", "heads.json")
EVENT_FIELDS: dict[str, type | tuple[type, ...]] = {
    "position": int, "event_id": str, "stream": str, "version": int, "type": str,
    "schema_version": int, "occurred_at": str, "recorded_at": str, "data": str, "metadata": str,
    "provider_id": (str, type(None)), "previous_hash": str, "hash": str,
}


class Failed(Exception):
    """The first thing that does not verify, in words."""


class Unreadable(Exception):
    """The bundle or the key file cannot be read at all."""


@dataclass
class Outcome:
    ok: bool
    problem: str | None = None
    summary: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- hashes
def event_hash(previous: str, e: dict[str, Any]) -> str:
    """SHA-256 (hex) of the previous hash and the event's fields, one per line, as stored."""
    content = "\n".join((
        previous, e["event_id"], e["stream"], str(e["version"]), e["type"],
        str(e["schema_version"]), e["occurred_at"], e["recorded_at"], e["data"], e["metadata"],
    ))
    return hashlib.sha256(content.encode()).hexdigest()


def files_digest(files: dict[str, Any]) -> str:
    """The manifest's digest: SHA-256 of "name\\nsha256\\n" for every file, by name."""
    text = "".join(f"{name}\n{files[name]['sha256']}\n" for name in sorted(files))
    return hashlib.sha256(text.encode()).hexdigest()


def key_id_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


# ----------------------------------------------------------------------------- keys
def read_public_keys(text: str) -> dict[str, Ed25519PublicKey]:
    """key id -> key, from a PEM public key or the published JSON (``signing-keys.json``)."""
    pems: list[str]
    if text.lstrip().startswith("-----BEGIN"):
        pems = [text]
    else:
        try:
            found = json.loads(text)
            pems = [k["public_key"] for k in found["keys"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise Unreadable("the public key is neither a PEM public key nor the JSON of "
                             "GET /api/v1/signing-key") from exc
    keys: dict[str, Ed25519PublicKey] = {}
    for pem in pems:
        try:
            public = serialization.load_pem_public_key(pem.encode())
        except (ValueError, TypeError, AttributeError) as exc:
            raise Unreadable("a public key given is not a readable PEM key") from exc
        if not isinstance(public, Ed25519PublicKey):
            raise Unreadable("a public key given is not an Ed25519 key")
        keys[key_id_of(public)] = public
    return keys


def signed_by(keys: dict[str, Ed25519PublicKey], key_id: Any, message: bytes, signature: Any) -> bool:
    public = keys.get(key_id) if isinstance(key_id, str) else None
    if public is None or not isinstance(signature, str):
        return False
    try:
        public.verify(base64.b64decode(signature, validate=True), message)
        return True
    except (InvalidSignature, ValueError):
        return False


# ----------------------------------------------------------------------------- the bundle
def verify_bundle(path: str, public_key_text: str | None = None) -> Outcome:
    """Every check of docs/evidence-bundle.md, in its order; the first failure is the answer."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise Unreadable(f"{path} cannot be read as a zip file: {exc}") from exc
    with archive:
        try:
            return Outcome(True, summary=_verify(archive, public_key_text))
        except Failed as failed:
            return Outcome(False, problem=str(failed))


def _read(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except KeyError:
        raise Failed(f"{name} is missing from the bundle") from None
    except (zipfile.BadZipFile, OSError) as exc:  # a CRC error: the bytes were changed
        raise Failed(f"{name} cannot be read from the zip: {exc}") from None


def _json(archive: zipfile.ZipFile, name: str) -> Any:
    try:
        return json.loads(_read(archive, name))
    except ValueError:
        raise Failed(f"{name} is not valid JSON") from None


def _verify(archive: zipfile.ZipFile, public_key_text: str | None) -> list[str]:
    names = [i.filename for i in archive.infolist()]
    for name in names:
        if names.count(name) > 1:
            raise Failed(f"{name} appears twice in the zip")
    for name in REQUIRED:
        if name not in names:
            raise Failed(f"{name} is missing from the bundle")

    # 1. the manifest is readable
    manifest_bytes = _read(archive, "manifest.json")
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError:
        raise Failed("manifest.json is not valid JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT or \
            not isinstance(manifest.get("files"), dict):
        raise Failed(f"manifest.json is not a {BUNDLE_FORMAT} manifest")

    # 2. every event and every link of every stream
    heads, count = _verify_events(archive)

    # 3. the chain heads
    _verify_heads(_json(archive, "heads.json"), heads)

    # 4. each file against the manifest, and nothing unlisted
    files: dict[str, Any] = manifest["files"]
    for name in names:
        if name not in files and name not in ("manifest.json", "manifest.sig"):
            raise Failed(f"{name} is in the bundle but not in manifest.json")
    for name in sorted(files):
        entry = files[name]
        if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str):
            raise Failed(f"manifest.json: the entry of {name} has no sha256")
        if name not in names:
            raise Failed(f"{name} is listed in manifest.json but missing from the bundle")
        actual = hashlib.sha256(_read(archive, name)).hexdigest()
        if actual != entry["sha256"]:
            raise Failed(f"{name}: its sha256 is {actual} but manifest.json says {entry['sha256']}: "
                         "the file was changed")
    for name in REQUIRED[2:]:
        if name not in files:
            raise Failed(f"manifest.json does not list {name}")

    # 5. the manifest's digest of everything, and its counts
    digest = files_digest(files)
    if manifest.get("digest") != digest:
        raise Failed(f"manifest.json: its digest is {manifest.get('digest')} but the files listed "
                     f"give {digest}: the manifest was changed")
    if manifest.get("events") != count or manifest.get("streams") != len(heads):
        raise Failed(f"manifest.json says {manifest.get('events')} events in "
                     f"{manifest.get('streams')} streams but events.jsonl holds {count} in "
                     f"{len(heads)}")

    # 6. the signature over the manifest's bytes
    bundled_keys = "signing-keys.json" in names
    if public_key_text is None:
        if not bundled_keys:
            raise Failed("no public key given and the bundle carries none (signing-keys.json)")
        try:
            keys = read_public_keys(_read(archive, "signing-keys.json").decode())
        except (Unreadable, UnicodeDecodeError):
            raise Failed("signing-keys.json holds no readable public key") from None
        source = ("the bundle's own signing-keys.json: this proves the bundle is intact, not who "
                  "signed it; compare the key id with the council's published key, or pass "
                  "--public-key")
    else:
        keys = read_public_keys(public_key_text)
        source = "the public key given"
    signature = _json(archive, "manifest.sig")
    if not isinstance(signature, dict):
        raise Failed("manifest.sig is not a signature document")
    key_id = signature.get("key_id")
    if key_id not in keys:
        raise Failed(f"manifest.sig: the manifest is signed with key {key_id}, which is not among "
                     f"the public keys used ({', '.join(sorted(keys))}): signed with another key")
    if manifest.get("key_id") != key_id:
        raise Failed(f"manifest.json names key {manifest.get('key_id')} but manifest.sig key {key_id}")
    if not signed_by(keys, key_id, manifest_bytes, signature.get("signature")):
        raise Failed(f"manifest.sig: the signature does not verify with key {key_id}: "
                     "manifest.json was altered, or it was signed with another key")

    summary = [
        f"verified: {count} events in {len(heads)} streams, every hash link from each stream's "
        "first event, and the chain heads",
        f"provider {manifest.get('provider_id')}; exported {manifest.get('exported_at')} by "
        f"{_who(manifest.get('exported_by'))}; Casework {manifest.get('casework_version')}",
        f"files: {len(files)}, each matching manifest.json; manifest digest {digest}",
        f"signature: valid, key {key_id} (from {source})",
    ]
    # 7. the latest checkpoint of the whole log, if the bundle carries one
    if "checkpoint.json" in names:
        summary.append(_verify_checkpoint(_json(archive, "checkpoint.json"), keys))
    else:
        summary.append("checkpoint: none was recorded before this export")
    return summary


def _who(exported_by: Any) -> str:
    if not isinstance(exported_by, dict):
        return str(exported_by)
    role = f" ({exported_by['role']})" if exported_by.get("role") else ""
    return f"{exported_by.get('name')}{role} via {exported_by.get('via')}"


def _verify_events(archive: zipfile.ZipFile) -> tuple[dict[str, tuple[int, str]], int]:
    lines = _read(archive, "events.jsonl").splitlines()
    # Where each (stream, version) is, to tell an event moved from one dropped.
    found: dict[tuple[Any, Any], int] = {}
    for number, raw in enumerate(lines, start=1):
        try:
            e = json.loads(raw)
            found.setdefault((e["stream"], e["version"]), number)
        except (ValueError, KeyError, TypeError):
            continue
    heads: dict[str, tuple[int, str]] = {}
    last_position = 0
    for number, raw in enumerate(lines, start=1):
        last_position = _verify_event(number, raw, heads, last_position, found)
    return heads, len(lines)


def _verify_event(
    number: int, raw: bytes, heads: dict[str, tuple[int, str]], last_position: int,
    found: dict[tuple[Any, Any], int],
) -> int:
    try:
        e = json.loads(raw)
    except ValueError:
        raise Failed(f"event {number} (line {number} of events.jsonl) is not valid JSON") from None
    if not isinstance(e, dict):
        raise Failed(f"event {number} (line {number} of events.jsonl) is not a JSON object")
    for name, kind in EVENT_FIELDS.items():
        if not isinstance(e.get(name), kind) or isinstance(e.get(name), bool):
            raise Failed(f"event {number} (line {number} of events.jsonl): field {name} is "
                         "missing or of the wrong type")
    stream, version, position = e["stream"], e["version"], e["position"]
    where = f"event {number} (stream {stream}, version {version}, position {position})"
    if position <= last_position:
        raise Failed(f"{where}: its position is not after {last_position}, the previous event's: "
                     "events were reordered")
    last_version, previous = heads.get(stream, (0, ""))
    if version <= last_version:
        raise Failed(f"{where}: comes after version {last_version} of its stream: events were "
                     "reordered or repeated")
    if version != last_version + 1:
        later = found.get((stream, last_version + 1))
        if later is not None and later > number:
            raise Failed(f"{where}: comes before version {last_version + 1} of its stream (event "
                         f"{later}): events were reordered")
        missing = f"{last_version + 1}" if version == last_version + 2 else \
            f"{last_version + 1}..{version - 1}"
        raise Failed(f"{where}: follows version {last_version} of its stream: version(s) "
                     f"{missing} are missing (dropped from the bundle)")
    if e["previous_hash"] != previous:
        raise Failed(f"{where}: its previous_hash is not the hash of version {last_version}: the "
                     "link was changed")
    if event_hash(previous, e) != e["hash"]:
        raise Failed(f"{where}: hash does not match its content: the event was altered")
    try:
        metadata = json.loads(e["metadata"])
    except ValueError:
        raise Failed(f"{where}: its metadata is not JSON") from None
    named = metadata.get("provider_id") if isinstance(metadata, dict) else None
    if e["provider_id"] != named:
        raise Failed(f"{where}: provider_id is {e['provider_id']!r} but its hashed metadata says "
                     f"{named!r}")
    heads[stream] = (version, e["hash"])
    return int(position)


def _verify_heads(found: Any, heads: dict[str, tuple[int, str]]) -> None:
    streams = found.get("streams") if isinstance(found, dict) else None
    if not isinstance(streams, dict):
        raise Failed("heads.json has no streams")
    for stream, head in sorted(streams.items()):
        if not isinstance(head, dict):
            raise Failed(f"heads.json: stream {stream} has no head")
        have_version, have_hash = heads.get(stream, (0, ""))
        if head.get("version") != have_version:
            raise Failed(f"heads.json: stream {stream} ends at version {head.get('version')} but "
                         f"events.jsonl ends it at version {have_version}: events were dropped "
                         "from the bundle")
        if head.get("hash") != have_hash:
            raise Failed(f"heads.json: stream {stream}'s head hash differs from the hash of its "
                         f"last event (version {have_version}) in events.jsonl")
    for stream in sorted(heads):
        if stream not in streams:
            raise Failed(f"heads.json has no head for stream {stream}, which events.jsonl holds")


def _verify_checkpoint(document: Any, keys: dict[str, Ed25519PublicKey]) -> str:
    if not isinstance(document, dict) or not isinstance(document.get("payload"), str):
        raise Failed("checkpoint.json is not a checkpoint")
    try:
        fields = json.loads(document["payload"])
    except ValueError:
        raise Failed("checkpoint.json: its payload is not JSON") from None
    if not isinstance(fields, dict) or fields.get("format") not in CHECKPOINT_FORMATS:
        raise Failed("checkpoint.json: its payload is not a checkpoint of a known format "
                     f"({', '.join(CHECKPOINT_FORMATS)})")
    for name, value in document.items():
        if name not in ("payload", "signature") and fields.get(name, value) != value:
            raise Failed(f"checkpoint.json: its {name} differs from the signed payload's")
    if not signed_by(keys, fields.get("key_id"), document["payload"].encode(), document.get("signature")):
        raise Failed(f"checkpoint.json: the signature of checkpoint {fields.get('sequence')} does "
                     f"not verify with key {fields.get('key_id')}")
    return (f"checkpoint {fields.get('sequence')}: valid, the whole log's digest "
            f"{fields.get('log_digest')} at position {fields.get('position')}, made "
            f"{fields.get('made_at')} (ask the council to run `casework verify --against` it)")


# Text from a bundle (a stream name, who exported it) may hold terminal escape sequences: print
# control characters, line separators and bidirectional overrides escaped, as `casework` does.
_UNSAFE = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F),
           *range(0x2066, 0x206A)]
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_ESCAPED = {code: _NAMED.get(chr(code)) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
            for code in _UNSAFE}


def shown(text: str) -> str:
    return text.translate(_ESCAPED)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="Verify a Casework evidence bundle offline.")
    parser.add_argument("bundle")
    parser.add_argument("--public-key", help="PEM public key, or the JSON of GET /api/v1/signing-key")
    args = parser.parse_args(argv)
    try:
        key_text = None
        if args.public_key:
            with open(args.public_key, encoding="utf-8") as source:
                key_text = source.read()
        outcome = verify_bundle(args.bundle, key_text)
    except (Unreadable, OSError, UnicodeDecodeError) as exc:
        print(shown(f"error: {exc}"), file=sys.stderr)
        return 2
    if not outcome.ok:
        print(shown(f"FAILED: {outcome.problem}"), file=sys.stderr)
        return 1
    for line in outcome.summary:
        print(shown(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
