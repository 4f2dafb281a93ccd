"""The escalation ladder over HTTP (issue 18): termination only once a final notice has run its
course, immediate termination by two managers, reasons required, and the provider's answer
listing every action with whether it is allowed now and why not. Refusals append nothing."""

from __future__ import annotations

from datetime import timedelta

from casework.domain.actors import Actor, Role

PROVIDER = {"name": "Oak House", "service_type": "care_home_nursing", "categories": ["OP"]}


def register(client, headers) -> str:
    return client.post("/api/v1/providers", json=PROVIDER, headers=headers).json()["id"]


def post(client, pid, headers, **body):
    return client.post(f"/api/v1/providers/{pid}/escalation", json=body, headers=headers)


def second_manager(casework) -> dict[str, str]:
    token = casework.users.add("manager-two", Role.manager, Actor("test-admin", Role.admin)).token
    return {"Authorization": f"Bearer {token}"}


def to_final_notice(client, pid, manager) -> None:
    for why in ("QAF non-compliance", "improvement plan not delivered", "no improvement at review"):
        answer = post(client, pid, manager, action="escalate", reason=why)
        assert answer.status_code == 200, answer.text
    assert answer.json()["stage"] == "final_notice_90_day"


def test_terminate_in_the_minute_after_three_escalations_is_409_naming_the_expiry(client, casework, as_role):
    manager = as_role("manager")
    pid = register(client, manager)
    to_final_notice(client, pid, manager)
    casework.clock.advance(timedelta(minutes=1))
    before = casework.store.head_position()
    refused = post(client, pid, manager, action="terminate")
    assert refused.status_code == 409, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert "the final notice runs until 31 May 2026 (90 days left)" in problem["detail"]
    assert "terminate" not in problem["allowed_actions"]
    assert casework.store.head_position() == before
    assert client.get(f"/api/v1/providers/{pid}/escalation", headers=manager).json()["stage"] == (
        "final_notice_90_day")


def test_terminate_at_requirement_to_improve_is_409_whatever_the_reason(client, casework, as_role):
    manager = as_role("manager")
    pid = register(client, manager)
    assert post(client, pid, manager, action="escalate", reason="QAF non-compliance").status_code == 200
    before = casework.store.head_position()
    refused = post(client, pid, manager, action="terminate", reason="fed up")
    assert refused.status_code == 409
    assert "termination follows a 90 day final notice" in refused.json()["detail"]
    assert casework.store.head_position() == before


def test_the_provider_shows_the_notice_its_expiry_days_left_and_why_termination_waits(
        client, casework, as_role):
    manager = as_role("manager")
    pid = register(client, manager)
    to_final_notice(client, pid, manager)
    casework.clock.advance(timedelta(days=53))
    view = client.get(f"/api/v1/providers/{pid}", headers=manager).json()
    escalation = view["escalation"]
    notice = escalation["final_notice"]
    assert notice["issued_at"] == "2026-03-02T09:00:00Z"
    assert notice["expires_at"] == "2026-05-31T08:00:00Z"  # 09:00 in London, in summer time
    assert (notice["days_left"], notice["expired"]) == (37, False)
    actions = {a["action"]: a for a in escalation["actions"]}
    assert actions["terminate"] == {"action": "terminate", "allowed": False, "to": [],
                                    "reason": "the final notice runs until 31 May 2026 (37 days left)"}
    assert actions["lift"]["allowed"] and actions["propose_termination"]["allowed"]
    assert escalation["allowed_actions"] == [a for a, s in actions.items() if s["allowed"]]
    assert "serious safeguarding failure" in escalation["grounds"]
    as_of = client.get(f"/api/v1/providers/{pid}?as_of=2026-03-03T00:00:00Z", headers=manager).json()
    assert as_of["escalation"] is None, "the ladder's actions are of now, not of the past"


def test_terminate_after_the_notice_has_run_its_course_works_and_needs_a_reason(client, casework, as_role):
    manager = as_role("manager")
    pid = register(client, manager)
    to_final_notice(client, pid, manager)
    casework.clock.advance(timedelta(days=90))
    view = client.get(f"/api/v1/providers/{pid}", headers=manager).json()["escalation"]
    assert view["final_notice"]["expired"] and view["final_notice"]["days_left"] == 0
    assert "terminate" in view["allowed_actions"]
    before = casework.store.head_position()
    no_reason = post(client, pid, manager, action="terminate", reason="  ")
    assert no_reason.status_code == 422
    assert [e["field"] for e in no_reason.json()["errors"]] == ["reason"]
    assert casework.store.head_position() == before
    done = post(client, pid, manager, action="terminate", reason="No improvement over the 90 days")
    assert done.status_code == 200, done.text
    assert done.json()["stage"] == "terminated" and done.json()["allowed_actions"] == []


