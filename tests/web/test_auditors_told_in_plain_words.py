"""Issue 20: an auditor's web post to a write form is refused with a page in plain words (403,
"Auditors cannot ..."), before the form's fields are looked at, and appends nothing; auditors
still sign out."""

from __future__ import annotations

import pytest

from .conftest import Web
from .test_roles import _provider_and_record


@pytest.mark.parametrize("form", [
    "/intelligence", "/intelligence/{record}/allocate", "/providers/{provider}/visits",
    "/providers/{provider}/escalation", "/providers/{provider}/notices",
    "/providers/{provider}/visits/v1/record",
])
def test_an_auditors_post_to_a_write_form_is_a_403_page_saying_auditors_cannot(web: Web, form: str) -> None:
    provider, record = _provider_and_record(web)
    csrf = web.sign_in("audrey")
    head = web.cw.store.head_position()
    answer = web.client.post(form.format(provider=provider, record=record), data={"csrf_token": csrf})
    assert answer.status_code == 403
    assert answer.headers["content-type"].startswith("text/html")
    assert "Auditors cannot record or change anything" in answer.text
    assert "Nothing was saved" in answer.text
    assert web.cw.store.head_position() == head


def test_an_auditor_still_signs_out(web: Web) -> None:
    csrf = web.sign_in("audrey")
    answer = web.client.post("/signout", data={"csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/signin"
