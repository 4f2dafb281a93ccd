"""Bad input over HTTP, on both backends: oversized bodies, wrong content types, malformed JSON,
injection strings, unicode edge cases, timestamps and numbers out of range.

Each refusal is a 4xx problem (application/problem+json with status, title, detail and, for 422,
the field at fault), never a 500, and appends nothing (the store's head is unchanged). What is
accepted is stored verbatim and returned as sent, and the web page escapes it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from casework.api.app import create_app
from casework.bootstrap import Casework

from .records import make_records

PROBLEM = "application/problem+json"
API = "/api/v1"

INJECTIONS = [
    "'; DROP TABLE events;--",
    "Robert'); DELETE FROM users WHERE ('1'='1",
    '<script>alert("x")</script><img src=x onerror=alert(1)>',
    "../../../../etc/passwd",
    "%s%s%n {0} {__class__} ${jndi:ldap://x} {{7*7}}",
]
UNICODE_KEPT = [
    "Ann\u202eeoJ",  # right-to-left override
    "Café Ŝtaff 👩🏽‍⚕️ 🏥",  # accents, emoji with skin tone and zero-width joiner
    "e\u0301\u0301\u0301 \u200b\ufeff",  # combining marks, zero-width space, BOM
    "中文 العربية עברית",
]


@pytest.fixture
def api(casework: Casework, as_role: Callable[[str], dict[str, str]]) -> Iterator[Api]:
    with TestClient(create_app(casework), raise_server_exceptions=False) as client:
        yield Api(casework, client, as_role("manager"), make_records(casework))


class Api:
    """A manager's client that checks every refusal: a 4xx problem, nothing appended."""

    def __init__(self, cw: Casework, client: TestClient, auth: dict[str, str], ids: dict[str, str]) -> None:
        self.cw, self.client, self.auth, self.ids = cw, client, auth, ids

    def post(self, path: str, body: Any = None, *, raw: bytes | None = None,
             content_type: str = "application/json", **headers: str) -> Any:
        content = raw if raw is not None else json.dumps(body).encode()
        return self.client.post(f"{API}{path}", content=content,
                                headers={**self.auth, "Content-Type": content_type, **headers})

    def refused(self, status: int, path: str, body: Any = None, *, field: str | None = None,
                **kw: Any) -> dict:
        head = self.cw.store.head_position()
        answer = self.post(path, body, **kw)
        return self.check_refusal(answer, status, field, head)

    def check_refusal(self, answer: Any, status: int, field: str | None, head: int) -> dict:
        assert answer.status_code == status, answer.text[:500]
        assert answer.headers["content-type"] == PROBLEM
        problem = answer.json()
        assert problem["status"] == status and problem["title"] and problem["detail"]
        if field is not None:
            fields = [e["field"] for e in problem["errors"]]
            assert any(f == field or f.startswith(f"{field}.") for f in fields), (field, problem["errors"])
            assert all(e["reason"] for e in problem["errors"])
        assert self.cw.store.head_position() == head, "a refused request stored something"
        return problem

    def accepted(self, path: str, body: Any) -> dict:
        answer = self.post(path, body)
        assert answer.status_code in (200, 201), answer.text[:500]
        return answer.json()

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"{API}{path}", params=params, headers=self.auth)

    def last_event_data(self, stream_prefix: str, ident: str) -> dict:
        return self.cw.store.read_stream(f"{stream_prefix}-{ident}")[-1].data


def provider(name: str = "Oak Lodge", **more: Any) -> dict:
    return {"name": name, "service_type": "care_home_residential", **more}


def intelligence(api: Api, **more: Any) -> dict:
    received = api.cw.clock.now() - timedelta(hours=1)
    return {"provider_id": api.ids["provider_id"], "source": "complaint",
            "received_at": received.isoformat(), "summary": "Call bells unanswered", **more}


