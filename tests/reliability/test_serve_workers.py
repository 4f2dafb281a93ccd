"""``casework serve --workers N``: several processes answer as one server."""

from __future__ import annotations

import re

import httpx

from .support import add_users, serving


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def test_a_session_signed_in_on_one_server_process_is_honoured_by_the_others(database_url, tmp_path):
    tokens = add_users(database_url, olly="officer")
    with serving(database_url, tmp_path, workers=2) as served:
        # No keep-alive: each request is a new connection, accepted by whichever process is
        # free, so both answer. Were each process to sign sessions with a key of its own, the
        # sign-in form's CSRF check or about half of the pages below would refuse the session.
        fresh = {"base_url": served.url, "limits": httpx.Limits(max_keepalive_connections=0)}
        for _ in range(5):  # sign in afresh several times: form and post may go to either process
            with httpx.Client(**fresh) as web:
                csrf = _csrf(web.get("/signin").text)
                answer = web.post("/signin", data={"token": tokens["olly"], "csrf_token": csrf})
                assert answer.status_code == 303, answer.text[:500]
                assert "/signin" not in answer.headers["location"]
                pages = [web.get("/inbox") for _ in range(6)]
                assert [p.status_code for p in pages] == [200] * 6
        health = httpx.get(f"{served.url}/healthz").json()
        assert health["status"] == "ok"
