"""No personal data in logs: a whole case, with a whistleblower and an adult at risk, worked
through the API, the web pages and the command line, with refusals that carry the names in the
wrong places, every log line (structlog and stdlib logging) captured at DEBUG and scanned for
the identities. And a 422 never echoes restricted data back (no pydantic ``input``)."""

from __future__ import annotations

from casework.bootstrap import Casework

from .conftest import Cli, Http, Logs
from .scenario import ADULT, WHEN, WHISTLEBLOWER, build_case, leaks

NAME = WHISTLEBLOWER["name"]


def test_a_whole_case_leaves_no_identity_in_any_log_line(
    casework: Casework, http: Http, cli: Cli, logs: Logs
) -> None:
    case = build_case(http)
    # Reads: the manager sees the identities (so they pass through the code that logs).
    record = http.get("manager", f"/intelligence/{case.record_id}")
    assert record.json()["whistleblower"]["name"] == NAME
    assert http.get("manager", f"/safeguarding-concerns/{case.concern_id}").json()[
        "adults_at_risk"][0]["name"] == ADULT["name"]
    for role in ("manager", "auditor"):
        assert http.get(role, f"/providers/{case.provider_id}/history").status_code == 200
    csrf = http.sign_in("officer")
    logged = http.client.post("/intelligence", data={
        "csrf_token": csrf, "provider_id": case.provider_id, "source": "whistleblowing",
        "received_at": "2026-03-01T10:00", "summary": "Call bells ignored",
        "whistleblower.name": NAME, "whistleblower.contact": WHISTLEBLOWER["contact"]})
    assert logged.status_code in (200, 303), logged.text
    refused_form = http.client.post("/intelligence", data={
        "csrf_token": csrf, "provider_id": case.provider_id, "source": NAME,
        "received_at": "yesterday", "summary": "", "whistleblower.name": NAME})
    assert refused_form.status_code == 422
    http.sign_in("manager")
    assert NAME in http.client.get(f"/intelligence/{case.record_id}").text
    assert cli("history", case.provider_id, "--json").exit_code == 0
    assert cli("report", "annual", "--from", "2025-04-01", "--to", "2026-03-31", "--format", "csv"
               ).exit_code == 0

    # Refusals with the names where they do not belong.
    bad = [
        ("officer", f"/intelligence/{case.record_id}/allocate", {"officer": NAME}),
        ("manager", f"/intelligence/{case.record_id}/allocate", {"officer": NAME}),
        ("officer", "/intelligence", {"provider_id": NAME, "source": "complaint", "received_at": WHEN,
                                      "summary": "x"}),
        ("officer", "/intelligence", {"provider_id": case.provider_id, "source": NAME,
                                      "received_at": NAME, "summary": "x"}),
        ("auditor", "/safeguarding-concerns", {"provider_id": case.provider_id, "category": "neglect",
                                               "summary": "x", "adults_at_risk": [ADULT]}),
    ]
    for role, path, body in bad:
        answer = http.post(role, path, body)
        assert 400 <= answer.status_code < 500, (path, answer.status_code)
    malformed = http.client.post("/api/v1/intelligence", content=f'{{"summary": "{NAME}", ',
                                 headers={**http.headers("officer"), "Content-Type": "application/json"})
    assert malformed.status_code == 422
    assert http.client.get(f"/api/v1/providers/{NAME}", headers=http.headers("officer")).status_code == 404

    assert casework.store.verify().ok
    lines = logs.lines()
    assert sum('"event": "request"' in line for line in lines) >= 25  # the access log was captured
    assert any(line.startswith("Context impl") for line in lines)  # and stdlib logging (alembic)
    leaked = [line for line in lines if leaks(line)]
    assert not leaked, f"{len(leaked)} log lines hold personal data, e.g. {leaked[:3]}"


def test_a_422_never_echoes_restricted_personal_data(http: Http) -> None:
    case = build_case(http)
    attempts = [
        {"whistleblower": {"name": NAME, "contact": 7700900461}},
        {"whistleblower": NAME},
        {"whistleblower": {"name": NAME, "contact": WHISTLEBLOWER["contact"], "age": 40}},
        {"whistleblower": [NAME, WHISTLEBLOWER["contact"]]},
        {"whistleblower": {"name": NAME}, "received_at": "not a time"},
    ]
    for role in ("officer", "manager"):
        for extra in attempts:
            body = {"provider_id": case.provider_id, "source": "whistleblowing", "received_at": WHEN,
                    "summary": "Staff asleep", **extra}
            answer = http.post(role, "/intelligence", body)
            assert answer.status_code == 422, (extra, answer.text)
            problem = answer.json()
            assert problem["errors"] and all(set(e) == {"field", "reason"} for e in problem["errors"])
            assert not leaks(answer.text), (role, extra, answer.text)
    concern = {"provider_id": case.provider_id, "category": "neglect", "summary": "x",
               "adults_at_risk": [{"name": ADULT["name"], "contact": ["Room 12"]}, ADULT["name"]]}
    answer = http.post("officer", "/safeguarding-concerns", concern)
    assert answer.status_code == 422 and not leaks(answer.text), answer.text
