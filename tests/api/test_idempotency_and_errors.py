"""Idempotent retries, every error status of the contract with its problem body, as-of reads,
UTC times and the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from casework.api.app import create_app
from casework.events.errors import StoreUnavailable

PROBLEM = "application/problem+json"
PROVIDER = {"name": "Birch Grange", "service_type": "care_home_residential", "categories": ["OP", "MH"]}


def test_a_retry_with_the_same_key_returns_the_first_answer_and_appends_nothing(client, casework, as_role):
    headers = {**as_role("officer"), "Idempotency-Key": "5d1c-register-birch"}
    first = client.post("/api/v1/providers", json=PROVIDER, headers=headers)
    assert first.status_code == 201
    head = casework.store.head_position()
    again = client.post("/api/v1/providers", json=PROVIDER, headers=headers)
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert casework.store.head_position() == head


def test_the_same_key_with_a_different_body_is_422_and_appends_nothing(client, casework, as_role):
    headers = {**as_role("officer"), "Idempotency-Key": "k-1"}
    assert client.post("/api/v1/providers", json=PROVIDER, headers=headers).status_code == 201
    head = casework.store.head_position()
    other = client.post("/api/v1/providers", json={**PROVIDER, "name": "Other"}, headers=headers)
    assert other.status_code == 422
    assert other.headers["content-type"] == PROBLEM
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert "new key" in other.json()["detail"]
    assert casework.store.head_position() == head


def test_keys_are_scoped_per_user(client, as_role):
    first = client.post("/api/v1/providers", json=PROVIDER,
                        headers={**as_role("officer"), "Idempotency-Key": "shared"})
    second = client.post("/api/v1/providers", json=PROVIDER,
                         headers={**as_role("manager"), "Idempotency-Key": "shared"})
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]


def test_a_retry_after_a_lost_answer_is_recognised_by_the_command_id(client, casework, as_role):
    """The answer was never stored (a crash between append and storing it): the domain still
    recognises the command id and answers alike, appending nothing."""
    headers = {**as_role("officer"), "Idempotency-Key": "lost-answer"}
    first = client.post("/api/v1/providers", json=PROVIDER, headers=headers)
    with casework.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM idempotency_keys")
    head = casework.store.head_position()
    again = client.post("/api/v1/providers", json=PROVIDER, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert casework.store.head_position() == head


def test_an_unknown_record_is_404_naming_it(client, as_role):
    answer = client.get("/api/v1/intelligence/no-such-record", headers=as_role("officer"))
    assert answer.status_code == 404
    assert answer.headers["content-type"] == PROBLEM
    body = answer.json()
    assert body["title"] == "Not found" and "no-such-record" in body["detail"]
    assert body["type"] == "urn:casework:problem:not-found"
    missing = client.post("/api/v1/intelligence/nope/assess", headers=as_role("officer"),
                          json={"risk": "low", "action_required": False, "rationale": "x"})
    assert missing.status_code == 404
    assert client.get("/api/v1/providers/nope", headers=as_role("officer")).status_code == 404


def test_an_action_the_state_does_not_allow_is_409_with_state_and_allowed_actions(client, casework, as_role):
    pid = client.post("/api/v1/providers", json=PROVIDER, headers=as_role("officer")).json()["id"]
    rid = client.post("/api/v1/intelligence", headers=as_role("officer"), json={
        "provider_id": pid, "source": "complaint", "received_at": "2026-03-01T09:00:00Z",
        "summary": "Late calls"}).json()["id"]
    head = casework.store.head_position()
    answer = client.post(f"/api/v1/intelligence/{rid}/assess", headers=as_role("officer"),
                         json={"risk": "low", "action_required": False, "rationale": "x"})
    assert answer.status_code == 409
    body = answer.json()
    assert body["current_state"] == "logged"
    assert "allocate" in body["allowed_actions"]
    assert "allocate it" in body["detail"]
    assert casework.store.head_position() == head


def test_invalid_input_is_422_naming_each_field_and_why(client, casework, as_role):
    head = casework.store.head_position()
    answer = client.post("/api/v1/providers", headers=as_role("officer"),
                         json={"name": "X", "service_type": "castle", "beds": -1})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == PROBLEM
    fields = {e["field"]: e["reason"] for e in answer.json()["errors"]}
    assert set(fields) == {"service_type", "beds"}
    assert "care_home_residential" in fields["service_type"]
    assert casework.store.head_position() == head
    unknown = client.post("/api/v1/providers", headers=as_role("officer"), json={**PROVIDER, "colour": "red"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "colour"
    bad_query = client.get("/api/v1/providers/x?as_of=yesterday", headers=as_role("officer"))
    assert bad_query.status_code == 422 and bad_query.json()["errors"][0]["field"] == "query.as_of"


def test_a_domain_refusal_of_input_is_422_too(client, as_role):
    answer = client.post("/api/v1/intelligence", headers=as_role("officer"), json={
        "provider_id": "unknown", "source": "cqc", "received_at": "2026-03-01T09:00:00Z", "summary": "x"})
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "provider_id", "reason": "unknown provider 'unknown'"}]


def test_occurred_at_in_the_future_is_422_and_times_come_back_in_utc(client, casework, as_role):
    future = (casework.clock.now() + timedelta(days=1)).isoformat()
    answer = client.post("/api/v1/providers", headers=as_role("officer"),
                         json={**PROVIDER, "occurred_at": future})
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "occurred_at"
    naive = client.post("/api/v1/providers", headers=as_role("officer"),
                        json={**PROVIDER, "occurred_at": "2026-03-01T10:00:00"})
    assert naive.status_code == 422
    pid = client.post("/api/v1/providers", headers=as_role("officer"),
                      json={**PROVIDER, "occurred_at": "2026-03-01T10:00:00+01:00"}).json()["id"]
    history = client.get(f"/api/v1/providers/{pid}/history", headers=as_role("auditor")).json()
    assert history[0]["occurred_at"] == "2026-03-01T09:00:00Z"
    assert history[0]["recorded_at"] == "2026-03-02T09:00:00Z"


def test_the_store_unavailable_is_503(casework, as_role, monkeypatch):
    def down(*args, **kwargs):
        raise StoreUnavailable("connection refused")

    client = TestClient(create_app(casework), raise_server_exceptions=False)
    headers = as_role("officer")
    monkeypatch.setattr(casework.store, "append_batch", down)
    answer = client.post("/api/v1/providers", json=PROVIDER, headers=headers)
    assert answer.status_code == 503
    assert answer.headers["content-type"] == PROBLEM and answer.headers["retry-after"]
    assert "nothing was recorded" in answer.json()["detail"]


def test_as_of_reads_show_the_provider_as_it_stood(client, casework, clock, as_role):
    manager = as_role("manager")
    pid = client.post("/api/v1/providers", json=PROVIDER, headers=manager).json()["id"]
    before = clock.now().isoformat()
    clock.advance(timedelta(days=3))
    client.post(f"/api/v1/providers/{pid}/escalation",
                json={"action": "escalate", "reason": "QAF non-compliance"}, headers=manager)
    now = client.get(f"/api/v1/providers/{pid}", headers=manager).json()
    assert now["escalation_stage"] == "requirement_to_improve"
    then = client.get(f"/api/v1/providers/{pid}", params={"as_of": before}, headers=manager).json()
    assert then["escalation_stage"] == "monitoring"
    assert len(client.get(f"/api/v1/providers/{pid}/history", headers=manager).json()) == 2
    old = client.get(f"/api/v1/providers/{pid}/history", params={"as_of": before}, headers=manager).json()
    assert [e["type"] for e in old] == ["ProviderRegistered"]
    listed = client.get("/api/v1/providers", params={"stage": "requirement_to_improve"},
                        headers=manager).json()
    assert [p["id"] for p in listed] == [pid]


# Answered without a token: a public key is for publishing.
PUBLIC = {"/api/v1/signing-key"}


def test_openapi_documents_every_field_enum_and_error(client):
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert {"Problem", "FieldError", "WriteResult", "ProviderIn", "LogIntelligenceIn"} <= set(schemas)
    assert "care_home_nursing" in str(schemas["ServiceType"])
    for path, ops in spec["paths"].items():
        if not path.startswith("/api/v1"):
            continue
        for method, op in ops.items():
            codes = set(op["responses"])
            if path in PUBLIC:
                continue
            assert {"401", "403", "422"} <= codes, f"{method} {path}"
            if method == "post":
                assert {"404", "409"} <= codes, f"{method} {path}"
                names = {p["name"] for p in op.get("parameters", [])}
                assert "Idempotency-Key" in names, f"{method} {path}"
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
