"""Issue 19 over HTTP: a provider's evidence bundle for auditors and managers only, and the
council's public signing keys for anyone."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from casework.evidence.signing import SigningKeys
from casework.evidence.verifier import verify_bundle


def provider(client, headers) -> str:
    answer = client.post("/api/v1/providers", json={"name": "Elm Court", "service_type": "home_care"},
                         headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_the_evidence_route_is_refused_to_officers_and_admins(client, as_role, casework) -> None:
    pid = provider(client, as_role("manager"))
    for role in ("officer", "admin"):
        answer = client.get(f"/api/v1/providers/{pid}/evidence", headers=as_role(role))
        assert answer.status_code == 403, (role, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert role in answer.json()["detail"]
    assert client.get(f"/api/v1/providers/{pid}/evidence").status_code == 401


def test_auditors_and_managers_get_a_bundle_that_verifies(
    client, as_role, signing_key_file: Path, tmp_path: Path
) -> None:
    pid = provider(client, as_role("manager"))
    for role in ("auditor", "manager"):
        answer = client.get(f"/api/v1/providers/{pid}/evidence", headers=as_role(role))
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/zip"
        path = tmp_path / f"{role}.zip"
        path.write_bytes(answer.content)
        outcome = verify_bundle(str(path), signing_key_file.read_text())
        assert outcome.ok, outcome.problem
        with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
            assert f'"name": "{role}"' in archive.read("manifest.json").decode()
    missing = client.get("/api/v1/providers/nobody/evidence", headers=as_role("auditor"))
    assert missing.status_code == 404


def test_the_public_signing_keys_are_published_without_a_token(client, signing_key_file: Path, clock) -> None:
    first = SigningKeys.load(signing_key_file)
    answer = client.get("/api/v1/signing-key")
    assert answer.status_code == 200
    assert answer.json()["current_key_id"] == first.key_id
    rotated = first.rotate(clock.now())
    keys = client.get("/api/v1/signing-key").json()
    assert keys["current_key_id"] == rotated.key_id
    assert [k["key_id"] for k in keys["keys"]] == [first.key_id, rotated.key_id]
    assert keys["keys"][0]["retired_at"] is not None
    assert "PRIVATE" not in str(keys)


def test_without_a_signing_key_the_server_says_what_to_set(client, as_role, settings) -> None:
    pid = provider(client, as_role("manager"))
    Path(settings.signing_key_file).unlink()
    answer = client.get(f"/api/v1/providers/{pid}/evidence", headers=as_role("auditor"))
    assert answer.status_code == 503 and "CASEWORK_SIGNING_KEY_FILE" in answer.json()["detail"]
    assert client.get("/api/v1/providers/nobody/evidence", headers=as_role("auditor")).status_code == 404
