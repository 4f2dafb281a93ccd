"""A web form passes its command only the fields the form has (issue 17, finding 7).

The browser could choose a new record's id (``record_id``, ``concern_id``, ``visit_id``,
``notice_id``), backdate a write (``occurred_at``) or pick a framework by adding a field to a form,
because every posted field went to the command. A 150-character ``record_id`` then halted the
triage read model on PostgreSQL (its column holds 64). Now each form declares its fields
(``casework.web.forms.WebForm``) and anything else posted is ignored: the record gets an id the
server made, and the write happens now. Runs on both backends.
"""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from html.parser import HTMLParser
from typing import TYPE_CHECKING

import pytest

from casework.domain.actors import Actor, Role
from casework.domain.escalation import ProposeImmediateTermination
from casework.events.store import StoredEvent
from casework.web.forms import PAGE_FIELDS
from casework.web.pages import intelligence, providers

from .conftest import Web

if TYPE_CHECKING:
    from casework.web.forms import WebForm

CHOSEN_IDS = ["chosen-by-the-browser", "x" * 150, "bad/id", "名前"]
# Ids, times and references a form does not offer, added to every post below.
EXTRAS = {
    "record_id": "x" * 150, "concern_id": "x" * 150, "visit_id": "x" * 150, "notice_id": "x" * 150,
    "plan_id": "x" * 150, "item_id": "x" * 150, "provider_id": "x" * 150,
    "occurred_at": "2026-01-05T10:00:00+00:00", "framework_id": "made-up", "framework_version": "99",
    "triggered_by.kind": "intelligence", "triggered_by.id": "x" * 150,
}


