"""On a server that folds its read models after answering (CASEWORK_READ_MODELS_DEFERRED), a
browser's next page shows what it just wrote, whichever server process answers it: the
write sets the ``casework_position`` cookie, and every process waits for its read models to reach
that position before answering (projections/consistency.py)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from casework.api.app import create_app
from casework.bootstrap import bootstrap
from casework.projections.consistency import POSITION_COOKIE

from .conftest import Web
from .test_form_fields import _provider


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_form_sets_the_position_cookie_and_another_process_honours_it(
    web_on_both: Web, settings, clock,
) -> None:
    web = web_on_both
    web.cw.projections.deferred = True  # as a server with CASEWORK_READ_MODELS_DEFERRED=true
    csrf = web.sign_in("manny")
    pid = _provider(web)
    logged = web.client.post("/intelligence", data={
        "provider_id": pid, "source": "complaint", "received_at": "2026-03-01T10:00",
        "summary": "Missed calls", "csrf_token": csrf}, follow_redirects=False)
    assert logged.status_code == 303, logged.text[-500:]
    cookie = logged.cookies.get(POSITION_COOKIE)
    assert cookie == str(web.cw.store.head_position())
    assert "httponly" in logged.headers["set-cookie"].lower()
    rid = re.search(r"logged=([^#&]+)", logged.headers["location"]).group(1)

    second = bootstrap(settings.model_copy(update={"read_models_deferred": True}), clock=clock,
                       catch_up=False)
    try:
        with TestClient(create_app(second)) as other:
            auth = {"Authorization": f"Bearer {web.users.token('manny')}"}
            url = f"/api/v1/intelligence/{rid}"
            assert other.get(f"/api/v1/intelligence?provider_id={pid}", headers=auth).json() == []
            other.cookies.set(POSITION_COOKIE, cookie)
            listed = other.get(f"/api/v1/intelligence?provider_id={pid}", headers=auth).json()
            assert [r["id"] for r in listed] == [rid]
            assert other.get(url, headers=auth).status_code == 200
    finally:
        second.close()
    # The page the form sends the browser to, on the first process, lists the record.
    assert rid in web.client.get(logged.headers["location"]).text


def test_a_spoilt_position_cookie_is_ignored(web_on_both: Web) -> None:
    web = web_on_both
    web.sign_in("manny")
    web.client.cookies.set(POSITION_COOKIE, "not-a-number")
    assert web.client.get("/inbox").status_code == 200
