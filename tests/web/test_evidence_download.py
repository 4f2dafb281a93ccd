"""Issue 19: an auditor or a manager takes a provider's signed evidence bundle from its page;
it verifies offline; officers are offered no link and refused the download."""

from __future__ import annotations

from casework.domain.actors import Actor, Role
from casework.domain.providers import RegisterProvider
from casework.evidence.verifier import verify_bundle

from .conftest import Web

MANNY = Actor("manny", Role.manager)


def test_auditors_and_managers_download_a_bundle_that_verifies_and_officers_do_not(
    web_on_both: Web, tmp_path
) -> None:
    web = web_on_both
    pid = web.cw.application.execute(
        RegisterProvider(name="Elm Court", service_type="home_care"), MANNY).aggregate_id
    web.sign_in("olive")  # an officer
    assert "evidence-download" not in web.client.get(f"/providers/{pid}").text
    assert web.client.get(f"/providers/{pid}/evidence.zip").status_code == 403
    for name in ("audrey", "manny"):
        web.sign_in(name)
        page = web.client.get(f"/providers/{pid}").text
        assert f'href="/providers/{pid}/evidence.zip"' in page
        answer = web.client.get(f"/providers/{pid}/evidence.zip")
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/zip"
        assert f'filename="evidence-{pid}.zip"' in answer.headers["content-disposition"]
        path = tmp_path / f"{name}.zip"
        path.write_bytes(answer.content)
        outcome = verify_bundle(str(path), None)
        assert outcome.ok, outcome.problem
    assert web.client.get("/providers/no-such-provider/evidence.zip").status_code == 404
