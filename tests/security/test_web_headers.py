"""What tests/web/test_security.py leaves out: every kind of answer of the web interface carries
the security headers (error pages and refusals too, signed in or not), no page needs inline
script or inline event handlers (so the policy can forbid them), and a case-changing form post
without this session's CSRF token is refused and appends nothing. Every answer of the JSON API,
whatever its status, is marked no-store and nosniff; /docs and /redoc load nothing from another
host, under a policy that allows script from this server only, and can be turned off."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from casework.api.app import create_app
from casework.bootstrap import bootstrap
from casework.settings import Settings

from .conftest import csrf_of


def assert_protected(headers, what: str) -> None:
    csp = headers.get("content-security-policy", "")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if " " in d.strip())
    assert "unsafe-inline" not in directives.get("script-src", "unsafe-inline"), what
    assert "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp, what
    assert headers.get("x-frame-options") == "DENY", what
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("referrer-policy"), what


def test_every_kind_of_web_answer_carries_the_security_headers(site) -> None:
    cw, http = site
    provider = http.created("manager", "/providers", {"name": "Elm Court", "service_type": "home_care"})
    answers = {"anonymous /inbox": http.client.get("/inbox", follow_redirects=False),
               "sign-in page": http.client.get("/signin")}
    csrf = http.sign_in("manager")
    for path in ("/inbox", "/providers", f"/providers/{provider}", "/dashboard", "/intelligence/nope"):
        answers[path] = http.client.get(path)
    answers["refused post"] = http.client.post("/intelligence/nope/allocate",
                                               data={"csrf_token": csrf, "officer": "officer"})
    answers["csrf refusal"] = http.client.post("/signout", data={"csrf_token": "forged"})
    assert answers["/intelligence/nope"].status_code == 404
    assert answers["csrf refusal"].status_code == 403
    for what, answer in answers.items():
        assert_protected(answer.headers, what)


def test_no_page_has_inline_script_or_inline_event_handlers(site) -> None:
    cw, http = site
    provider = http.created("manager", "/providers", {"name": "Elm Court", "service_type": "home_care"})
    pages = [http.client.get("/signin").text]
    http.sign_in("manager")
    for path in ("/inbox", "/providers", f"/providers/{provider}", "/dashboard"):
        pages.append(http.client.get(path).text)
    for html in pages:
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, flags=re.S | re.I)
        assert scripts, "the pages use scripts, from files"
        for attributes, body in scripts:
            assert "src=" in attributes and not body.strip(), f"inline script: {body[:80]!r}"
        assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I), "inline event handler"
        assert not re.search(r"href\s*=\s*[\"']javascript:", html, flags=re.I)


def test_a_case_changing_post_without_the_csrf_token_is_refused_and_appends_nothing(site) -> None:
    cw, http = site
    provider = http.created("manager", "/providers", {"name": "Elm Court", "service_type": "home_care"})
    csrf = http.sign_in("manager")
    form = {"provider_id": provider, "source": "complaint", "received_at": "2026-03-01T10:00",
            "summary": "Late calls"}
    before = cw.store.head_position()
    for sent in ({}, {"csrf_token": ""}, {"csrf_token": csrf[:-2] + "xx"}):
        answer = http.client.post("/intelligence", data={**form, **sent}, follow_redirects=False)
        assert answer.status_code == 403, sent
    assert cw.store.head_position() == before
    assert http.client.post("/intelligence", data={**form, "csrf_token": csrf},
                            follow_redirects=False).status_code == 303
    assert cw.store.head_position() > before
    assert csrf_of(http.client.get("/inbox").text) == csrf  # the session's token did not change


# ----------------------------------------------------------------------------- the JSON API and its docs
def assert_not_stored(headers, what: str) -> None:
    assert headers.get("cache-control") == "no-store", what
    assert headers.get("x-content-type-options") == "nosniff", what


def test_every_api_answer_is_neither_stored_nor_sniffed_whatever_its_status(site) -> None:
    cw, http = site
    provider = http.created("manager", "/providers", {"name": "Elm Court", "service_type": "home_care"})
    record = http.created("officer", "/intelligence", {
        "provider_id": provider, "source": "whistleblowing", "received_at": "2026-03-01T10:00:00Z",
        "summary": "Night staff asleep", "whistleblower": {"name": "Jo Bloggs", "contact": "07700 900123"}})
    app = http.client.app

    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/v1/test-boom", boom)  # an unexpected error: the framework's own 500
    client = TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False)
    anonymous = client.get
    answers = {
        "identity, 200": http.get("manager", f"/intelligence/{record}"),
        "me, 200": http.get("officer", "/me"),
        "created, 201": http.post("officer", "/providers", {"name": "Oak", "service_type": "home_care"}),
        "no token, 401": anonymous("/api/v1/me"),
        "wrong role, 403": http.post("auditor", "/providers", {"name": "X", "service_type": "home_care"}),
        "unknown record, 404": http.get("manager", "/intelligence/00000000-0000-0000-0000-000000000000"),
        "nothing there, 404": anonymous("/api/v2/nothing"),
        "bad body, 422": http.post("officer", "/providers", {"name": ""}),
        "not json, 415": client.post("/api/v1/providers", content=b"name=x", headers={
            **http.headers("officer"), "content-type": "application/x-www-form-urlencoded"}),
        "unexpected, 500": anonymous("/api/v1/test-boom"),
        "openapi": anonymous("/openapi.json"),
        "health": anonymous("/healthz"),
        "metrics": anonymous("/metrics"),
    }
    statuses = {what: answer.status_code for what, answer in answers.items()}
    assert statuses == {what: int(what[-3:]) if what[-3:].isdigit() else 200 for what in answers}
    for what, answer in answers.items():
        assert_not_stored(answer.headers, what)


def assert_docs_policy(headers, what: str) -> str:
    csp = headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'", what
    assert directives["default-src"] == "'none'" and directives["frame-ancestors"] == "'none'", what
    assert "http" not in csp and "*" not in csp and "unsafe-eval" not in csp, what
    assert headers["x-frame-options"] == "DENY", what
    assert_not_stored(headers, what)
    return csp


def test_the_api_docs_load_nothing_from_another_host_under_a_strict_policy(site) -> None:
    cw, http = site
    for path in ("/docs", "/redoc"):
        answer = http.client.get(path)
        assert answer.status_code == 200, path
        csp = assert_docs_policy(answer.headers, path)
        if path == "/docs":  # Swagger UI needs no inline style; ReDoc does (docs/security.md)
            assert "unsafe-inline" not in csp
        html = answer.text
        assert not re.search(r"<script\b[^>]*>\s*[^<\s]", html), f"{path}: inline script"
        assert not re.search(r"\son[a-z]+\s*=", html, flags=re.I), f"{path}: inline handler"
        links = re.findall(r"""(?:src|href|spec-url|data-openapi-url)\s*=\s*["']([^"']+)""", html)
        assert links, path
        for link in links:
            assert link.startswith("/") and not link.startswith("//"), f"{path} loads {link}"
            if link != "/openapi.json":
                asset = http.client.get(link)
                assert asset.status_code == 200, link
                assert asset.headers["x-content-type-options"] == "nosniff", link
    assert "validatorUrl: null" in http.client.get("/docs/assets/swagger-init.js").text
    assert http.client.get("/docs/assets/..%2Fdocs.py").status_code == 404


def test_the_api_docs_can_be_turned_off(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'off.db'}", scheduler_enabled=False,
                        api_docs=False)
    cw = bootstrap(settings)
    try:
        with TestClient(create_app(cw), base_url="http://127.0.0.1") as client:
            for path in ("/docs", "/redoc", "/docs/assets/swagger-ui-bundle.js"):
                assert client.get(path).status_code == 404, path
            assert client.get("/openapi.json").status_code == 200
    finally:
        cw.close()
