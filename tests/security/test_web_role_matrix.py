"""Every form post of the web pages x every role, as the API's matrix (tests/api/
test_role_matrix.py) does for routes: officers and managers work cases, managers alone allocate,
escalate and issue notices; auditors and admins are refused (403) and nothing is appended.
A new form post without a row here fails the coverage test."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from casework.web import PAGE_ROUTERS
from casework.web.pages import intelligence, providers

from .conftest import Http
from .scenario import WHEN

ROLES = ("officer", "manager", "auditor", "admin")
OFFICERS = frozenset({"officer", "manager"})
MANAGERS = frozenset({"manager"})
LOCAL_TIME = "2026-03-09T10:00"  # the forms' datetime-local value


class Setup:
    """Records in the state a form needs, made through the API as a manager."""

    def __init__(self, http: Http, cw: object = None) -> None:
        self.http = http
        self.cw = cw

    def post(self, path: str, body: dict) -> str:
        return self.http.created("manager", path, body)

    def provider(self) -> dict:
        return {"pid": self.post("/providers", {"name": "Elm Court", "service_type": "home_care"})}

    def record(self, upto: str = "logged") -> dict:
        ids = self.provider()
        rid = self.post("/intelligence", {"provider_id": ids["pid"], "source": "complaint",
                                          "received_at": WHEN, "summary": "Missed calls"})
        steps = [("allocate", {"officer": "officer"}),
                 ("assess", {"risk": "medium", "action_required": True, "rationale": "pattern"}),
                 ("actions", {"action": "information_request"}), ("close", {"outcome": "actioned"})]
        order = ["logged", "allocated", "risk_assessed", "actioned", "closed"]
        for action, body in steps[: order.index(upto)]:
            self.post(f"/intelligence/{rid}/{action}", body)
        return {**ids, "rid": rid}

    def visit(self) -> dict:
        ids = self.provider()
        vid = self.post("/visits", {"provider_id": ids["pid"], "reason": "responsive",
                                    "planned_for": "2026-03-05T10:00:00Z", "announced": False})
        return {**ids, "vid": vid}

    def plan(self, upto: str = "open") -> dict:
        ids = self.visit()
        plan = self.post("/action-plans", {
            "provider_id": ids["pid"], "raised_from": {"kind": "visit", "id": ids["vid"]},
            "items": [{"description": "Update care plans", "theme": "person_centred_care_planning",
                       "owner": "Home manager", "due": "2026-04-30"}]})
        for step in ("start", "complete")[: ("open", "in_progress", "completed").index(upto)]:
            self.post(f"/action-plans/{plan}/items/1/{step}", {})
        return {**ids, "plan": plan}

    def concern(self, upto: str = "raised") -> dict:
        ids = self.provider()
        cid = self.post("/safeguarding-concerns", {"provider_id": ids["pid"], "category": "neglect",
                                                   "summary": "Pressure sores"})
        if upto in ("referred", "outcome_recorded"):
            self.post(f"/safeguarding-concerns/{cid}/refer", {"section_42": True})
        if upto == "outcome_recorded":
            self.post(f"/safeguarding-concerns/{cid}/outcome", {"outcome": "substantiated"})
        return {**ids, "cid": cid}

    def escalated(self) -> dict:
        ids = self.provider()
        answer = self.http.post("manager", f"/providers/{ids['pid']}/escalation",
                                {"action": "escalate", "reason": "QAF non-compliance"})
        assert answer.status_code == 200, answer.text
        return ids

    def notice_expired(self) -> dict:
        """At a 90 day final notice issued 100 days ago: termination is allowed."""
        pid = self.post("/providers", {"name": "Elm Court", "service_type": "home_care",
                                       "occurred_at": "2025-10-01T09:00:00Z"})
        for when in ("2025-11-01T09:00:00Z", "2025-11-10T09:00:00Z", "2025-11-20T09:00:00Z"):
            answer = self.http.post("manager", f"/providers/{pid}/escalation",
                                    {"action": "escalate", "reason": "No improvement", "occurred_at": when})
            assert answer.status_code == 200, answer.text
        return {"pid": pid}

    def proposed(self) -> dict:
        """A proposal of immediate termination by another manager (four eyes)."""
        from casework.domain.actors import Actor, Role
        from casework.domain.escalation import ProposeImmediateTermination

        ids = self.provider()
        self.cw.application.execute(  # type: ignore[attr-defined]
            ProposeImmediateTermination(provider_id=ids["pid"], grounds="fraud", reason="Invoices forged"),
            Actor("deputy", Role.manager))
        return ids


@dataclass(frozen=True)
class Post:
    path: str  # with {pid}, {rid}... filled from what ``prepare`` made
    form: dict
    prepare: Callable[[Setup], dict]
    allowed: frozenset[str]


POSTS: dict[str, Post] = {
    "log intelligence": Post("/intelligence", {"provider_id": "{pid}", "source": "complaint",
                                               "received_at": "2026-03-01T10:00", "summary": "Late calls"},
                             Setup.provider, OFFICERS),
    "allocate": Post("/intelligence/{rid}/allocate", {"officer": "officer"}, Setup.record, MANAGERS),
    "assess": Post("/intelligence/{rid}/assess", {"risk": "low", "action_required": "false",
                                                  "rationale": "isolated"},
                   lambda s: s.record("allocated"), OFFICERS),
    "take_action": Post("/intelligence/{rid}/take_action", {"action": "responsive_visit"},
                        lambda s: s.record("risk_assessed"), OFFICERS),
    "close": Post("/intelligence/{rid}/close", {"outcome": "actioned"},
                  lambda s: s.record("actioned"), OFFICERS),
    "reopen": Post("/intelligence/{rid}/reopen", {"reason": "New evidence"},
                   lambda s: s.record("closed"), OFFICERS),
    "escalate": Post("/providers/{pid}/escalation", {"action": "escalate", "reason": "QAF non-compliance"},
                     Setup.provider, MANAGERS),
    "terminate": Post("/providers/{pid}/escalation",
                      {"action": "terminate", "reason": "Notice ran its course"},
                      Setup.notice_expired, MANAGERS),
    "propose termination": Post("/providers/{pid}/escalation",
                                {"action": "propose_termination", "grounds": "fraud",
                                 "reason": "Forged invoices"},
                                Setup.provider, MANAGERS),
    "approve termination": Post("/providers/{pid}/escalation", {"action": "approve_termination"},
                                Setup.proposed, MANAGERS),
    "reject termination": Post("/providers/{pid}/escalation",
                               {"action": "reject_termination", "reason": "Not proven"},
                               Setup.proposed, MANAGERS),
    "lift": Post("/providers/{pid}/escalation", {"action": "lift", "improvement": "Staffing stable"},
                 Setup.escalated, MANAGERS),
    "lead officer": Post("/providers/{pid}/lead-officer", {"officer": "officer"}, Setup.provider, MANAGERS),
    "issue notice": Post("/providers/{pid}/notices", {"breach": "Staffing", "actions": "Recruit\nTrain",
                                                      "remedy_by": "2026-04-01"}, Setup.provider, MANAGERS),
    "plan visit": Post("/providers/{pid}/visits", {"reason": "welcome", "planned_for": LOCAL_TIME},
                       Setup.provider, OFFICERS),
    "visit complete": Post("/providers/{pid}/visits/{vid}/complete", {"findings": "Calls on time"},
                           Setup.visit, OFFICERS),
    "visit cancel": Post("/providers/{pid}/visits/{vid}/cancel", {"reason": "Outbreak"},
                         Setup.visit, OFFICERS),
    "item complete": Post("/providers/{pid}/action-plans/{plan}/items/1/complete", {"note": "done"},
                          lambda s: s.plan("in_progress"), OFFICERS),
    "item verify": Post("/providers/{pid}/action-plans/{plan}/items/1/verify", {"note": "seen"},
                        lambda s: s.plan("completed"), OFFICERS),
    "item return": Post("/providers/{pid}/action-plans/{plan}/items/1/return", {"reason": "Not evidenced"},
                        lambda s: s.plan("completed"), OFFICERS),
    "raise concern": Post("/providers/{pid}/safeguarding", {"category": "financial", "summary": "Money",
                                                           "adult.name": "Ada Atrisk"},
                          Setup.provider, OFFICERS),
    "concern refer": Post("/providers/{pid}/safeguarding/{cid}/refer", {"section_42": "true"},
                          Setup.concern, OFFICERS),
    "concern record_outcome": Post("/providers/{pid}/safeguarding/{cid}/record_outcome",
                                   {"outcome": "inconclusive"}, lambda s: s.concern("referred"), OFFICERS),
    "concern close": Post("/providers/{pid}/safeguarding/{cid}/close", {},
                          lambda s: s.concern("outcome_recorded"), OFFICERS),
}

def _fill(value: object, ids: dict) -> object:
    return value.format(**ids) if isinstance(value, str) else value


def _post(http: Http, csrf: str, post: Post, ids: dict):
    form = {k: _fill(v, ids) for k, v in post.form.items()}
    return http.client.post(_fill(post.path, ids), data={**form, "csrf_token": csrf}, follow_redirects=False)


def test_the_matrix_covers_every_form_post_of_the_web_pages() -> None:
    templates = {r.path for router in PAGE_ROUTERS for r in router.routes
                 if "POST" in getattr(r, "methods", ()) and r.path not in ("/signin", "/signout")}
    assert len(templates) >= 8
    actions = {
        "/intelligence/{record_id}/{action}": set(intelligence.COMMANDS),
        "/providers/{provider_id}/escalation": set(providers.ESCALATION_COMMANDS),
        "/providers/{provider_id}/visits/{visit_id}/{action}": set(providers.VISIT_COMMANDS),
        "/providers/{provider_id}/action-plans/{plan_id}/items/{item_id}/{action}":
            set(providers.ITEM_COMMANDS),
        "/providers/{provider_id}/safeguarding/{concern_id}/{action}": set(providers.CONCERN_COMMANDS),
    }
    wanted = {(t, a) for t in templates for a in actions.get(t, {""})}
    covered = set()
    for post in POSTS.values():
        path = (post.path.replace("{pid}", "{provider_id}").replace("{rid}", "{record_id}")
                .replace("{vid}", "{visit_id}").replace("{plan}", "{plan_id}").replace("/1/", "/{item_id}/")
                .replace("{cid}", "{concern_id}"))
        action = post.form.get("action", "") if path.endswith("escalation") else ""
        if path not in templates:
            action, path = path.rsplit("/", 1)[1], path.rsplit("/", 1)[0] + "/{action}"
        covered.add((path, action))
    assert wanted == covered


@pytest.mark.parametrize("name", list(POSTS))
def test_each_role_may_or_may_not_post_each_form(name: str, site) -> None:
    cw, http = site
    post = POSTS[name]
    setup = Setup(http, cw)
    ids = post.prepare(setup)
    before = cw.store.head_position()
    for role in ROLES:
        if role in post.allowed:
            continue
        csrf = http.sign_in(role)
        answer = _post(http, csrf, post, ids)
        assert answer.status_code == 403, f"{role} {name}: {answer.status_code}"
    assert cw.store.head_position() == before, "a refused form post appended something"
    for i, role in enumerate(sorted(post.allowed)):
        if i:
            ids = post.prepare(setup)
        csrf = http.sign_in(role)
        head = cw.store.head_position()
        answer = _post(http, csrf, post, ids)
        assert answer.status_code == 303, f"{role} {name}: {answer.status_code} {answer.text[-600:]}"
        assert cw.store.head_position() > head