def test_every_escalation_names_its_reason(client, casework, as_role):
    manager = as_role("manager")
    pid = register(client, manager)
    before = casework.store.head_position()
    for body in ({"action": "escalate"}, {"action": "escalate", "reason": "   "},
                 {"action": "escalate", "reason": "x" * 20_001}):
        answer = post(client, pid, manager, **body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == "reason"
    skip = post(client, pid, manager, action="escalate", to="contract_suspension", reason="residents at risk")
    assert skip.status_code == 422 and skip.json()["errors"][0]["field"] == "grounds"
    assert casework.store.head_position() == before


def test_immediate_termination_needs_a_second_manager(client, casework, as_role):
    manager, other = as_role("manager"), second_manager(casework)
    pid = register(client, manager)
    proposed = post(client, pid, manager, action="propose_termination", grounds="insolvency",
                    reason="The provider entered administration")
    assert proposed.status_code == 200, proposed.text
    body = proposed.json()
    assert body["stage"] == "monitoring"
    assert body["proposal"]["proposed_by"] == "manager" and body["proposal"]["grounds"] == "insolvency"
    assert body["proposal"]["lapses_at"] == "2026-03-09T09:00:00Z"
    mine = {a["action"]: a for a in body["actions"]}["approve_termination"]
    assert not mine["allowed"] and "second manager" in mine["reason"]

    before = casework.store.head_position()
    same = post(client, pid, manager, action="approve_termination")
    assert same.status_code == 409 and "a second manager must approve" in same.json()["detail"]
    assert casework.store.head_position() == before
    theirs = client.get(f"/api/v1/providers/{pid}", headers=other).json()["escalation"]
    assert "approve_termination" in theirs["allowed_actions"]

    approved = post(client, pid, other, action="approve_termination", reason="Agreed with legal")
    assert approved.status_code == 200, approved.text
    assert approved.json()["stage"] == "terminated"
    history = client.get(f"/api/v1/providers/{pid}/history", headers=as_role("auditor")).json()
    types = [e["type"] for e in history]
    assert types[-3:] == [
        "ImmediateTerminationProposed", "ImmediateTerminationApproved", "ContractTerminated"]
    terminated = history[-1]["data"]
    assert terminated["immediate"] is True and terminated["grounds"] == "insolvency"
    assert history[-2]["data"]["approved_by"] == "manager-two" and history[-2]["actor"] == "manager-two"
    assert history[-1]["alert"].startswith(
        "CONTRACT TERMINATED IMMEDIATELY for a serious breach (insolvency)")
    assert "approved by manager-two" in history[-2]["alert"]


def test_an_expired_proposal_cannot_be_approved(client, casework, as_role):
    manager, other = as_role("manager"), second_manager(casework)
    pid = register(client, manager)
    assert post(client, pid, manager, action="propose_termination", grounds="fraud",
                reason="Invoices for care not delivered").status_code == 200
    casework.clock.advance(timedelta(days=7))
    before = casework.store.head_position()
    late = post(client, pid, other, action="approve_termination")
    assert late.status_code == 409
    assert "lapsed unapproved on 9 Mar 2026" in late.json()["detail"]
    assert casework.store.head_position() == before
    view = client.get(f"/api/v1/providers/{pid}/escalation", headers=other).json()
    assert view["proposal"]["lapsed"] is True and view["stage"] == "monitoring"


def test_a_proposal_needs_grounds_from_the_list_and_can_be_rejected(client, casework, as_role):
    manager, other = as_role("manager"), second_manager(casework)
    pid = register(client, manager)
    bad = post(client, pid, manager, action="propose_termination", grounds="fed up", reason="x")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "grounds"
    assert post(client, pid, manager, action="propose_termination", grounds="fraud",
                reason="Invoices for care not delivered").status_code == 200
    rejected = post(client, pid, other, action="reject_termination", reason="Police found no fraud")
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["proposal"] is None and rejected.json()["stage"] == "monitoring"


def test_an_officer_is_shown_every_action_as_not_theirs(client, casework, as_role):
    manager = as_role("manager")
    pid = register(client, manager)
    view = client.get(f"/api/v1/providers/{pid}", headers=as_role("officer")).json()["escalation"]
    assert view["allowed_actions"] == []
    assert all("may not" in a["reason"] for a in view["actions"])
