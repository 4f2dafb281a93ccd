"""Escalation to a 90 day final notice, its deadlines under /deadlines, and the 409s."""

from __future__ import annotations

PROVIDER = {"name": "Oak House", "service_type": "care_home_nursing", "categories": ["OP"]}


def register(client, headers) -> str:
    return client.post("/api/v1/providers", json=PROVIDER, headers=headers).json()["id"]


def test_an_escalation_to_a_final_notice_sets_its_deadlines(client, as_role):
    manager = as_role("manager")
    pid = register(client, manager)
    answer = client.post(
        f"/api/v1/providers/{pid}/escalation",
        json={"action": "escalate", "to": "final_notice_90_day", "reason": "residents at risk",
              "grounds": "serious safeguarding failure", "expected_version": 0},
        headers=manager,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["stage"] == "final_notice_90_day" and body["version"] == 1
    assert body["closed_to_new_placements"] is True
    assert body["deadlines"], "a final notice sets reminders and an expiry"
    due = [d["due_at"] for d in body["deadlines"]]
    assert due == sorted(due) and all(d.endswith("Z") for d in due)
    pending = client.get("/api/v1/deadlines", headers=as_role("auditor")).json()
    assert {d["id"] for d in body["deadlines"]} <= {d["id"] for d in pending}
    assert all(d["provider_id"] == pid for d in pending)
    soon = client.get("/api/v1/deadlines?before=2026-03-10T00:00:00Z", headers=manager).json()
    assert soon == []
    status = client.get(f"/api/v1/providers/{pid}/escalation", headers=as_role("officer")).json()
    assert status["stage"] == "final_notice_90_day"
    view = client.get(f"/api/v1/providers/{pid}", headers=manager).json()
    assert view["escalation_stage"] == "final_notice_90_day"


def test_lifting_from_monitoring_is_409_naming_the_state_and_allowed_actions(client, as_role):
    manager = as_role("manager")
    pid = register(client, manager)
    answer = client.post(f"/api/v1/providers/{pid}/escalation",
                         json={"action": "lift", "reason": "better"}, headers=manager)
    assert answer.status_code == 409
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["current_state"] == "monitoring"
    assert problem["allowed_actions"] == ["escalate", "propose_termination"]
    assert "there is no sanction to lift" in problem["detail"]
    assert "monitoring" in problem["detail"] and "escalate" in problem["detail"]


def test_a_stale_expected_version_is_409_and_appends_nothing(client, casework, as_role):
    manager = as_role("manager")
    pid = register(client, manager)
    first = client.post(f"/api/v1/providers/{pid}/escalation",
                        json={"action": "escalate", "reason": "QAF non-compliance", "expected_version": 0},
                        headers=manager)
    assert first.status_code == 200, first.text
    before = casework.store.head_position()
    stale = client.post(f"/api/v1/providers/{pid}/escalation",
                        json={"action": "escalate", "reason": "QAF non-compliance", "expected_version": 0},
                        headers=manager)
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 1
    assert "expected_version 1" in stale.json()["detail"]
    assert casework.store.head_position() == before


def test_a_notice_to_remedy_breach_is_issued_and_complied(client, as_role):
    manager = as_role("manager")
    pid = register(client, manager)
    issued = client.post(f"/api/v1/providers/{pid}/notices", headers=manager, json={
        "breach": "Staffing below contract levels", "actions": ["Recruit two night carers"],
        "remedy_by": "2026-04-01"})
    assert issued.status_code == 201, issued.text
    assert issued.json()["state"] == "issued"
    nid = issued.json()["id"]
    deadlines = client.get(f"/api/v1/deadlines?provider_id={pid}", headers=manager).json()
    assert any(d["source"] == f"notice-{nid}" for d in deadlines)
    done = client.post(f"/api/v1/notices/{nid}/comply", json={"note": "verified"}, headers=as_role("officer"))
    assert done.status_code == 200 and done.json()["state"] == "complied"


def test_writes_naming_an_unknown_provider_in_the_path_are_404_like_its_reads(client, casework, as_role):
    manager = as_role("manager")
    before = casework.store.head_position()
    writes = {
        "escalation": {"action": "escalate", "to": "final_notice_90_day", "reason": "risk"},
        "notices": {"breach": "Staffing", "actions": ["Recruit"], "remedy_by": "2026-04-01"},
        "provider-failure": {"trigger": "financial_collapse", "summary": "Administration likely"},
    }
    for what, body in writes.items():
        answer = client.post(f"/api/v1/providers/no-such-provider/{what}", json=body, headers=manager)
        assert answer.status_code == 404, f"{what}: {answer.status_code} {answer.text}"
        assert answer.headers["content-type"] == "application/problem+json"
        assert "no-such-provider" in answer.json()["detail"]
    read = client.get("/api/v1/providers/no-such-provider/escalation", headers=manager)
    assert read.status_code == 404
    assert casework.store.head_position() == before
