"""Erased is unrecoverable: after `casework erase`, carving the database's files finds no byte of
the person's key (as used, and as stored: raw, base64 or hex) nor their name or contact.

SQLite: the main file and its -wal and -shm, read as bytes. PostgreSQL: every file of the
test database's directory read from SQL (`pg_read_binary_file`, after a CHECKPOINT so that the
files hold what the buffers hold) and every page of every relation (`pageinspect`), which is
where a dead tuple would keep the deleted key row. Each backend with keys stored as they are
and with a key file (the stored key is then sealed, and the key file opens it)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from casework.bootstrap import Casework
from casework.domain.intelligence import LogIntelligence
from casework.domain.personal_data import PersonDetails
from casework.domain.providers import RegisterProvider
from casework.personal_data_store import new_key_file

from .conftest import Cli
from .test_key_file import MANNY, open_casework, stored_key

NAME, CONTACT = "Mary Ann Smith-Jones", "mary.sj@example.org 07700 900123"
PLAINTEXT = (NAME, "Smith-Jones", "mary.sj@example.org", "07700 900123")


def log_whistleblowing(cw: Casework, provider_id: str, name: str, contact: str | None = None) -> str:
    record = cw.application.execute(LogIntelligence(
        provider_id=provider_id, source="whistleblowing", summary="Rotas falsified",
        received_at=datetime(2026, 3, 1, tzinfo=UTC),
        whistleblower=PersonDetails(name=name, contact=contact)), MANNY)
    return record.events[0].data["whistleblower"]["person_id"]


def traces(cw: Casework, person_id: str) -> dict[str, bytes]:
    """Every form in which the person's key could be found: as used and as stored, each raw,
    base64 and hex."""
    stored, _ = stored_key(cw, person_id)
    key = cw.vault.keys.get(person_id)[0]
    out: dict[str, bytes] = {}
    for what, value in (("key", key), ("stored key", stored)):
        out[f"{what} (raw)"] = value
        out[f"{what} (base64)"] = base64.b64encode(value)
        out[f"{what} (hex)"] = value.hex().encode()
    for piece in PLAINTEXT:
        out[f"plaintext {piece!r}"] = piece.encode()
    return out


def sqlite_files(url: str) -> dict[str, bytes]:
    path = Path(make_url(url).database)
    return {f.name: f.read_bytes() for f in path.parent.glob(path.name + "*") if f.is_file()}


def postgres_files(engine: Engine) -> dict[str, bytes]:
    """The database directory's files, and every page of every relation, as PostgreSQL has them."""
    carved: dict[str, bytes] = {}
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        try:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        except DBAPIError as exc:
            pytest.skip(f"pageinspect is not available to this user: {exc.orig}")
        conn.execute(text("CHECKPOINT"))
        directory = conn.execute(text(
            "SELECT 'base/' || oid FROM pg_database WHERE datname = current_database()")).scalar_one()
        for name in conn.execute(text("SELECT pg_ls_dir(:d)"), {"d": directory}).scalars():
            try:
                carved[f"{directory}/{name}"] = bytes(conn.execute(
                    text("SELECT pg_read_binary_file(:f)"), {"f": f"{directory}/{name}"}).scalar_one())
            except DBAPIError:  # a file dropped while we listed (a relation rewritten meanwhile)
                continue
        relations = conn.execute(text(
            "SELECT c.oid::regclass::text, pg_relation_size(c.oid) / current_setting('block_size')::int "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 't', 'i', 'm') AND c.relpersistence <> 't' "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema')")).all()
        for relation, blocks in relations:
            for block in range(blocks):
                page = conn.execute(text("SELECT get_raw_page(:r, :b)"), {"r": relation, "b": block})
                carved[f"{relation} page {block}"] = bytes(page.scalar_one())
    return carved


def carve(cw: Casework, database_url: str, wanted: dict[str, bytes]) -> dict[str, list[str]]:
    """Where each of ``wanted`` is found in the database's files: {what: [file, ...]}."""
    files = sqlite_files(database_url) if database_url.startswith("sqlite") else postgres_files(cw.engine)
    found = {what: [name for name, content in files.items() if needle in content]
             for what, needle in wanted.items()}
    return {what: where for what, where in found.items() if where}


@pytest.mark.parametrize("with_key_file", [False, True], ids=["keys-in-table", "key-file"])
def test_after_erasure_no_byte_of_the_key_or_the_identity_is_left_in_the_database_files(
    database_url: str, tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, with_key_file: bool
) -> None:
    key_file = None
    if with_key_file:
        key_file = tmp_path / "casework.key"
        new_key_file(key_file)
        monkeypatch.setenv("CASEWORK_KEY_FILE", str(key_file))
    cw = open_casework(database_url, key_file)
    try:
        provider = cw.application.execute(RegisterProvider(name="Elm Court", service_type="home_care"), MANNY)
        pid = provider.aggregate_id
        before = [log_whistleblowing(cw, pid, f"Neighbour Number{i}") for i in range(3)]
        erased = log_whistleblowing(cw, pid, NAME, CONTACT)
        after = [log_whistleblowing(cw, pid, f"Neighbour Number{i}") for i in range(3, 6)]
        wanted, kept = traces(cw, erased), traces(cw, after[0])
        # The carving finds keys that are there (the person's, before; a neighbour's, after).
        assert "key (raw)" in carve(cw, database_url, wanted) or "stored key (raw)" in carve(
            cw, database_url, wanted)

        done = cli("erase", erased, "--grounds", "data_subject_request", "--note", "Request ER-2026-014")
        assert done.exit_code == 0, done.output

        left = carve(cw, database_url, wanted)
        assert not left, f"the erased person's key or identity can still be carved: {left}"
        assert "stored key (raw)" in carve(cw, database_url, kept)
        assert cw.vault.reveal(erased) is None
        assert all(cw.vault.reveal(p) for p in before + after)  # the others still open
        assert cw.store.verify().ok
    finally:
        cw.close()