def _provider(web: Web) -> str:
    token = web.users.token("manny")
    answer = web.client.post("/api/v1/providers", json={"name": "Elm Court", "service_type": "home_care"},
                             headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def _new_events(web: Web, head: int) -> list[StoredEvent]:
    return web.cw.store.read_all(after=head, limit=100)


def _server_made(ident: str) -> bool:
    return str(uuid.UUID(ident)) == ident


def test_a_posted_record_id_is_ignored_and_the_record_gets_a_server_made_id(web_on_both: Web) -> None:
    web = web_on_both
    csrf = web.sign_in("manny")
    pid = _provider(web)
    for chosen in CHOSEN_IDS:
        form = {"provider_id": pid, "source": "complaint", "received_at": "2026-03-01T10:00",
                "summary": "Call bells unanswered", "record_id": chosen, "csrf_token": csrf}
        answer = web.client.post("/intelligence", data=form, follow_redirects=False)
        assert answer.status_code == 303, (chosen, answer.status_code)
        made = re.search(r"logged=([^#&]+)", answer.headers["location"]).group(1)
        assert made != chosen and _server_made(made)
        assert web.client.get(f"/intelligence/{made}").status_code == 200
        assert web.cw.projections.halted == {}
    inbox = web.client.get("/inbox").text
    assert inbox.count("Call bells unanswered") == len(CHOSEN_IDS)  # every record reached the inbox


CREATING_FORMS = [
    ("/providers/{pid}/safeguarding", {"category": "neglect", "summary": "Pressure sores"}, "safeguarding"),
    ("/providers/{pid}/visits", {"reason": "welcome", "planned_for": "2026-03-09T10:00"}, "visit"),
    ("/providers/{pid}/notices", {"breach": "Staffing", "actions": "Recruit", "remedy_by": "2026-04-01"},
     "notice"),
]


@pytest.mark.parametrize(("path", "form", "kind"), CREATING_FORMS, ids=[k for *_, k in CREATING_FORMS])
def test_a_form_that_creates_a_record_ignores_ids_and_times_it_does_not_have(
    web_on_both: Web, path: str, form: dict, kind: str
) -> None:
    web = web_on_both
    csrf = web.sign_in("manny")
    pid = _provider(web)
    head = web.cw.store.head_position()
    answer = web.client.post(path.format(pid=pid), data={**form, **EXTRAS, "csrf_token": csrf},
                             follow_redirects=False)
    assert answer.status_code == 303, answer.text[-800:]
    (event,) = [e for e in _new_events(web, head) if e.stream.startswith(f"{kind}-")]
    made = event.stream.removeprefix(f"{kind}-")
    assert _server_made(made) and "x" * 20 not in event.stream
    assert event.occurred_at == web.clock.now()  # not the posted occurred_at
    assert event.metadata["provider_id"] == pid
    assert "triggered_by" not in event.data or event.data["triggered_by"] is None
    assert web.cw.projections.halted == {}


def test_an_action_form_ignores_fields_it_does_not_have(web_on_both: Web) -> None:
    """The record acted on is the one in the path, and the write happens now, whatever is added."""
    web = web_on_both
    csrf = web.sign_in("manny")
    pid = _provider(web)
    logged = web.client.post("/intelligence", data={
        "provider_id": pid, "source": "complaint", "received_at": "2026-03-01T10:00",
        "summary": "Missed calls", "csrf_token": csrf}, follow_redirects=False)
    rid = re.search(r"logged=([^#&]+)", logged.headers["location"]).group(1)
    head = web.cw.store.head_position()
    answer = web.client.post(f"/intelligence/{rid}/allocate",
                             data={"officer": "olive", **EXTRAS, "csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303, answer.text[-800:]
    (event,) = _new_events(web, head)
    assert event.stream == f"intelligence-{rid}" and event.type == "IntelligenceAllocated"
    assert event.occurred_at == web.clock.now()
    assert web.clock.now() - timedelta(days=1) < event.occurred_at


def test_a_refused_form_shows_again_only_the_fields_it_has(web_on_both: Web) -> None:
    web = web_on_both
    csrf = web.sign_in("manny")
    pid = _provider(web)
    answer = web.client.post(f"/providers/{pid}/notices", data={
        "breach": "Staffing", "actions": "", "remedy_by": "2026-04-01", "notice_id": "planted-notice-id",
        "csrf_token": csrf})
    assert answer.status_code == 422
    assert "planted-notice-id" not in answer.text


# ----------------------------------------------------------------------------- declared = rendered
class _Forms(HTMLParser):
    """Each POST form of a page: its action, the names of its fields and its hidden values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, set[str], dict[str, str]]] = []
        self._open: tuple[str, set[str], dict[str, str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self._open = (a.get("action", ""), set(), {})
        elif tag in ("input", "select", "textarea") and self._open and a.get("name"):
            self._open[1].add(a["name"])
            if a.get("type") == "hidden":
                self._open[2][a["name"]] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._open:
            self.forms.append(self._open)
            self._open = None


def _declared_form(action: str, hidden: dict[str, str]) -> WebForm | None:
    """The ``WebForm`` that handles a rendered form's action."""
    match action.strip("/").split("/"):
        case ["intelligence"]:
            return intelligence.LOG_FORM
        case ["intelligence", _, act]:
            return intelligence.FORMS[act]
        case ["providers", _, "escalation"]:
            return providers.ESCALATION_FORMS[hidden["action"]]
        case ["providers", _, "notices"]:
            return providers.NOTICE_FORM
        case ["providers", _, "lead-officer"]:
            return providers.LEAD_FORM
        case ["providers", _, "visits"]:
            return providers.VISIT_FORM
        case ["providers", _, "visits", _, act]:
            return providers.VISIT_FORMS[act]
        case ["providers", _, "action-plans", _, "items", _, act]:
            return providers.ITEM_FORMS[act]
        case ["providers", _, "safeguarding"]:
            return providers.CONCERN_FORM
        case ["providers", _, "safeguarding", _, act]:
            return providers.CONCERN_FORMS[act]
    return None


class _Api:
    def __init__(self, web: Web) -> None:
        self.web, self.auth = web, {"Authorization": f"Bearer {web.users.token('manny')}"}

    def __call__(self, path: str, body: dict) -> str:
        answer = self.web.client.post(f"/api/v1{path}", json=body, headers=self.auth)
        assert answer.status_code in (200, 201), (path, answer.text)
        return answer.json().get("id", "")


def _pages_with_every_form(web: Web) -> list[str]:
    """Pages that between them show every form: a provider with a planned visit, action items
    in progress and completed, concerns raised, referred and with an outcome; an escalated
    provider; intelligence records in each state; the inbox."""
    post = _Api(web)
    pid, escalated = (post("/providers", {"name": n, "service_type": "home_care"}) for n in ("Elm", "Oak"))
    post(f"/providers/{escalated}/escalation", {"action": "escalate", "reason": "QAF non-compliance"})
    # A final notice that has run its course (terminate), and an immediate termination proposed
    # by another manager (approve, reject): every form of the ladder.
    at_notice, proposed = (post("/providers", {"name": n, "service_type": "home_care"})
                           for n in ("Ash", "Yew"))
    for why in ("QAF non-compliance", "plan not delivered", "no improvement"):
        post(f"/providers/{at_notice}/escalation", {"action": "escalate", "reason": why})
    vid = post("/visits", {"provider_id": pid, "reason": "responsive", "planned_for": "2026-03-05T10:00:00Z"})
    item = {"description": "Update care plans", "theme": "person_centred_care_planning",
            "owner": "Home manager", "due": "2026-04-30"}
    plan = post("/action-plans", {"provider_id": pid, "raised_from": {"kind": "visit", "id": vid},
                                  "items": [item, item]})
    for path in ("items/1/start", "items/2/start", "items/2/complete"):
        post(f"/action-plans/{plan}/{path}", {})
    for upto in range(3):
        cid = post("/safeguarding-concerns", {"provider_id": pid, "category": "neglect", "summary": "Sores"})
        for path, body in [("refer", {"section_42": True}), ("outcome", {"outcome": "substantiated"})][:upto]:
            post(f"/safeguarding-concerns/{cid}/{path}", body)
    steps = [("allocate", {"officer": "manny"}),
             ("assess", {"risk": "medium", "action_required": True, "rationale": "pattern"}),
             ("actions", {"action": "information_request"}), ("close", {"outcome": "actioned"})]
    records = []
    for upto in range(len(steps) + 1):
        rid = post("/intelligence", {"provider_id": pid, "source": "complaint", "summary": "Missed calls",
                                     "received_at": "2026-03-01T10:00:00Z"})
        for action, body in steps[:upto]:
            post(f"/intelligence/{rid}/{action}", body)
        records.append(f"/intelligence/{rid}")
    # last: the final notice runs its course; the proposal is fresh
    web.clock.advance(timedelta(days=90))
    web.cw.application.execute(ProposeImmediateTermination(
        provider_id=proposed, grounds="fraud", reason="Invoiced care not delivered"),
        Actor("mona", Role.manager))
    return ["/inbox", f"/providers/{pid}", f"/providers/{escalated}", f"/providers/{at_notice}",
            f"/providers/{proposed}", *records]


def test_every_form_on_the_pages_has_exactly_the_fields_its_handler_declares(web: Web) -> None:
    """The declaration is not a second copy that can drift: each rendered form posts exactly the
    fields its handler's ``WebForm`` names, besides the page's own (``csrf_token``, ``view``)."""
    pages = _pages_with_every_form(web)
    web.sign_in("manny")
    seen: set[str] = set()
    for path in pages:
        answer = web.client.get(path)
        assert answer.status_code == 200, path
        parser = _Forms()
        parser.feed(answer.text)
        for action, names, hidden in parser.forms:
            if action == "/signout":
                continue
            form = _declared_form(action, hidden)
            assert form is not None, f"{path}: a form posting to {action} declares no WebForm"
            names -= PAGE_FIELDS
            assert all(form.has(name) for name in names), (action, names, form.fields)
            assert {f for f in form.fields if not f.endswith(".*")} <= names, (action, names, form.fields)
            seen.add(form.command.__name__)
    assert len(seen) == 24, sorted(seen)  # every form of the pages was rendered and checked
