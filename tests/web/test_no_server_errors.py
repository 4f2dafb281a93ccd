"""The 500s of issue 17 (finding 6), each now a refusal the page or the API explains; both backends.
The wider searches (every route with an id in its path, every form's fields) are in
``tests/fuzz/test_ids_in_paths.py`` and ``tests/fuzz/test_web_form_fuzzing.py``."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from .conftest import Web

FAR_DATES = ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"]


def _provider(web: Web) -> str:
    answer = web.client.post("/api/v1/providers", json={"name": "Elm Court", "service_type": "home_care"},
                             headers={"Authorization": f"Bearer {web.users.token('manny')}"})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


ASSESS = {"risk": "low", "action_required": "false", "rationale": "isolated"}


@pytest.mark.parametrize("fetch", [False, True], ids=["page", "script"])
def test_acting_on_a_record_whose_id_is_not_ascii_is_a_404_page(web_on_both: Web, fetch: bool) -> None:
    web = web_on_both
    csrf = web.sign_in("manny")
    head = web.cw.store.head_position()
    headers = {"X-Requested-With": "fetch"} if fetch else {}
    for view in ("page", "row"):
        answer = web.client.post("/intelligence/名前/assess", headers=headers, follow_redirects=False,
                                 data={**ASSESS, "view": view, "csrf_token": csrf})
        assert answer.status_code == 404, answer.text[-500:]
        assert "名前" in answer.text  # the page says which record it could not find
        if fetch:  # the script announces the message: percent-encoded, as a header must be ASCII
            assert unquote(answer.headers["x-casework-message"]) == (
                "Not saved: no intelligence record with id '名前'")
    assert web.cw.store.head_position() == head


def test_a_refusal_message_with_any_text_reaches_the_script_intact(web_on_both: Web) -> None:
    """An officer's name in a 409 (a record allocated to 'Zoë Ó Briain') is not Latin-1 safe either."""
    web = web_on_both
    csrf = web.sign_in("manny")
    pid = _provider(web)
    auth = {"Authorization": f"Bearer {web.users.token('manny')}"}
    rid = web.client.post("/api/v1/intelligence", headers=auth, json={
        "provider_id": pid, "source": "complaint", "summary": "Missed calls",
        "received_at": "2026-03-01T10:00:00Z"}).json()["id"]
    answer = web.client.post(f"/intelligence/{rid}/allocate", headers={"X-Requested-With": "fetch"},
                             data={"officer": "Zoë Ó Briain — 名前", "view": "page", "csrf_token": csrf})
    assert answer.status_code == 200, answer.text[-500:]
    assert unquote(answer.headers["x-casework-message"]) == "Saved: Allocate."
    answer = web.client.post(f"/intelligence/{rid}/reopen", headers={"X-Requested-With": "fetch"},
                             data={"reason": "Zoë says", "view": "page", "csrf_token": csrf})
    assert answer.status_code == 409
    assert unquote(answer.headers["x-casework-message"]).startswith("Not saved: ")


def test_a_provider_page_as_of_a_date_outside_the_years_casework_keeps_says_so(web_on_both: Web) -> None:
    web = web_on_both
    web.sign_in("manny")
    pid = _provider(web)
    for day in FAR_DATES:
        answer = web.client.get(f"/providers/{pid}", params={"as_of": day})
        assert answer.status_code == 200, (day, answer.status_code)
        assert "between 1900 and 2199" in answer.text, day
        assert "Elm Court" in answer.text  # shown as it is now


@pytest.mark.parametrize("route", ["", "/history"])
def test_the_api_refuses_an_as_of_outside_the_years_naming_as_of_and_the_range(
    web_on_both: Web, route: str
) -> None:
    web = web_on_both
    pid = _provider(web)
    auth = {"Authorization": f"Bearer {web.users.token('manny')}"}
    for as_of in [*FAR_DATES, "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"]:
        answer = web.client.get(f"/api/v1/providers/{pid}{route}", params={"as_of": as_of}, headers=auth)
        assert answer.status_code == 422, (as_of, answer.status_code, answer.text)
        (error,) = answer.json()["errors"]
        assert error["field"] == "query.as_of" and "1900" in error["reason"] and "2199" in error["reason"]


def test_the_dashboard_for_a_period_outside_the_years_casework_keeps_says_so(web_on_both: Web) -> None:
    web = web_on_both
    web.sign_in("manny")
    for start, end in [("0001-01-01", "9999-12-31"), ("9999-12-31", ""), ("", "0001-01-01")]:
        answer = web.client.get("/dashboard", params={"start": start, "end": end})
        assert answer.status_code == 200, (start, end, answer.status_code)
        assert "between 1900 and 2199" in answer.text, (start, end)


def test_a_field_sent_twice_is_read_once_not_a_500(web_on_both: Web) -> None:
    """Found by tests/fuzz/test_web_form_fuzzing.py: a repeated ``received_at`` or
    ``expected_version`` reached code that expected one text (AttributeError on a list)."""
    web = web_on_both
    csrf = web.sign_in("manny")
    pid = _provider(web)
    logged = web.client.post("/intelligence", data={
        "provider_id": pid, "source": "complaint", "summary": "Missed calls", "csrf_token": csrf,
        "received_at": ["2026-03-01T10:00", "2026-03-01T11:00"]}, follow_redirects=False)
    assert logged.status_code == 303, logged.text[-500:]
    escalated = web.client.post(f"/providers/{pid}/escalation", data={
        "action": "escalate", "reason": "QAF non-compliance", "expected_version": ["", "0"],
        "csrf_token": csrf}, follow_redirects=False)
    assert escalated.status_code == 303, escalated.text[-500:]


def test_a_form_under_a_provider_that_does_not_exist_is_a_404_and_stores_nothing(web_on_both: Web) -> None:
    """Found by tests/fuzz/test_ids_in_paths.py: the visit, item and concern forms acted on the
    record their own id named whatever provider the path gave (the API answers 404 there)."""
    web = web_on_both
    csrf = web.sign_in("manny")
    pid = _provider(web)
    auth = {"Authorization": f"Bearer {web.users.token('manny')}"}
    vid = web.client.post("/api/v1/visits", headers=auth, json={
        "provider_id": pid, "reason": "responsive", "planned_for": "2026-03-05T10:00:00Z"}).json()["id"]
    head = web.cw.store.head_position()
    answer = web.client.post(f"/providers/名前/visits/{vid}/cancel",
                             data={"reason": "Outbreak", "csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 404 and "名前" in answer.text
    assert web.cw.store.head_position() == head
