"""Issue 19, evidence bundle: a provider's history exported as one signed file that verifies
without Casework, and that names the first thing wrong when anything in it was changed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from casework.bootstrap import Casework
from casework.evidence.signing import SigningKeys
from casework.evidence.verifier import verify_bundle

from .conftest import WHISTLEBLOWER, History, bundle_of, invoke, members, rezip


def check(tmp_path: Path, bundle: bytes, public_key: Path | None = None) -> tuple[bool, str]:
    path = tmp_path / "bundle.zip"
    path.write_bytes(bundle)
    outcome = verify_bundle(str(path), None if public_key is None else public_key.read_text())
    return outcome.ok, outcome.problem or "\n".join(outcome.summary)


def events_of(bundle: bytes) -> list[dict]:
    return [json.loads(line) for line in members(bundle)["events.jsonl"].splitlines()]


def with_lines(bundle: bytes, lines: list[bytes]) -> bytes:
    return rezip({**members(bundle), "events.jsonl": b"".join(line + b"\n" for line in lines)})


def test_a_bundle_round_trips_and_verifies_with_the_councils_public_key(
    casework: Casework, history: History, bundle: bytes, signing_key_file: Path, tmp_path: Path
) -> None:
    ok, summary = check(tmp_path, bundle, signing_key_file)
    assert ok, summary
    events = events_of(bundle)
    # every stream whole, from version 1, in log order; the other provider's streams left out
    assert [e["position"] for e in events] == sorted(e["position"] for e in events)
    streams = {e["stream"] for e in events}
    for stream in streams:
        assert [e["version"] for e in events if e["stream"] == stream] == list(
            range(1, casework.store.stream_version(stream) + 1))
    assert f"provider-{history.provider_id}" in streams
    assert f"provider-{history.other_provider_id}" not in streams
    assert f"{len(events)} events in {len(streams)} streams" in summary
    assert "from the public key given" in summary
    manifest = json.loads(members(bundle)["manifest.json"])
    assert manifest["exported_by"]["name"] == "test" and manifest["casework_version"]
    assert manifest["key_id"] == SigningKeys.load(signing_key_file).key_id


def test_the_timeline_reads_as_sentences_in_the_order_things_happened(bundle: bytes) -> None:
    page = members(bundle)["timeline.html"].decode()
    assert "Elm Court" in page
    # the same sentences as the web timeline and `casework history` (projections/narrative.py)
    assert "Visit completed (responsive visit of 4 Mar 2026)" in page
    assert "allocated intelligence record &#x27;Rotas falsified at night&#x27;" in page
    assert "whistleblower: (name restricted)" in page  # a bundle never names them
    for raw in ("True", "False", "{}", '{"', "[]"):
        assert raw not in page.split("<tbody>")[1], raw
    assert "<script" not in page


@pytest.mark.parametrize("field", ["data", "metadata", "occurred_at", "hash", "previous_hash"])
def test_changing_one_byte_of_any_event_names_that_event(
    bundle: bytes, tmp_path: Path, field: str
) -> None:
    lines = members(bundle)["events.jsonl"].splitlines()
    for index, line in enumerate(lines):
        event = json.loads(line)
        if field == "previous_hash" and not event[field]:
            continue
        start = line.index(f'"{field}":"'.encode()) + len(field) + 4
        # the first letter or digit of the field's value, changed to another of its kind
        at = start + re.search(rb"[0-9a-f]", line[start:]).start()  # type: ignore[union-attr]
        changed = line[:at] + (b"1" if line[at:at + 1] != b"1" else b"2") + line[at + 1:]
        tampered = with_lines(bundle, [*lines[:index], changed, *lines[index + 1:]])
        ok, problem = check(tmp_path, tampered)
        assert not ok, f"{field} of event {index + 1} changed, yet it verified"
        assert problem.startswith(
            f"event {index + 1} (stream {event['stream']}, version {event['version']}"), problem


def test_dropping_an_event_is_found_whether_inside_a_stream_or_at_its_end(
    bundle: bytes, tmp_path: Path
) -> None:
    events = events_of(bundle)
    lines = members(bundle)["events.jsonl"].splitlines()
    inside = next(i for i, e in enumerate(events) if e["version"] == 1 and any(
        f["stream"] == e["stream"] and f["version"] == 2 for f in events))
    ok, problem = check(tmp_path, with_lines(bundle, lines[:inside] + lines[inside + 1:]))
    assert not ok and "version(s) 1 are missing" in problem, problem
    last = len(lines) - 1
    ok, problem = check(tmp_path, with_lines(bundle, lines[:last]))
    assert not ok and problem.startswith(f"heads.json: stream {events[last]['stream']} ends at "
                                         f"version {events[last]['version']}"), problem


def test_reordering_two_events_is_found(bundle: bytes, tmp_path: Path) -> None:
    lines = members(bundle)["events.jsonl"].splitlines()
    for i in range(len(lines) - 1):
        swapped = [*lines[:i], lines[i + 1], lines[i], *lines[i + 2:]]
        ok, problem = check(tmp_path, with_lines(bundle, swapped))
        assert not ok and "reordered" in problem, problem
        assert problem.startswith((f"event {i + 1} (", f"event {i + 2} (")), problem


def test_altering_the_manifest_or_any_file_it_lists_is_found(bundle: bytes, tmp_path: Path) -> None:
    files = members(bundle)
    manifest = json.loads(files["manifest.json"])
    manifest["exported_by"]["name"] = "someone else"
    ok, problem = check(tmp_path, rezip({**files, "manifest.json": json.dumps(manifest).encode()}))
    assert not ok and problem.startswith("manifest.sig: the signature does not verify"), problem

    ok, problem = check(tmp_path, rezip({**files, "timeline.html": files["timeline.html"] + b" "}))
    assert not ok and problem.startswith("timeline.html: its sha256"), problem

    manifest = json.loads(files["manifest.json"])
    manifest["digest"] = "0" * 64
    ok, problem = check(tmp_path, rezip({**files, "manifest.json": json.dumps(manifest).encode()}))
    assert not ok and problem.startswith("manifest.json: its digest"), problem

    ok, problem = check(tmp_path, rezip({**files, "extra.txt": b"planted"}))
    assert not ok and "extra.txt is in the bundle but not in manifest.json" in problem


def test_a_bundle_signed_with_another_key_fails_against_the_councils_key(
    casework: Casework, history: History, signing_key_file: Path, tmp_path: Path, clock
) -> None:
    forger = SigningKeys.create(tmp_path / "forger.json", clock.now())
    forged = bundle_of(casework, history.provider_id, forger.path)
    ok, summary = check(tmp_path, forged)  # the bundle's own (forged) keys: intact, not authentic
    assert ok and "not who signed it" in summary
    ok, problem = check(tmp_path, forged, signing_key_file)
    assert not ok and problem.startswith(f"manifest.sig: the manifest is signed with key "
                                         f"{forger.key_id}, which is not among"), problem


def test_a_rotated_key_still_verifies_bundles_signed_before_the_rotation(
    casework: Casework, history: History, signing_key_file: Path, tmp_path: Path, clock
) -> None:
    old = SigningKeys.load(signing_key_file)
    old_pem = tmp_path / "old.pem"
    old_pem.write_text(old.public_keys()[0].public_key)
    before = bundle_of(casework, history.provider_id, signing_key_file)
    rotated = old.rotate(clock.now())
    after = bundle_of(casework, history.provider_id, signing_key_file)
    published = tmp_path / "published.json"
    published.write_text(json.dumps(rotated.published()))
    assert check(tmp_path, before, old_pem)[0]
    assert check(tmp_path, before, published)[0]
    assert check(tmp_path, after, published)[0]
    ok, problem = check(tmp_path, after, old_pem)
    assert not ok and rotated.key_id in problem


def test_after_an_erasure_the_bundle_still_verifies_and_names_nobody(
    casework: Casework, history: History, signing_key_file: Path, tmp_path: Path
) -> None:
    from casework.erasure import erase_person

    from .conftest import CONTACT, MANNY

    erase_person(casework.store, casework.vault, history.person_id, "data_subject_request", MANNY)
    bundle = bundle_of(casework, history.provider_id, signing_key_file)
    ok, summary = check(tmp_path, bundle, signing_key_file)
    assert ok, summary
    for name, body in members(bundle).items():
        for piece in (WHISTLEBLOWER, "Smith-Jones", CONTACT):
            assert piece.encode() not in body, f"{piece} in {name}"
    events = events_of(bundle)
    assert any("ciphertext" in e["data"] for e in events)  # the sealed data, as stored and hashed
    assert any(e["type"] == "PersonErased" for e in events)


def test_verify_bundle_command_prints_a_summary_or_the_first_failure(
    bundle: bytes, signing_key_file: Path, tmp_path: Path, settings
) -> None:
    path = tmp_path / "b.zip"
    path.write_bytes(bundle)
    good = invoke(["verify-bundle", str(path), "--public-key", str(signing_key_file)], settings)
    assert good.exit_code == 0, good.output
    assert "verified:" in good.output and "signature: valid" in good.output
    files = members(bundle)
    path.write_bytes(rezip({**files, "heads.json": b"{}"}))
    bad = invoke(["verify-bundle", str(path)], settings)
    assert bad.exit_code == 1 and "FAILED: heads.json has no streams" in bad.output
    path.write_bytes(b"not a zip")
    assert invoke(["verify-bundle", str(path)], settings).exit_code == 2


def test_export_provider_writes_a_bundle_that_verifies(
    casework: Casework, history: History, tmp_path: Path, settings, signing_key_file: Path
) -> None:
    out = tmp_path / "out.zip"
    done = invoke(["export", "provider", history.provider_id, "--out", str(out)], settings)
    assert done.exit_code == 0, done.output
    assert check(tmp_path, out.read_bytes(), signing_key_file)[0]
    again = invoke(["export", "provider", history.provider_id, "--out", str(out)], settings)
    assert again.exit_code == 2 and "exists" in again.output
    unknown = invoke(["export", "provider", "nobody", "--out", str(tmp_path / "x.zip")], settings)
    assert unknown.exit_code == 1 and "unknown provider" in unknown.output
