"""The council's signing key: Ed25519, kept in one file (``CASEWORK_SIGNING_KEY_FILE``) readable
by its owner only, with the public half of every key it has ever had.

The file is JSON::

    {"format": "casework-signing-keys/1",
     "keys": [{"key_id": "...", "algorithm": "Ed25519", "created_at": "...",
               "retired_at": null, "public_key": "-----BEGIN PUBLIC KEY-----...",
               "private_key": "-----BEGIN PRIVATE KEY-----..."}, ...]}

Exactly one key is current: the last, not retired, and the only one whose private half is kept.
``rotate`` makes a new key, marks the old one retired and forgets its private half, so an old key
can never sign again while its public half still verifies what it signed (bundles and
checkpoints made before the rotation). The key id is the first 32 hex digits of the SHA-256 of
the 32-byte raw public key: anyone can recompute it from the published key.

Files are written whole, to a new file opened with mode 0600 and moved over the old one, so a
reader never sees half a file and the private key is never readable by anyone else.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from casework.events.hashing import iso
from casework.files import KIB, FileTooLarge, read_text_within

FORMAT = "casework-signing-keys/1"
ALGORITHM = "Ed25519"
# A key is about 400 bytes of JSON: room for thousands of rotations.
KEY_FILE_LIMIT = 4096 * KIB


class SigningKeyError(Exception):
    """The signing key file is missing, unreadable or not one ``keys signing create`` wrote."""


def key_id_of(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


def public_pem(public: Ed25519PublicKey) -> str:
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@dataclass(frozen=True)
class PublicKey:
    key_id: str
    public_key: str  # PEM
    created_at: str
    retired_at: str | None

    def to_json(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "algorithm": ALGORITHM, "public_key": self.public_key,
                "created_at": self.created_at, "retired_at": self.retired_at}


class SigningKeys:
    """The keys of one signing key file. ``SigningKeys.load(path)``; ``create`` and ``rotate``
    write the file."""

    def __init__(self, path: Path, entries: list[dict[str, Any]]) -> None:
        self.path = path
        self._entries = entries
        current = entries[-1] if entries else None
        if current is None or current.get("retired_at") or not current.get("private_key"):
            raise SigningKeyError(f"{path} holds no current signing key")
        self._private = _private_key(current["private_key"], path)
        if key_id_of(self._private.public_key()) != current["key_id"]:
            raise SigningKeyError(f"{path}: the current key's id does not match its key")

    # ------------------------------------------------------------------ the file
    @classmethod
    def load(cls, path: str | Path | None) -> SigningKeys:
        if path is None or str(path) == "":
            raise SigningKeyError(
                "no signing key: set CASEWORK_SIGNING_KEY_FILE to a file made by "
                "`casework keys signing create PATH`"
            )
        path = Path(path)
        try:
            text = read_text_within(path, limit=KEY_FILE_LIMIT, what="the signing key file")
        except FileNotFoundError:
            raise SigningKeyError(
                f"the signing key file {path} does not exist: make it with "
                f"`casework keys signing create {path}`"
            ) from None
        except (OSError, FileTooLarge, UnicodeDecodeError) as exc:
            raise SigningKeyError(f"cannot read the signing key file {path}: {exc}") from None
        try:
            found = json.loads(text)
            if found.get("format") != FORMAT or not isinstance(found.get("keys"), list):
                raise ValueError
            entries = [dict(e) for e in found["keys"]]
            for e in entries:
                if not isinstance(e.get("key_id"), str) or not isinstance(e.get("public_key"), str):
                    raise ValueError
        except (ValueError, TypeError, AttributeError):
            raise SigningKeyError(
                f"{path} is not a signing key file written by `casework keys signing create`"
            ) from None
        for e in entries:  # a key id is the key's fingerprint: never trusted as written
            public = _public_key(e["public_key"], path)
            if key_id_of(public) != e["key_id"]:
                raise SigningKeyError(f"{path}: key {e['key_id']} is not the fingerprint of its "
                                      "public key: the file was edited")
        return cls(path, entries)

    @classmethod
    def create(cls, path: str | Path, now: datetime) -> SigningKeys:
        """A new file holding one new key; never overwrites (``FileExistsError``)."""
        path = Path(path)
        entries = [_new_entry(now)]
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(_document(entries))
        return cls(path, entries)

    def rotate(self, now: datetime) -> SigningKeys:
        """Retire the current key (its private half is forgotten) and make a new one."""
        entries = [dict(e) for e in self._entries]
        entries[-1]["retired_at"] = iso(now)
        entries[-1]["private_key"] = None
        entries.append(_new_entry(now))
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.new")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(_document(entries))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        return SigningKeys(self.path, entries)

    # ------------------------------------------------------------------ use
    @property
    def key_id(self) -> str:
        return str(self._entries[-1]["key_id"])

    def sign(self, message: bytes) -> str:
        """The Ed25519 signature of ``message`` with the current key, base64."""
        return base64.b64encode(self._private.sign(message)).decode()

    def public_keys(self) -> list[PublicKey]:
        """Every key the file has held, oldest first; the last is the current one."""
        return [PublicKey(e["key_id"], e["public_key"], e["created_at"], e.get("retired_at"))
                for e in self._entries]

    def published(self) -> dict[str, Any]:
        """What ``GET /api/v1/signing-key`` and ``keys signing show --json`` answer, and what a
        bundle carries as ``signing-keys.json``; ``verify-bundle --public-key`` reads it back."""
        return {"format": "casework-public-keys/1", "current_key_id": self.key_id,
                "keys": [k.to_json() for k in self.public_keys()]}


def verify_signature(public_key_pem: str, message: bytes, signature_b64: str) -> bool:
    try:
        public = serialization.load_pem_public_key(public_key_pem.encode())
        if not isinstance(public, Ed25519PublicKey):
            return False
        public.verify(base64.b64decode(signature_b64, validate=True), message)
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def _private_key(pem: str, path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise SigningKeyError(f"{path}: the current private key is not readable") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path}: the current key is not an Ed25519 key")
    return key


def _public_key(pem: str, path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError):
        raise SigningKeyError(f"{path}: a public key is not readable") from None
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"{path}: a public key is not an Ed25519 key")
    return key


def _new_entry(now: datetime) -> dict[str, Any]:
    private = Ed25519PrivateKey.generate()
    return {
        "key_id": key_id_of(private.public_key()),
        "algorithm": ALGORITHM,
        "created_at": iso(now),
        "retired_at": None,
        "public_key": public_pem(private.public_key()),
        "private_key": private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
    }


def _document(entries: list[dict[str, Any]]) -> str:
    return json.dumps({"format": FORMAT, "keys": entries}, indent=2) + "\n"


__all__ = [
    "PublicKey", "SigningKeyError", "SigningKeys", "key_id_of", "public_pem", "verify_signature",
]
