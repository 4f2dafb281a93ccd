"""Who may call a write route is settled before its body is read: a role that may not call it
gets 403 whatever it sent (never a 422 that describes the body the route expects), and no
token gets 401. A role that may call it still gets 422 for a bad body."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute

from casework.api.routes import ROUTERS, providers
from casework.api.writes import Permission, WriteRoute
from casework.domain.actors import Role
from casework.domain.visits import PlanVisit

# Bodies a route would refuse as invalid (422), each sent as JSON text.
BAD_BODIES = {
    "empty object": b"{}",
    "unknown field": b'{"no_such_field": 1}',
    "wrong types": b'{"provider_id": 7, "reason": ["x"], "action": "explode"}',
    "a list": b"[]",
    "not JSON": b"{this is not json",
    "nothing": b"",
}
# Manager-only writes an officer might try, with bodies of the wrong shape.
MANAGERS_ONLY = [
    "/providers/{id}/provider-failure",
    "/providers/{id}/escalation",
    "/providers/{id}/notices",
    "/notices/{id}/extend",
    "/intelligence/{id}/allocate",
    "/provider-failure/{id}/initiate",
    "/provider-failure/{id}/close",
    "/people/{id}/erase",
]


def write_paths(client) -> list[str]:
    """Every POST of the API, its path parameters filled with an id that names nothing."""
    spec = client.get("/openapi.json").json()
    return sorted(re.sub(r"\{[^}]+\}", "x", path) for path, ops in spec["paths"].items() if "post" in ops)


def post(client, path: str, body: bytes, headers: dict[str, str]):
    return client.post(path, content=body, headers={**headers, "Content-Type": "application/json"})


def test_an_auditor_gets_403_on_every_write_route_whatever_the_body(client, casework, as_role):
    auditor = as_role("auditor")
    before = casework.store.head_position()
    paths = write_paths(client)
    assert paths
    for path in paths:
        for name, body in BAD_BODIES.items():
            answer = post(client, path, body, auditor)
            assert answer.status_code == 403, f"{path} with {name}: {answer.status_code} {answer.text}"
            problem = answer.json()
            assert problem["status"] == 403 and "auditor" in problem["detail"]
            assert "errors" not in problem
    assert casework.store.head_position() == before


@pytest.mark.parametrize("template", MANAGERS_ONLY)
def test_an_officer_gets_403_not_422_on_a_managers_route_whatever_the_body(template, client, as_role):
    path = "/api/v1" + template.format(id="x")
    for name, body in BAD_BODIES.items():
        answer = post(client, path, body, as_role("officer"))
        assert answer.status_code == 403, f"{path} with {name}: {answer.status_code} {answer.text}"
        assert "officer" in answer.json()["detail"]


def test_the_officers_malformed_provider_failure_names_what_they_may_not_do(client, as_role):
    answer = client.post("/api/v1/providers/x/provider-failure", json={"trigger": 1},
                         headers=as_role("officer"))
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert "officer" in problem["detail"] and "errors" not in problem
    assert "trigger" not in answer.text  # nothing about the body the route expects


def test_no_token_is_401_before_the_body_is_read(client):
    for name, body in BAD_BODIES.items():
        answer = post(client, "/api/v1/providers/x/escalation", body, {})
        assert answer.status_code == 401, f"{name}: {answer.status_code} {answer.text}"


def test_a_role_that_may_call_the_route_still_gets_422_for_a_bad_body(client, as_role):
    manager = as_role("manager")
    pid = client.post("/api/v1/providers", json={"name": "Elm Court", "service_type": "home_care"},
                      headers=manager).json()["id"]
    for path in (f"/api/v1/providers/{pid}/provider-failure", f"/api/v1/providers/{pid}/escalation",
                 "/api/v1/intelligence"):
        for name in ("empty object", "unknown field", "not JSON"):
            answer = post(client, path, BAD_BODIES[name], manager)
            assert answer.status_code == 422, f"{path} with {name}: {answer.status_code} {answer.text}"
            assert answer.json()["errors"]


def test_every_write_route_declares_who_may_call_it_and_the_docs_say_so():
    writes = [r for router in ROUTERS for r in router.routes
              if isinstance(r, APIRoute) and "POST" in r.methods]
    assert writes
    for route in writes:
        assert isinstance(route, WriteRoute) and route.permission is not None, route.path
        roles = ", ".join(sorted(r.value for r in route.permission.roles))
        assert f"Roles that may call it: {roles}." in route.description, route.path
    escalation = next(r for r in writes if r.path.endswith("/escalation"))
    assert escalation.permission.roles == {Role.manager}


def test_a_write_route_that_does_not_say_who_may_call_it_is_refused_at_startup():
    router = APIRouter(route_class=WriteRoute)
    with pytest.raises(TypeError, match="declare who may call it"):
        @router.post("/undeclared")
        def undeclared() -> None: ...


def test_a_route_running_a_command_its_declaration_does_not_name_fails_loudly(client, casework,
                                                                              as_role, monkeypatch):
    route = next(r for r in providers.router.routes if r.path.endswith("/providers") and "POST" in r.methods)
    monkeypatch.setattr(route, "permission", Permission.of([PlanVisit]))  # as if @runs drifted
    before = casework.store.head_position()
    answer = client.post("/api/v1/providers", json={"name": "Elm Court", "service_type": "home_care"},
                         headers=as_role("manager"))
    assert answer.status_code == 500
    assert casework.store.head_position() == before


# The web forms keep the same order: a role that may not submit a form is refused (403) before
# its fields are read, however they were filled in.
WEB_FORMS = [  # (role, path, fields that would fail validation)
    ("officer", "/providers/{pid}/escalation", {"action": "escalate", "to": "no_such_stage"}),
    ("officer", "/providers/{pid}/notices", {"breach": "", "actions": "", "remedy_by": "soon"}),
    ("auditor", "/providers/{pid}/visits", {"planned_for": "not a time", "reason": "nonsense"}),
    ("auditor", "/providers/{pid}/safeguarding", {"adult.contact": "07700 900123"}),
    ("auditor", "/intelligence", {"received_at": "yesterday", "source": "rumour"}),
    ("auditor", "/intelligence/{rid}/assess", {"risk": "enormous"}),
]


def test_a_web_form_from_a_role_that_may_not_submit_it_is_403_whatever_its_fields(client, as_role, tokens):
    pid = client.post("/api/v1/providers", json={"name": "Elm Court", "service_type": "home_care"},
                      headers=as_role("manager")).json()["id"]
    rid = client.post("/api/v1/intelligence", json={"provider_id": pid, "source": "complaint", "summary": "x",
                                                    "received_at": "2026-03-01T10:00:00Z"},
                      headers=as_role("manager")).json()["id"]
    for role, template, fields in WEB_FORMS:
        client.cookies.clear()
        csrf = _csrf(client.get("/signin").text)
        signed = client.post("/signin", data={"token": tokens[role], "csrf_token": csrf},
                             follow_redirects=False)
        assert signed.status_code == 303, signed.text
        csrf = _csrf(client.get("/inbox").text)
        answer = client.post(template.format(pid=pid, rid=rid), data={**fields, "csrf_token": csrf},
                             follow_redirects=False)
        assert answer.status_code == 403, f"{role} {template}: {answer.status_code}"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)