# ----------------------------------------------------------------------------- size and format
def test_a_body_over_the_limit_is_413_whether_announced_or_streamed(api: Api) -> None:
    limit = api.cw.settings.max_body_bytes
    big = json.dumps(provider("x" * (limit + 10))).encode()
    api.refused(413, "/providers", raw=big)
    head = api.cw.store.head_position()
    streamed = api.client.post(f"{API}/providers", content=iter([big[: limit // 2], big[limit // 2:]]),
                               headers={**api.auth, "Content-Type": "application/json"})
    assert "content-length" not in streamed.request.headers  # sent chunked: counted as it arrives
    problem = api.check_refusal(streamed, 413, None, head)
    assert str(limit) in problem["detail"]


NOT_JSON = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
            "application/xml"]


def test_a_write_whose_body_is_not_json_is_415(api: Api) -> None:
    for content_type in NOT_JSON:
        problem = api.refused(415, "/providers", raw=b"name=Oak+Lodge&service_type=care_home_residential",
                              content_type=content_type)
        assert "application/json" in problem["detail"]


MALFORMED = [
    (b'{"name": "Oak Lodge", ', "not valid JSON at character"),
    (b'{"name": "Oak Lodge",}', "not valid JSON at character"),
    (b"{'name': 'Oak Lodge'}", "not valid JSON at character"),
    (b"\xff\xfe{\x00}", "not valid JSON"),
    (b'{"name": "\xe9"}', "not valid JSON"),  # Latin-1, not UTF-8
]
WRONG_SHAPE = [
    ([provider()], "body"),
    ("Oak Lodge", "body"),
    ({**provider(), "beds": "twelve"}, "beds"),
    ({**provider(), "nmae": "typo"}, "nmae"),
    ({"service_type": "care_home_residential"}, "name"),
    ({**provider(), "service_type": "castle"}, "service_type"),
]


def test_malformed_json_is_422_naming_the_body_and_why(api: Api) -> None:
    for raw, reason in MALFORMED:
        problem = api.refused(422, "/providers", raw=raw, field="body")
        assert reason in problem["errors"][0]["reason"], raw


def test_json_of_the_wrong_shape_is_422_naming_the_field(api: Api) -> None:
    for body, field in WRONG_SHAPE:
        api.refused(422, "/providers", body, field=field)


# ----------------------------------------------------------------------------- injection strings
def test_injection_strings_in_every_text_field_are_stored_verbatim_and_returned_as_sent(api: Api) -> None:
    ids, today = api.ids, api.cw.clock.now().date()
    for text in INJECTIONS:
        made = api.accepted("/providers", provider(
            text, address=text, postcode=text, district=text, nhs_area=text, contract_reference=text,
            registered_manager=text, owner=text, cqc_location_id=text, cqc_provider_id=text))
        assert api.last_event_data("provider", made["id"])["name"] == text
        assert api.get(f"/providers/{made['id']}").json()["name"] == text

        record = api.accepted("/intelligence", intelligence(api, summary=text,
                                                            whistleblower={"name": text, "contact": text}))
        rid = record["id"]
        api.accepted(f"/intelligence/{rid}/allocate", {"officer": text})
        api.accepted(f"/intelligence/{rid}/assess",
                     {"risk": "high", "action_required": True, "rationale": text})
        api.accepted(f"/intelligence/{rid}/actions", {"action": "responsive_visit", "note": text})
        shown = api.get(f"/intelligence/{rid}").json()
        assert (shown["summary"], shown["officer"], shown["whistleblower"]["name"]) == (text, text, text)
        assert api.get("/intelligence", assigned_to=text).json()[0]["record_id"] == rid

        plan = api.accepted("/action-plans", {
            "provider_id": ids["provider_id"], "raised_from": {"kind": "visit", "id": ids["visit_id"]},
            "title": text, "items": [{"description": text, "theme": "other", "owner": text,
                                      "due": str(today + timedelta(days=20))}]})
        shown = api.get(f"/action-plans/{plan['id']}").json()
        assert (shown["title"], shown["items"][0]["description"], shown["items"][0]["owner"]) == (text,) * 3

        concern = api.accepted("/safeguarding-concerns", {
            "provider_id": ids["provider_id"], "category": "neglect", "summary": text,
            "adults_at_risk": [{"name": text, "contact": text}]})
        shown = api.get(f"/safeguarding-concerns/{concern['id']}").json()
        assert (shown["summary"], shown["adults_at_risk"][0]["name"]) == (text, text)

        notice = api.accepted(f"/providers/{ids['provider_id']}/notices", {
            "breach": text, "actions": [text, text], "remedy_by": str(today + timedelta(days=30))})
        assert api.last_event_data("notice", notice["id"])["breach"] == text
        procedure = api.accepted(f"/providers/{ids['provider_id']}/provider-failure",
                                 {"trigger": "other", "summary": text})
        api.accepted(f"/provider-failure/{procedure['id']}/initiate", {"lead": text})
        assert api.last_event_data("provider-failure", procedure["id"])["lead"] == text
    assert api.cw.store.verify().ok  # the events table is still there, its chains intact
    assert api.cw.projections.halted == {}  # no read model stopped on what it was given


def signed_in(client: TestClient, token: str) -> str:
    """Sign ``client`` in to the web pages; the session's CSRF token."""
    page = client.get("/signin").text
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    signed = client.post("/signin", data={"token": token, "csrf_token": csrf}, follow_redirects=False)
    assert signed.status_code == 303
    return client.get("/inbox").text.split('name="csrf_token" value="')[1].split('"')[0]


def test_the_web_page_escapes_what_was_typed(casework: Casework, tokens: dict[str, str]) -> None:
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    with TestClient(create_app(casework), base_url="http://127.0.0.1") as client:
        made = client.post(f"{API}/providers", json=provider(script, district=script),
                           headers={"Authorization": f"Bearer {tokens['manager']}"})
        assert made.status_code == 201
        signed_in(client, tokens["manager"])
        html = client.get(f"/providers/{made.json()['id']}").text
    assert "&lt;script&gt;alert(" in html
    assert "<script>alert(" not in html and "<img src=x" not in html


def test_a_web_form_refuses_nul_and_far_dates_and_stores_nothing(casework: Casework,
                                                                 tokens: dict[str, str]) -> None:
    """The pages build the same commands: the domain refuses what the API's schema would."""
    ids = make_records(casework)
    good = {"provider_id": ids["provider_id"], "source": "complaint", "received_at": "2026-03-01T10:00",
            "summary": "Call bells unanswered"}
    with TestClient(create_app(casework), base_url="http://127.0.0.1") as client:
        csrf = signed_in(client, tokens["manager"])
        for field, value in [("summary", "a\x00b"), ("received_at", "0001-01-01T00:00"),
                             ("received_at", "9999-12-31T23:59")]:
            head = casework.store.head_position()
            answer = client.post("/intelligence", data={**good, field: value, "csrf_token": csrf},
                                 follow_redirects=False)
            assert answer.status_code == 422, (field, value, answer.status_code)
            assert casework.store.head_position() == head
        accepted = client.post("/intelligence", data={**good, "csrf_token": csrf}, follow_redirects=False)
        assert accepted.status_code == 303


# ----------------------------------------------------------------------------- unicode
NUL_BODIES: list[tuple[str, Callable[[Api], Any], str]] = [
    ("/providers", lambda api: provider("Oak\x00Lodge"), "name"),
    ("/providers", lambda api: provider(district="North\x00"), "district"),
    ("/intelligence", lambda api: intelligence(api, summary="a\x00b"), "summary"),
    ("/intelligence", lambda api: intelligence(api, whistleblower={"name": "Jo\x00"}), "whistleblower.name"),
    ("/intelligence", lambda api: intelligence(api, provider_id="x\x00"), "provider_id"),
    ("/providers/{provider_id}/notices",
     lambda api: {"breach": "b", "actions": ["ok", "\x00"], "remedy_by": "2026-05-01"}, "actions"),
    ("/intelligence/{record_id}/allocate", lambda api: {"officer": "\x00"}, "officer"),
    ("/safeguarding-concerns", lambda api: {
        "provider_id": api.ids["provider_id"], "category": "neglect", "summary": "s",
        "adults_at_risk": [{"name": "A\x00"}]}, "adults_at_risk.0.name"),
    ("/action-plans/{plan_id}/items", lambda api: {"item": {
        "description": "d\x00", "theme": "other", "owner": "o", "due": "2026-06-01"}}, "item.description"),
]


def test_nul_in_any_text_is_422_naming_the_field_and_stores_nothing(api: Api) -> None:
    for path, body, field in NUL_BODIES:
        problem = api.refused(422, path.format(**api.ids), body(api), field=field)
        assert "NUL" in problem["errors"][0]["reason"]


def test_nul_in_a_path_or_query_is_422_not_a_database_error(api: Api) -> None:
    head = api.cw.store.head_position()
    for answer, field in [
        (api.get(f"/providers/{api.ids['provider_id']}%00"), "path"),
        (api.get("/providers", q="Oak\x00"), "query.q"),
        (api.get("/intelligence", assigned_to="\x00amy"), "query.assigned_to"),
        (api.client.post(f"{API}/intelligence/x%00/allocate", json={"officer": "amy"}, headers=api.auth),
         "path"),
    ]:
        api.check_refusal(answer, 422, field, head)


def test_lone_surrogates_are_422_and_text_past_its_limit_is_422(api: Api) -> None:
    for raw in (b'{"name": "\\ud800", "service_type": "care_home_residential"}',
                b'{"name": "ok\\udfff!", "service_type": "care_home_residential"}'):
        api.refused(422, "/providers", raw=raw, field="name")
    api.refused(422, "/providers", provider("N" * 201), field="name")
    api.refused(422, "/providers", provider(district="D" * 201), field="district")
    api.refused(422, "/intelligence", intelligence(api, summary="s" * 20_001), field="summary")
    ids = api.ids
    api.refused(422, f"/intelligence/{ids['record_id']}/allocate", {"officer": "o" * 201}, field="officer")
    api.refused(422, f"/provider-failure/{ids['procedure_id']}/initiate", {"lead": "l" * 201}, field="lead")
    api.refused(422, "/providers", {**provider(), "categories": ["OP"] * 40}, field="categories")
    # at the limit it is accepted, all of it
    made = api.accepted("/intelligence", intelligence(api, summary="s" * 20_000))
    assert len(api.last_event_data("intelligence", made["id"])["summary"]) == 20_000


def test_unusual_but_valid_unicode_is_kept_exactly(api: Api) -> None:
    for text in UNICODE_KEPT:
        made = api.accepted("/providers", provider(text))
        assert api.get(f"/providers/{made['id']}").json()["name"] == text
        record = api.accepted("/intelligence", intelligence(api, summary=text))
        assert api.get(f"/intelligence/{record['id']}").json()["summary"] == text
    assert api.cw.projections.halted == {}


# ----------------------------------------------------------------------------- time
BAD_TIMES = [
    ("0001-01-01T00:00:00+00:00", None, "received_at"),
    ("0001-01-01T00:00:00+14:00", None, "received_at"),  # before year 1 in UTC: was a 500
    ("9999-12-31T23:59:59-14:00", None, "received_at"),  # after year 9999 in UTC: was a 500
    ("1899-12-31T23:59:59Z", None, "received_at"),
    ("2026-03-01T10:00:00", None, "received_at"),  # naive: which zone?
    ("2026-02-30T10:00:00Z", None, "received_at"),
    ("1772441000", None, "received_at"),  # a number, which pydantic would read as epoch seconds
    ("2026-03-03T09:00:00Z", None, "received_at"),  # tomorrow: in the future
    ("2026-03-01T10:00:00Z", "2026-03-02T09:00:01Z", "occurred_at"),  # a second in the future
    ("2026-03-01T10:00:00Z", "9999-12-31T23:59:59-12:00", "occurred_at"),
]


def test_times_out_of_range_naive_or_in_the_future_are_422(api: Api) -> None:
    for received_at, occurred_at, field in BAD_TIMES:
        body = intelligence(api, received_at=received_at)
        if occurred_at:
            body["occurred_at"] = occurred_at
        api.refused(422, "/intelligence", body, field=field)


def test_any_utc_offset_is_accepted_and_returned_in_utc(api: Api) -> None:
    for sent, utc in [("2026-03-02T22:00:00+14:00", "2026-03-02T08:00:00Z"),
                      ("2026-03-01T20:00:00-12:00", "2026-03-02T08:00:00Z"),
                      ("2026-03-02T13:30:00+05:30", "2026-03-02T08:00:00Z")]:
        made = api.accepted("/intelligence", intelligence(api, received_at=sent))
        assert api.get(f"/intelligence/{made['id']}").json()["received_at"] == utc


BAD_DATES = [
    ("/providers/{provider_id}/notices", {"breach": "b", "actions": ["a"], "remedy_by": "0001-01-01"},
     "remedy_by"),
    ("/providers/{provider_id}/notices", {"breach": "b", "actions": ["a"], "remedy_by": "9999-12-31"},
     "remedy_by"),
    ("/providers/{provider_id}/cqc-ratings", {"report_date": "1066-10-14", "overall": "good"}, "report_date"),
    ("/action-plans/{plan_id}/items/1/due-date", {"due": "9999-01-01", "reason": "r"}, "due"),
]


def test_dates_far_in_the_past_or_future_are_422(api: Api) -> None:
    for path, body, field in BAD_DATES:
        api.refused(422, path.format(**api.ids), body, field=field)


def test_query_times_and_dates_out_of_range_are_422(api: Api) -> None:
    head = api.cw.store.head_position()
    pid = api.ids["provider_id"]
    for answer, field in [
        (api.get(f"/providers/{pid}", as_of="0001-01-01T00:00:00+14:00"), "query.as_of"),
        (api.get(f"/providers/{pid}/history", as_of="9999-12-31T23:59:59-14:00"), "query.as_of"),
        (api.get("/deadlines", before="1552054"), "query.before"),
        (api.get("/stats", **{"from": "0001-01-01", "to": "9999-12-31"}), "query.from"),
        (api.get("/intelligence", offset=10**30), "query.offset"),
    ]:
        api.check_refusal(answer, 422, field, head)


# ----------------------------------------------------------------------------- numbers
BAD_NUMBERS = [
    ("/providers", provider(beds=-1), "beds"),
    ("/providers", provider(beds=10**30), "beds"),  # was a 500: too big for the event's JSON
    ("/providers", provider(beds=1.5), "beds"),
    ("/providers", provider(beds=10_001), "beds"),
    ("/provider-failure/{procedure_id}/residents-moving", {"residents_to_move": 10**30}, "residents_to_move"),
    ("/provider-failure/{procedure_id}/residents-moving", {"residents_to_move": -1}, "residents_to_move"),
    ("/providers/{provider_id}/escalation", {"action": "escalate", "expected_version": 10**30},
     "expected_version"),
    ("/visits/{visit_id}/complete", {"findings": "f", "framework_version": 10**30}, "framework_version"),
    ("/visits/{visit_id}/complete", {"findings": "f", "scores": {"x": 10**30}}, "scores"),
]


def test_numbers_out_of_range_are_422_naming_the_field(api: Api) -> None:
    for path, body, field in BAD_NUMBERS:
        api.refused(422, path.format(**api.ids), body, field=field)


def test_nothing_refused_here_left_a_read_model_behind(api: Api) -> None:
    """After a burst of bad input, every projection still follows the log."""
    api.refused(422, "/providers", provider("Oak\x00Lodge"), field="name")
    api.refused(422, "/providers", provider(beds=10**30), field="beds")
    api.accepted("/providers", provider("Good Name", beds=40))
    assert api.cw.projections.halted == {}
    names = [p["name"] for p in api.get("/providers", sort="name").json()]
    assert "Good Name" in names and "Birch Grange" in names
