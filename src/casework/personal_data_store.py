"""The ``person_keys`` table behind ``casework.domain.personal_data.PersonVault`` (persistence
side, so the domain stays free of SQLAlchemy). Keys live apart from the events: erasing a person
deletes their row and touches no event.

With a key file (``settings.key_file``, CASEWORK_KEY_FILE: 32 random bytes, base64, made by
``casework keys generate``) each person key is itself sealed (AES-256-GCM, the person id as
associated data) under that file's master key before it is stored, so a copy of the database
alone opens nobody's data. Keys stored before a key file was configured stay readable and are
sealed by ``casework keys rotate``, which also moves every key to a new key file.

Deleting a row does not remove its bytes from the database's files: SQLite keeps the old page in
the WAL and, until a checkpoint, in the main file; PostgreSQL keeps a dead tuple until VACUUM
and leaves its bytes in the page's free space after a plain VACUUM. ``scrub`` (run by every
erasure) removes them: on SQLite ``secure_delete`` (set on every connection) has zeroed the
deleted row, and a TRUNCATE checkpoint copies the zeroed page into the main file and empties the
WAL; on PostgreSQL ``VACUUM FULL person_keys`` rewrites the table into a new file without the dead
tuple. See docs/security.md ("What erasure leaves, and where") for what stays out of reach."""

from __future__ import annotations

import base64
import os
import time
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
    text,
    update,
)
from sqlalchemy.exc import DBAPIError

from casework.events.errors import StoreUnavailable
from casework.events.store.database import is_postgres
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


# VACUUM FULL takes an ACCESS EXCLUSIVE lock on person_keys; while it waits, every key read
# queues behind it, so it waits this long at most and the erasure asks to be run again.
_SCRUB_LOCK_TIMEOUT = "3s"
# VACUUM FULL copies a deleted row that some snapshot may still see: one taken before the delete
# committed, in this database, or the VACUUM's own, whose horizon is the oldest transaction still
# running anywhere on the server. So the scrub first takes a transaction id (after the delete) and
# waits until no transaction on the server, and no snapshot in this database, is older; normally
# milliseconds, at most this long (then it says so, and the erasure asks to be run again).
_SCRUB_WAIT_SECONDS = 10.0
_OLDER_SNAPSHOTS = text(
    "SELECT pg_snapshot_xmin(pg_current_snapshot()) <= CAST(:mark AS xid8) OR EXISTS ("
    " SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
    " AND pid <> pg_backend_pid() AND backend_xmin IS NOT NULL"
    " AND age(backend_xmin) >= age(CAST(CAST(CAST(:mark AS xid8) AS text)::bigint % 4294967296"
    " AS text)::xid))"
)
_LOCK_NOT_AVAILABLE = "55P03"


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

    def scrub(self) -> bool:
        """Remove what deleted key rows left in the database's files (see the module's docstring);
        False when it could not yet: a long transaction held the table or could still see a
        deleted row. Costs a checkpoint on SQLite, a rewrite of person_keys on PostgreSQL."""
        try:
            return self._vacuum_full() if is_postgres(self.engine) else self._checkpoint()
        except DBAPIError as exc:
            raise StoreUnavailable("could not scrub the erased person keys") from exc

    def _checkpoint(self) -> bool:
        raw = self.engine.raw_connection()  # outside a transaction: a checkpoint cannot run in one
        try:
            cursor = raw.cursor()
            busy, _, _ = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            cursor.close()
        finally:
            raw.close()
        return busy == 0  # 1: a reader kept the WAL beyond the busy timeout

    def _vacuum_full(self) -> bool:
        with self.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")  # VACUUM refuses a transaction
            mark = conn.execute(text("SELECT CAST(pg_current_xact_id() AS text)")).scalar_one()
            deadline = time.monotonic() + _SCRUB_WAIT_SECONDS
            while conn.execute(_OLDER_SNAPSHOTS, {"mark": mark}).scalar_one():
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.05)
            conn.execute(text(f"SET lock_timeout = '{_SCRUB_LOCK_TIMEOUT}'"))
            try:
                conn.execute(text("VACUUM (FULL) person_keys"))
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlstate", None) == _LOCK_NOT_AVAILABLE:
                    return False
                raise
            finally:
                conn.execute(text("RESET lock_timeout"))
        return True

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
