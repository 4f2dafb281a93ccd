"""The ``person_keys`` table behind ``casework.domain.personal_data.PersonVault`` (persistence
side, so the domain stays free of SQLAlchemy). Keys live apart from the events: erasing a person
deletes their row and touches no event.

With a key file (``settings.key_file``, CASEWORK_KEY_FILE: 32 random bytes, base64, made by
``casework keys generate``) each person key is itself sealed (AES-256-GCM, the person id as
associated data) under that file's master key before it is stored, so a copy of the database
alone opens nobody's data. Keys stored before a key file was configured stay readable and are
sealed by ``casework keys rotate``, which also moves every key to a new key file. See
docs/security.md."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError

from casework.events.errors import StoreUnavailable
from casework.files import KIB, FileTooLarge, read_text_within

metadata = MetaData()

person_keys = Table(
    "person_keys",
    metadata,
    Column("person_id", String(36), primary_key=True),
    Column("key", LargeBinary, nullable=False),
    Column("ciphertext", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


_SEALED = b"cwk1"  # marks a person key sealed under a key file's master key
_SEALED_LENGTH = len(_SEALED) + 12 + 32 + 16  # marker, nonce, key, tag


class KeyFileError(RuntimeError):
    """The key file is missing, malformed, or not the one the person keys were sealed with."""


KEY_FILE_LIMIT = 4 * KIB  # the key is 44 characters of base64


def read_key_file(path: str | Path) -> bytes:
    """The 32-byte master key in ``path`` (base64 text, as ``casework keys generate`` writes)."""
    try:
        text = read_text_within(path, limit=KEY_FILE_LIMIT, what="the key file").strip()
    except OSError as exc:
        raise KeyFileError(f"cannot read the key file {path}: {exc.strerror}") from None
    except FileTooLarge as exc:
        raise KeyFileError(str(exc)) from None
    except UnicodeDecodeError:
        text = ""  # not base64: refused below
    try:
        master = base64.b64decode(text, validate=True)
    except ValueError:
        master = b""
    if len(master) != 32:
        raise KeyFileError(f"the key file {path} must hold 32 random bytes in base64 "
                           "(make one with `casework keys generate PATH`)")
    return master


def new_key_file(path: str | Path) -> None:
    """Write a new master key to ``path`` (readable by its owner only); never overwrites."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    fd = os.open(path, flags, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(base64.b64encode(AESGCM.generate_key(bit_length=256)).decode() + "\n")


def _seal_key(master: bytes, person_id: str, key: bytes) -> bytes:
    nonce = os.urandom(12)
    return _SEALED + nonce + AESGCM(master).encrypt(nonce, key, person_id.encode())


def _open_key(master: bytes | None, person_id: str, stored: bytes) -> bytes:
    if len(stored) != _SEALED_LENGTH or not stored.startswith(_SEALED):
        return stored  # stored before a key file was configured
    if master is None:
        raise KeyFileError("the person keys are sealed with a key file: set CASEWORK_KEY_FILE to it")
    nonce, sealed = stored[len(_SEALED): len(_SEALED) + 12], stored[len(_SEALED) + 12:]
    try:
        return AESGCM(master).decrypt(nonce, sealed, person_id.encode())
    except InvalidTag:
        raise KeyFileError("CASEWORK_KEY_FILE is not the key file the person keys were sealed "
                           "with") from None


class SqlKeyStore:
    """Person keys in ``person_keys``; sealed under ``master`` (the key file's key) when given."""

    def __init__(self, engine: Engine, master: bytes | None = None) -> None:
        self.engine = engine
        self.master = master

    def put(self, person_id: str, key: bytes, ciphertext: str) -> None:
        row = {
            "person_id": person_id,
            "key": _seal_key(self.master, person_id, key) if self.master else key,
            "ciphertext": ciphertext,
            "created_at": datetime.now(UTC),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(person_keys).values(**row))
        except DBAPIError as exc:
            raise StoreUnavailable("could not store a person key") from exc

    def get(self, person_id: str) -> tuple[bytes, str] | None:
        query = select(person_keys.c.key, person_keys.c.ciphertext).where(
            person_keys.c.person_id == person_id
        )
        try:
            with self.engine.connect() as conn:
                row = conn.execute(query).first()
        except DBAPIError as exc:
            raise StoreUnavailable("could not read a person key") from exc
        return None if row is None else (_open_key(self.master, person_id, bytes(row[0])), row[1])

    def delete(self, person_id: str) -> bool:
        try:
            with self.engine.begin() as conn:
                result = conn.execute(delete(person_keys).where(person_keys.c.person_id == person_id))
        except DBAPIError as exc:
            raise StoreUnavailable("could not erase a person key") from exc
        return result.rowcount > 0

    def rotate(self, new_master: bytes) -> int:
        """Seal every person key under ``new_master`` instead (opening each with the current key
        file, or as stored in clear before there was one), in one transaction; how many."""
        try:
            with self.engine.begin() as conn:
                rows = conn.execute(select(person_keys.c.person_id, person_keys.c.key)).all()
                for person_id, stored in rows:
                    key = _open_key(self.master, person_id, bytes(stored))
                    conn.execute(
                        update(person_keys).where(person_keys.c.person_id == person_id)
                        .values(key=_seal_key(new_master, person_id, key))
                    )
        except DBAPIError as exc:
            raise StoreUnavailable("could not re-seal the person keys") from exc
        self.master = new_master
        return len(rows)
