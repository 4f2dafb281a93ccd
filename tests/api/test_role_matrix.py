"""Every write route x every role: officers and managers as spec/domain.md says, managers alone
for allocation, sanctions, notices' issue and extension and the provider-failure procedure's
opening, initiation and closure; auditors and admins never write. A refusal appends nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

ROLES = ("officer", "manager", "auditor", "admin")
OFFICERS = frozenset({"officer", "manager"})
MANAGERS = frozenset({"manager"})
SELF = frozenset({"officer", "manager", "admin"})  # their own digest and calendar feed
ADMINS = frozenset({"admin"})
WHEN = "2026-03-01T10:00:00Z"


class Setup:
    """Builds the records a route needs, through the API, as a manager."""

    def __init__(self, client, headers) -> None:
        self.client, self.headers = client, headers

    def post(self, path: str, body: dict) -> str:
        answer = self.client.post(f"/api/v1{path}", json=body, headers=self.headers)
        assert answer.status_code in (200, 201), f"setup {path}: {answer.text}"
        return answer.json()["id"]

    def provider(self) -> dict:
        return {"pid": self.post("/providers", {"name": "Elm Court", "service_type": "home_care"})}

    def record(self, upto: str = "logged") -> dict:
        ids = self.provider()
        rid = self.post("/intelligence", {"provider_id": ids["pid"], "source": "complaint",
                                          "received_at": WHEN, "summary": "Missed calls"})
        steps = [("allocated", "allocate", {"officer": "officer"}),
                 ("risk_assessed", "assess", {"risk": "medium", "action_required": True,
                                              "rationale": "pattern"}),
                 ("actioned", "actions", {"action": "information_request"}),
                 ("closed", "close", {"outcome": "actioned"})]
        for state, action, body in steps:
            if upto == "logged":
                break
            self.post(f"/intelligence/{rid}/{action}", body)
            if state == upto:
                break
        return {**ids, "rid": rid}

    def person(self) -> dict:
        ids = self.provider()
        rid = self.post("/intelligence", {"provider_id": ids["pid"], "source": "whistleblowing",
                                          "received_at": WHEN, "summary": "Rotas falsified",
                                          "whistleblower": {"name": "Jo Whistle"}})
        record = self.client.get(f"/api/v1/intelligence/{rid}", headers=self.headers).json()
        return {**ids, "rid": rid, "person": record["whistleblower"]["person_id"]}

    def visit(self) -> dict:
        ids = self.provider()
        vid = self.post("/visits", {"provider_id": ids["pid"], "reason": "responsive",
                                    "planned_for": "2026-03-05T10:00:00Z", "announced": False})
        return {**ids, "vid": vid}

    def assessment(self, with_visit: bool = False) -> dict:
        ids = self.visit()
        aid = self.post("/assessments", {"provider_id": ids["pid"]})
        if with_visit:
            self.post(f"/assessments/{aid}/visits", {"visit_id": ids["vid"]})
        return {**ids, "aid": aid}

    def plan(self, upto: str = "open") -> dict:
        ids = self.visit()
        plan_id = self.post("/action-plans", {
            "provider_id": ids["pid"], "raised_from": {"kind": "visit", "id": ids["vid"]},
            "items": [{"description": "Update care plans", "theme": "person_centred_care_planning",
                       "owner": "Home manager", "due": "2026-04-30"}]})
        for step in ("start", "complete"):
            if upto in ("open",) or (upto == "in_progress" and step == "complete"):
                break
            self.post(f"/action-plans/{plan_id}/items/1/{step}", {})
        return {**ids, "plan": plan_id}

    def concern(self, upto: str = "raised") -> dict:
        ids = self.provider()
        cid = self.post("/safeguarding-concerns", {"provider_id": ids["pid"], "category": "neglect",
                                                   "summary": "Pressure sores"})
        if upto in ("referred", "outcome_recorded"):
            self.post(f"/safeguarding-concerns/{cid}/refer", {"section_42": True})
        if upto == "outcome_recorded":
            self.post(f"/safeguarding-concerns/{cid}/outcome", {"outcome": "substantiated"})
        return {**ids, "cid": cid}

    def notice(self) -> dict:
        ids = self.provider()
        nid = self.post(f"/providers/{ids['pid']}/notices", {
            "breach": "Late medication", "actions": ["Audit MAR charts"], "remedy_by": "2026-04-01"})
        return {**ids, "nid": nid}

    def procedure(self, upto: str = "concern_identified") -> dict:
        ids = self.provider()
        fid = self.post(f"/providers/{ids['pid']}/provider-failure",
                        {"trigger": "financial_collapse", "summary": "Administration likely"})
        order = ["procedure_initiated", "contingency_planning", "residents_moving"]
        bodies = {"procedure_initiated": ("initiate", {"lead": "manager"}),
                  "contingency_planning": ("contingency-planning", {"strategy_meeting_notes": "held"}),
                  "residents_moving": ("residents-moving", {"residents_to_move": 12})}
        for state in order[: order.index(upto) + 1] if upto in order else []:
            action, body = bodies[state]
            self.post(f"/provider-failure/{fid}/{action}", body)
        return {**ids, "fid": fid}


@dataclass(frozen=True)
class Write:
    path: str
    body: dict
    prepare: Callable[[Setup], dict]
    allowed: frozenset[str]


WRITES: dict[str, Write] = {
    "register provider": Write("/providers", {"name": "Ash Villa", "service_type": "extra_care"},
                               lambda s: {}, OFFICERS),
    "cqc rating": Write("/providers/{pid}/cqc-ratings", {"report_date": "2026-01-10", "overall": "good"},
                        Setup.provider, OFFICERS),
    "risk criterion": Write("/providers/{pid}/risk-criteria", {"criterion": "fire_safety", "rag": "amber"},
                            Setup.provider, OFFICERS),
    "close provider": Write("/providers/{pid}/close", {"kind": "closure", "reason": "Closed"},
                            Setup.provider, OFFICERS),
    "log intelligence": Write("/intelligence", {"provider_id": "{pid}", "source": "cqc",
                                                "received_at": WHEN, "summary": "Report"},
                              Setup.provider, OFFICERS),
    "allocate": Write("/intelligence/{rid}/allocate", {"officer": "officer"}, Setup.record, MANAGERS),
    "assess": Write("/intelligence/{rid}/assess",
                    {"risk": "low", "action_required": False, "rationale": "isolated"},
                    lambda s: s.record("allocated"), OFFICERS),
    "take action": Write("/intelligence/{rid}/actions", {"action": "responsive_visit"},
                         lambda s: s.record("risk_assessed"), OFFICERS),
    "close record": Write("/intelligence/{rid}/close", {"outcome": "actioned"},
                          lambda s: s.record("actioned"), OFFICERS),
    "reopen record": Write("/intelligence/{rid}/reopen", {"reason": "New evidence"},
                           lambda s: s.record("closed"), OFFICERS),
    "plan visit": Write("/visits", {"provider_id": "{pid}", "reason": "welcome",
                                    "planned_for": "2026-03-09T10:00:00Z"}, Setup.provider, OFFICERS),
    "reschedule visit": Write("/visits/{vid}/reschedule", {"planned_for": "2026-03-10T10:00:00Z"},
                              Setup.visit, OFFICERS),
    "complete visit": Write("/visits/{vid}/complete", {"findings": "Calls on time"}, Setup.visit, OFFICERS),
    "cancel visit": Write("/visits/{vid}/cancel", {"reason": "Outbreak"}, Setup.visit, OFFICERS),
    "open assessment": Write("/assessments", {"provider_id": "{pid}"}, Setup.provider, OFFICERS),
    "add assessment visit": Write("/assessments/{aid}/visits", {"visit_id": "{vid}"},
                                  Setup.assessment, OFFICERS),
    "conclude assessment": Write("/assessments/{aid}/conclude", {"outcome": "compliant", "rag": "green"},
                                 lambda s: s.assessment(with_visit=True), OFFICERS),
    "raise action plan": Write("/action-plans", {
        "provider_id": "{pid}", "raised_from": {"kind": "visit", "id": "{vid}"},
        "items": [{"description": "Train staff", "theme": "staffing", "owner": "Manager",
                   "due": "2026-05-01"}]}, Setup.visit, OFFICERS),
    "add item": Write("/action-plans/{plan}/items", {"item": {
        "description": "Audit", "theme": "governance", "owner": "Manager", "due": "2026-05-01"}},
        Setup.plan, OFFICERS),
    "start item": Write("/action-plans/{plan}/items/1/start", {}, Setup.plan, OFFICERS),
    "complete item": Write("/action-plans/{plan}/items/1/complete", {"note": "done"},
                           lambda s: s.plan("in_progress"), OFFICERS),
    "verify item": Write("/action-plans/{plan}/items/1/verify", {"note": "seen"},
                         lambda s: s.plan("completed"), OFFICERS),
    "return item": Write("/action-plans/{plan}/items/1/return", {"reason": "Not evidenced"},
                         lambda s: s.plan("completed"), OFFICERS),
    "item due date": Write("/action-plans/{plan}/items/1/due-date",
                           {"due": "2026-06-30", "reason": "Agreed"}, Setup.plan, OFFICERS),
    "raise concern": Write("/safeguarding-concerns", {"provider_id": "{pid}", "category": "financial",
                                                      "summary": "Missing money"}, Setup.provider, OFFICERS),
    "refer concern": Write("/safeguarding-concerns/{cid}/refer", {"section_42": False},
                           Setup.concern, OFFICERS),
    "concern outcome": Write("/safeguarding-concerns/{cid}/outcome", {"outcome": "inconclusive"},
                             lambda s: s.concern("referred"), OFFICERS),
    "close concern": Write("/safeguarding-concerns/{cid}/close", {},
                           lambda s: s.concern("outcome_recorded"), OFFICERS),
    "escalate": Write("/providers/{pid}/escalation", {"action": "escalate", "reason": "QAF non-compliance"},
                      Setup.provider, MANAGERS),
    "lead officer": Write("/providers/{pid}/lead-officer", {"officer": "officer"}, Setup.provider, MANAGERS),
    "provider details": Write("/providers/{pid}/details", {"contracted": False}, Setup.provider, OFFICERS),
    "issue notice": Write("/providers/{pid}/notices", {"breach": "Staffing", "actions": ["Recruit"],
                                                      "remedy_by": "2026-04-01"}, Setup.provider, MANAGERS),
    "notice complied": Write("/notices/{nid}/comply", {"note": "ok"}, Setup.notice, OFFICERS),
    "extend notice": Write("/notices/{nid}/extend", {"remedy_by": "2026-05-01", "reason": "Recruiting"},
                           Setup.notice, MANAGERS),
    "notice failed": Write("/notices/{nid}/fail", {"note": "not done"}, Setup.notice, OFFICERS),
    "provider failure": Write("/providers/{pid}/provider-failure",
                              {"trigger": "contract_hand_back", "summary": "Handing back"},
                              Setup.provider, MANAGERS),
    "initiate procedure": Write("/provider-failure/{fid}/initiate", {"lead": "manager"},
                                Setup.procedure, MANAGERS),
    "contingency planning": Write("/provider-failure/{fid}/contingency-planning",
                                  {"strategy_meeting_notes": "Agreed moves"},
                                  lambda s: s.procedure("procedure_initiated"), OFFICERS),
    "review contingency": Write("/provider-failure/{fid}/reviews", {"note": "Week 1"},
                                lambda s: s.procedure("contingency_planning"), OFFICERS),
    "residents moving": Write("/provider-failure/{fid}/residents-moving", {"residents_to_move": 3},
                              lambda s: s.procedure("contingency_planning"), OFFICERS),
    "close procedure": Write("/provider-failure/{fid}/close", {"outcome": "recovered", "note": "Buyer found"},
                             Setup.procedure, MANAGERS),
    "erase person": Write("/people/{person}/erase", {"grounds": "data_subject_request"}, Setup.person,
                          MANAGERS),
    "my digest": Write("/me/digests", {"digests": False}, lambda s: {}, SELF),
    "my calendar feed": Write("/me/calendar", {}, lambda s: {}, SELF),
    "revoke my calendar feed": Write("/me/calendar/revoke", {}, lambda s: {}, SELF),
    "user's email": Write("/users/{user}/settings", {"email": "officer@council.example"},
                          lambda s: {"user": "officer"}, ADMINS),
    "user's calendar feed": Write("/users/{user}/calendar", {}, lambda s: {"user": "officer"}, ADMINS),
    "revoke user's calendar feed": Write("/users/{user}/calendar/revoke", {},
                                         lambda s: {"user": "officer"}, ADMINS),
}


def _fill(value, ids: dict):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


def test_the_matrix_covers_every_write_route_of_the_api(client):
    spec = client.get("/openapi.json").json()
    posts = {path for path, ops in spec["paths"].items() if "post" in ops}
    covered = {f"/api/v1{w.path}".replace("{pid}", "{provider_id}").replace("{rid}", "{record_id}")
               .replace("{vid}", "{visit_id}").replace("{aid}", "{assessment_id}")
               .replace("{plan}", "{plan_id}").replace("/1/", "/{item_id}/")
               .replace("{cid}", "{concern_id}").replace("{nid}", "{notice_id}")
               .replace("{fid}", "{procedure_id}").replace("{person}", "{person_id}")
               .replace("{user}", "{name}")
               for w in WRITES.values()}
    assert posts == covered


@pytest.mark.parametrize("name", list(WRITES))
def test_each_role_may_or_may_not_write(name, client, casework, as_role):
    write = WRITES[name]
    setup = Setup(client, as_role("manager"))
    ids = write.prepare(setup)
    path, body = f"/api/v1{_fill(write.path, ids)}", _fill(write.body, ids)
    before = casework.store.head_position()
    for role in ROLES:
        if role in write.allowed:
            continue
        answer = client.post(path, json=body, headers=as_role(role))
        assert answer.status_code == 403, f"{role} {name}: {answer.status_code} {answer.text}"
        assert answer.headers["content-type"] == "application/problem+json"
        assert role in answer.json()["detail"]
    assert casework.store.head_position() == before, "a refused write appended something"
    for i, role in enumerate(sorted(write.allowed)):
        if i:  # a fresh record for each permitted role: the first one moved it on
            ids = write.prepare(setup)
            path, body = f"/api/v1{_fill(write.path, ids)}", _fill(write.body, ids)
        answer = client.post(path, json=body, headers=as_role(role))
        assert answer.status_code in (200, 201), f"{role} {name}: {answer.status_code} {answer.text}"
