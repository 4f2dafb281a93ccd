"""The web interface's defences, checked over plain HTTP: headers, cookies and CSRF."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from casework.api.app import create_app
from casework.bootstrap import bootstrap
from casework.settings import Settings
from casework.web.session import COOKIE_NAME

from .conftest import Web
from .support import csrf_of


def test_pages_and_static_files_carry_the_security_headers(web: Web) -> None:
    for path in ("/signin", "/static/css/casework.css", "/static/vendor/chartjs/chart.umd.min.js"):
        headers = web.client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert "frame-ancestors 'none'" in csp
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def test_the_json_api_docs_keep_their_own_policy(web: Web) -> None:
    # Vendored Swagger UI started from a file: script from this server only, never framed.
    headers = web.client.get("/docs").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"


def test_session_cookie_is_httponly_and_samesite_lax_and_never_holds_the_token(web: Web) -> None:
    csrf = csrf_of(web.client.get("/signin").text)
    answer = web.client.post(
        "/signin", data={"token": web.users.token("olive"), "csrf_token": csrf}, follow_redirects=False
    )
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie
    assert web.users.token("olive") not in cookie


def test_session_cookie_is_secure_when_settings_say_so(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 's.db'}", scheduler_enabled=False, secure_cookies=True
    )
    cw = bootstrap(settings)
    try:
        with TestClient(create_app(cw), base_url="https://127.0.0.1") as client:
            assert "Secure" in client.get("/signin").headers["set-cookie"]
    finally:
        cw.close()


def test_sign_in_without_the_csrf_token_is_refused(web: Web) -> None:
    web.client.get("/signin")
    answer = web.client.post("/signin", data={"token": web.users.token("olive")}, follow_redirects=False)
    assert answer.status_code == 403
    assert "security token" in answer.text
    assert web.client.get("/inbox", follow_redirects=False).status_code == 303  # still signed out


def test_a_post_with_another_sessions_csrf_token_is_refused(web: Web) -> None:
    web.sign_in("olive")
    other = TestClient(web.client.app, base_url="http://127.0.0.1")
    stolen = csrf_of(other.get("/signin").text)
    answer = web.client.post("/signout", data={"csrf_token": stolen}, follow_redirects=False)
    assert answer.status_code == 403
    assert web.client.get("/inbox", follow_redirects=False).status_code == 200  # still signed in


def test_a_script_post_sends_the_token_in_a_header(web: Web) -> None:
    csrf = web.sign_in("olive")
    answer = web.client.post("/signout", headers={"X-CSRF-Token": csrf}, follow_redirects=False)
    assert answer.status_code == 303
    assert web.client.get("/inbox", follow_redirects=False).status_code == 303


def test_a_forged_or_tampered_cookie_is_an_anonymous_visitor(web: Web) -> None:
    web.sign_in("manny")
    value = web.client.cookies[COOKIE_NAME]
    body, signature = value.split(".")
    web.client.cookies.set(COOKIE_NAME, body[:-2] + "xx." + signature)
    assert web.client.get("/inbox", follow_redirects=False).status_code == 303


def test_revoking_the_token_ends_the_web_session(web: Web) -> None:
    from casework.domain.actors import SYSTEM

    web.sign_in("olive")
    web.cw.users.revoke("olive", by=SYSTEM)
    answer = web.client.get("/inbox", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/signin")


def test_a_wrong_token_is_refused_with_a_message_next_to_the_field(web: Web) -> None:
    csrf = csrf_of(web.client.get("/signin").text)
    answer = web.client.post("/signin", data={"token": "cw_nope", "csrf_token": csrf})
    assert answer.status_code == 401
    assert 'aria-invalid="true"' in answer.text and "not recognised" in answer.text


def test_sign_in_only_returns_to_a_page_on_this_site(web: Web) -> None:
    csrf = csrf_of(web.client.get("/signin").text)
    answer = web.client.post(
        "/signin",
        data={"token": web.users.token("olive"), "csrf_token": csrf, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/inbox"
