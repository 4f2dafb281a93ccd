"""API tokens: only their SHA-256 is stored (never the token, nor in the log); `casework users
revoke` stops every token of a user at once, on the API and in the web session; a failed
authentication is logged without the token or any part of its hash."""

from __future__ import annotations

import secrets

from casework.bootstrap import Casework
from casework.users import hash_token

from .conftest import ADMIN, Cli, Http, Logs
from .test_erasure import every_stored_value


def test_tokens_are_stored_only_as_hashes(casework: Casework, http: Http) -> None:
    stored = every_stored_value(casework)  # every table, the event log included
    for token in http.tokens.values():
        assert token not in stored and token.removeprefix("cw_") not in stored
        assert hash_token(token) in stored  # in api_tokens, as the lookup key
    events = "".join(str(e.data) + str(e.metadata) for e in casework.store.read_all(0, 1000))
    assert "'name': 'officer'" in events  # the audit trail of users and tokens is there...
    for token in http.tokens.values():  # ...without the tokens or their hashes
        assert token not in events and hash_token(token)[:8] not in events


def test_revoke_stops_every_token_of_the_user_at_once_on_the_api_and_the_web(
    casework: Casework, http: Http, cli: Cli
) -> None:
    second = casework.users.issue_token("officer", ADMIN).token
    http.sign_in("officer")
    assert http.client.get("/inbox", follow_redirects=False).status_code == 200
    for token in (http.tokens["officer"], second):
        assert http.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    revoked = cli("users", "revoke", "officer")
    assert revoked.exit_code == 0 and "revoked 2 token(s) of officer" in revoked.stdout
    for token in (http.tokens["officer"], second):
        answer = http.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 401 and answer.headers["content-type"] == "application/problem+json"
    page = http.client.get("/inbox", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/signin")
    assert http.get("manager", "/me").status_code == 200  # other users are untouched
    unknown = cli("users", "revoke", "nobody")
    assert unknown.exit_code == 1 and "no user" in unknown.stderr


def test_a_failed_authentication_is_logged_without_the_token(http: Http, cli: Cli, logs: Logs) -> None:
    wrong = "cw_" + secrets.token_urlsafe(32)
    assert http.client.get("/api/v1/me", headers={"Authorization": f"Bearer {wrong}"}).status_code == 401
    assert cli("users", "revoke", "auditor").exit_code == 0
    revoked = http.tokens["auditor"]
    assert http.client.get("/api/v1/intelligence", headers={"Authorization": f"Bearer {revoked}"}
                           ).status_code == 401
    assert http.client.get("/api/v1/me", headers={"Authorization": "Bearer not-even-a-token"}
                           ).status_code == 401
    csrf = http.client.get("/signin").text.split('name="csrf_token" value="')[1].split('"')[0]
    assert http.client.post("/signin", data={"token": revoked, "csrf_token": csrf}).status_code == 401
    failures = [line for line in logs.lines() if "authentication_failed" in line]
    assert len(failures) == 4, failures
    assert any('"via": "web"' in line for line in failures)
    for token in (wrong, revoked, "not-even-a-token"):
        digest = hash_token(token)
        for leaked in (token, token.removeprefix("cw_")[:12], digest[:8], digest[-8:]):
            assert leaked not in logs.text, f"the logs hold {leaked!r}"
