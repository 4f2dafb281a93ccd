"""The key file (CASEWORK_KEY_FILE): person keys are sealed under its master key, so the
database alone opens nobody's data; without the right file Casework says so instead of showing
people as erased; `casework keys rotate` moves every key to a new file (and seals keys stored
before there was one); erasure works the same. On SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import text

from casework.bootstrap import Casework, bootstrap
from casework.clock import FixedClock
from casework.domain.actors import Actor, Role
from casework.domain.intelligence import LogIntelligence
from casework.domain.personal_data import PersonDetails
from casework.domain.providers import RegisterProvider
from casework.erasure import erase_person
from casework.personal_data_store import KeyFileError, new_key_file
from casework.settings import Settings

from .conftest import Cli

MANNY = Actor("manny", Role.manager)
CLOCK = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


def open_casework(database_url: str, key_file: Path | None) -> Casework:
    settings = Settings(database_url=database_url, scheduler_enabled=False,
                        key_file=str(key_file) if key_file else None)
    return bootstrap(settings, clock=CLOCK)


def log_whistleblowing(cw: Casework, name: str) -> str:
    """Logs a record with a whistleblower; returns their person id."""
    provider = cw.application.execute(RegisterProvider(name="Elm Court", service_type="home_care"), MANNY)
    record = cw.application.execute(LogIntelligence(
        provider_id=provider.aggregate_id, source="whistleblowing", summary="Rotas falsified",
        received_at=datetime(2026, 3, 1, tzinfo=UTC), whistleblower=PersonDetails(name=name)), MANNY)
    return record.events[0].data["whistleblower"]["person_id"]


def stored_key(cw: Casework, person_id: str) -> tuple[bytes, str]:
    with cw.engine.connect() as conn:
        row = conn.execute(text("SELECT key, ciphertext FROM person_keys WHERE person_id = :p"),
                           {"p": person_id}).one()
    return bytes(row[0]), row[1]


def opens(key: bytes, person_id: str, ciphertext: str) -> bool:
    raw = base64.b64decode(ciphertext)
    try:
        AESGCM(key[:32]).decrypt(raw[:12], raw[12:], person_id.encode())
    except (InvalidTag, ValueError):
        return False
    return True


def test_with_a_key_file_the_database_alone_opens_nobody(database_url: str, tmp_path: Path) -> None:
    key_file = tmp_path / "casework.key"
    new_key_file(key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        new_key_file(key_file)
    cw = open_casework(database_url, key_file)
    try:
        person_id = log_whistleblowing(cw, "Jo Whistle")
        assert cw.vault.reveal_for(MANNY, person_id).name == "Jo Whistle"
        key, ciphertext = stored_key(cw, person_id)
        assert len(key) != 32 and not opens(key, person_id, ciphertext)
    finally:
        cw.close()
    without = open_casework(database_url, None)
    try:
        with pytest.raises(KeyFileError, match="CASEWORK_KEY_FILE"):
            without.vault.reveal(person_id)  # never mistaken for an erased person
    finally:
        without.close()
    wrong = tmp_path / "wrong.key"
    new_key_file(wrong)
    other = open_casework(database_url, wrong)
    try:
        with pytest.raises(KeyFileError, match="not the key file"):
            other.vault.reveal(person_id)
    finally:
        other.close()


def test_rotate_seals_old_keys_and_moves_them_to_a_new_file(
    database_url: str, tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    cw = open_casework(database_url, None)  # keys stored in clear in the table, as before
    try:
        person_id = log_whistleblowing(cw, "Jo Whistle")
        key, ciphertext = stored_key(cw, person_id)
        assert opens(key, person_id, ciphertext)  # the database alone would open it
    finally:
        cw.close()
    first, second = tmp_path / "first.key", tmp_path / "second.key"
    assert cli("keys", "generate", str(first)).exit_code == 0
    assert cli("keys", "generate", str(first)).exit_code == 2  # never overwritten
    rotated = cli("keys", "rotate", "--new-key-file", str(first))
    assert rotated.exit_code == 0 and "sealed 1 person key(s)" in rotated.stdout
    monkeypatch.setenv("CASEWORK_KEY_FILE", str(first))
    assert cli("keys", "generate", str(second)).exit_code == 0
    assert cli("keys", "rotate", "--new-key-file", str(second)).exit_code == 0
    assert cli("keys", "rotate", "--new-key-file", str(tmp_path / "missing.key")).exit_code == 2
    for key_file, readable in ((first, False), (second, True)):
        cw = open_casework(database_url, key_file)
        try:
            if readable:
                assert cw.vault.reveal_for(MANNY, person_id).name == "Jo Whistle"
                key, ciphertext = stored_key(cw, person_id)
                assert not opens(key, person_id, ciphertext)
                erase_person(cw.store, cw.vault, person_id, "data_subject_request", MANNY)
                assert cw.vault.reveal(person_id) is None and cw.store.verify().ok
            else:
                with pytest.raises(KeyFileError):
                    cw.vault.reveal(person_id)
        finally:
            cw.close()
