"""The council's signing key: made and rotated by `casework keys signing`, kept readable by its
owner only, every old public key kept so that what it signed still verifies."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from casework.evidence.signing import SigningKeyError, SigningKeys, key_id_of
from casework.evidence.verifier import read_public_keys

from .conftest import invoke


def test_create_writes_an_owner_only_file_and_never_overwrites(tmp_path: Path, settings) -> None:
    path = tmp_path / "council.json"
    made = invoke(["keys", "signing", "create", str(path)], settings)
    assert made.exit_code == 0, made.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    keys = SigningKeys.load(path)
    assert keys.key_id in made.output
    again = invoke(["keys", "signing", "create", str(path)], settings)
    assert again.exit_code == 2 and "never overwritten" in again.output
    assert SigningKeys.load(path).key_id == keys.key_id


def test_rotate_retires_the_old_key_keeping_only_its_public_half(tmp_path: Path, settings) -> None:
    path = Path(settings.signing_key_file)
    old = SigningKeys.load(path)
    rotated = invoke(["keys", "signing", "rotate"], settings)
    assert rotated.exit_code == 0, rotated.output
    new = SigningKeys.load(path)
    assert new.key_id != old.key_id and f"{old.key_id} retired" in rotated.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = json.loads(path.read_text())["keys"]
    assert [k["key_id"] for k in stored] == [old.key_id, new.key_id]
    assert stored[0]["private_key"] is None and stored[0]["retired_at"]
    assert stored[1]["private_key"] and stored[1]["retired_at"] is None
    # the key id is the public key's fingerprint, recomputable by anyone
    assert set(read_public_keys(json.dumps(new.published()))) == {old.key_id, new.key_id}
    assert {key_id_of(k) for k in read_public_keys(json.dumps(new.published())).values()} == {
        old.key_id, new.key_id}


def test_show_prints_every_public_key_and_never_the_private_one(settings, clock) -> None:
    keys = SigningKeys.load(settings.signing_key_file).rotate(clock.now())
    shown = invoke(["keys", "signing", "show"], settings)
    assert shown.exit_code == 0, shown.output
    assert shown.output.count("BEGIN PUBLIC KEY") == 2 and "PRIVATE" not in shown.output
    assert f"key {keys.key_id} (Ed25519" in shown.output and "current" in shown.output
    as_json = json.loads(invoke(["keys", "signing", "show", "--json"], settings).output)
    assert as_json == keys.published()
    assert invoke(["keys", "show"], settings).output == shown.output


def test_a_key_file_whose_key_id_was_edited_is_refused(tmp_path: Path, settings) -> None:
    path = Path(settings.signing_key_file)
    document = json.loads(path.read_text())
    document["keys"][0]["key_id"] = "0" * 32
    path.write_text(json.dumps(document))
    with pytest.raises(SigningKeyError, match="not the fingerprint"):
        SigningKeys.load(path)
    assert invoke(["checkpoint"], settings).exit_code == 2


def test_without_a_signing_key_the_commands_say_how_to_make_one(tmp_path: Path, settings) -> None:
    unset = settings.model_copy(update={"signing_key_file": None})
    answer = invoke(["export", "provider", "x", "--out", str(tmp_path / "b.zip")], unset)
    assert answer.exit_code == 2 and "keys signing create" in answer.output
    with pytest.raises(SigningKeyError, match="does not exist"):
        SigningKeys.load(tmp_path / "missing.json")
