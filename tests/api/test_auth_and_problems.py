"""Authentication, request ids, access logs and the problem details of the HTTP edge."""

from __future__ import annotations

import hashlib

import structlog
from fastapi.testclient import TestClient
from sqlalchemy import select

from casework.api.app import create_app
from casework.users import api_tokens

PROBLEM = "application/problem+json"


def test_a_request_without_a_token_is_401_with_a_problem_saying_how_to_get_one(client):
    answer = client.get("/api/v1/me")
    assert answer.status_code == 401
    assert answer.headers["content-type"] == PROBLEM
    assert answer.headers["www-authenticate"].startswith("Bearer")
    body = answer.json()
    assert body["status"] == 401 and body["title"] and "casework users add" in body["detail"]
    assert body["instance"] == "/api/v1/me"


def test_an_unknown_token_is_401(client, tokens):
    answer = client.get("/api/v1/me", headers={"Authorization": "Bearer cw_not-a-real-token"})
    assert answer.status_code == 401
    assert answer.json()["type"] == "urn:casework:problem:unauthenticated"


def test_a_valid_token_names_the_user_and_role(client, as_role):
    answer = client.get("/api/v1/me", headers=as_role("manager"))
    assert answer.status_code == 200
    assert answer.json() == {"name": "manager", "role": "manager", "may_see_restricted": True,
                             "email": None, "digests": True, "calendar": False}


def test_a_revoked_token_stops_working(client, casework, as_role, admin_actor):
    assert client.get("/api/v1/me", headers=as_role("officer")).status_code == 200
    casework.users.revoke("officer", admin_actor)
    assert client.get("/api/v1/me", headers=as_role("officer")).status_code == 401


def test_tokens_are_stored_only_as_sha256_hashes(casework, tokens):
    with casework.engine.connect() as conn:
        hashes = set(conn.execute(select(api_tokens.c.token_hash)).scalars())
    assert hashlib.sha256(tokens["officer"].encode()).hexdigest() in hashes
    assert tokens["officer"] not in hashes


def test_user_management_is_recorded_as_events_without_the_token(casework, tokens):
    events = casework.store.read_stream("user-officer")
    assert [e.type for e in events] == ["UserAdded", "TokenIssued"]
    assert events[0].data == {"name": "officer", "role": "officer"}
    assert events[0].provider_id is None
    hashed = hashlib.sha256(tokens["officer"].encode()).hexdigest()
    for e in events:
        assert tokens["officer"] not in str(e.to_json()) and hashed not in str(e.to_json())


def test_a_role_that_is_not_admin_may_not_list_users(client, as_role):
    answer = client.get("/api/v1/users", headers=as_role("manager"))
    assert answer.status_code == 403
    assert answer.headers["content-type"] == PROBLEM
    assert "admins only" in answer.json()["detail"]
    assert [u["name"] for u in client.get("/api/v1/users", headers=as_role("admin")).json()] == [
        "admin", "auditor", "manager", "officer",
    ]


def test_request_id_is_echoed_and_generated_when_absent(client):
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    fresh = client.get("/healthz")
    assert len(fresh.headers["x-request-id"]) == 32


def test_problems_carry_the_request_id(client):
    answer = client.get("/api/v1/me", headers={"X-Request-ID": "req-42"})
    assert answer.json()["request_id"] == "req-42"


def test_an_unknown_path_is_a_404_problem(client):
    answer = client.get("/api/v1/nothing-here")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == PROBLEM
    assert "/docs" in answer.json()["detail"]


def test_access_log_names_user_method_template_status_and_latency_but_no_token(client, tokens, as_role):
    with structlog.testing.capture_logs() as logs:
        client.get("/api/v1/me?name=Jane+Doe", headers={**as_role("auditor"), "X-Request-ID": "r1"})
        client.get("/api/v1/me", headers={"Authorization": "Bearer cw_wrong"})
    access = [e for e in logs if e["event"] == "request"]
    assert access[0]["user"] == "auditor" and access[0]["method"] == "GET"
    assert access[0]["path"] == "/api/v1/me" and access[0]["status"] == 200
    assert access[0]["request_id"] == "r1" and access[0]["duration_ms"] >= 0
    assert access[1]["status"] == 401 and access[1]["user"] is None
    assert any(e["event"] == "authentication_failed" for e in logs)
    text = repr(logs)
    assert "Jane" not in text and "cw_wrong" not in text
    assert all(t not in text for t in tokens.values())


def test_a_body_over_the_limit_is_413(casework, as_role):
    casework.settings.max_body_bytes = 100
    client = TestClient(create_app(casework))
    answer = client.post(
        "/api/v1/me", content=b"{" + b" " * 200 + b"}",
        headers={**as_role("officer"), "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.headers["content-type"] == PROBLEM


def test_a_write_that_is_not_json_is_415(client, as_role):
    answer = client.post(
        "/api/v1/me", content=b"name=x", headers={**as_role("officer"), "Content-Type": "text/plain"}
    )
    assert answer.status_code == 415
    assert "application/json" in answer.json()["detail"]


def test_healthz_needs_no_token(client):
    assert client.get("/healthz").json()["status"] == "ok"
