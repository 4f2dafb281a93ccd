"""What tests/web/test_security.py leaves out: every kind of answer of the web interface carries
the security headers (error pages and refusals too, signed in or not), no page needs inline
script or inline event handlers (so the policy can forbid them), and a case-changing form post
without this session's CSRF token is refused and appends nothing."""

from __future__ import annotations

import re

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
