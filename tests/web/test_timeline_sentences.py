"""Issue 19 on the pages: the provider timeline and a record's history read as sentences with
names and links, never raw data; a whistleblower's name shows only to managers, and as
"[erased]" to everyone once erased."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from casework.domain.actors import Actor, Role
from casework.domain.intelligence import AllocateIntelligence, LogIntelligence
from casework.domain.personal_data import PersonDetails
from casework.domain.providers import RegisterProvider
from casework.domain.visits import CompleteVisit, PlanVisit
from casework.erasure import erase_person

from .conftest import Web

MANNY = Actor("manny", Role.manager)


def _timeline(page: str) -> str:
    found = re.search(r'<ol class="timeline"[^>]*>(.*?)</ol>', page, re.S)
    assert found, "no timeline on the page"
    inner = re.sub(r"</?a\b[^>]*>", "", found.group(1))  # a link's words stay in their sentence
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inner)).split())


def test_the_provider_timeline_reads_as_sentences_and_guards_the_whistleblowers_name(web: Web) -> None:
    app = web.cw.application
    pid = app.execute(RegisterProvider(name="Elm Tree House", service_type="care_home_residential"),
                      MANNY).aggregate_id
    rid = app.execute(LogIntelligence(
        provider_id=pid, source="whistleblowing", summary="Staff shortages at night",
        received_at=web.clock.now() - timedelta(hours=1),
        whistleblower=PersonDetails(name="Jo Whistle", contact="07700 900123")), MANNY).aggregate_id
    app.execute(AllocateIntelligence(record_id=rid, officer="olive"), MANNY)
    vid = app.execute(PlanVisit(provider_id=pid, reason="responsive", planned_for=web.clock.now(),
                                announced=False), MANNY).aggregate_id
    app.execute(CompleteVisit(visit_id=vid, findings="Rotas seen", rag="amber"), MANNY)

    web.sign_in("olive")
    page = web.client.get(f"/providers/{pid}").text
    text = _timeline(page)
    assert "manny allocated intelligence record 'Staff shortages at night' (whistleblowing, received " in text
    assert f'href="/intelligence/{rid}"' in page
    assert "whistleblower: (name restricted)" in text and "Jo Whistle" not in page
    assert "planned a responsive visit" in text and "(unannounced)" in text
    assert "Visit completed: Amber" in text
    for raw in ("{", "True", "False", "None", "Scores", "Announced", rid):
        assert raw not in text, raw
    record = _timeline(web.client.get(f"/intelligence/{rid}").text)
    assert "manny allocated" in record and "to olive" in record and rid not in record

    web.sign_in("manny")
    assert "whistleblower: Jo Whistle" in _timeline(web.client.get(f"/providers/{pid}").text)
    logged = next(e for e in web.cw.store.read_history(pid) if e.type == "IntelligenceLogged")
    erase_person(web.cw.store, web.cw.vault, logged.data["whistleblower"]["person_id"],
                 "consent_withdrawn", MANNY)
    for who in ("manny", "olive"):
        web.sign_in(who)
        after = _timeline(web.client.get(f"/providers/{pid}").text)
        assert "whistleblower: [erased]" in after and "Jo Whistle" not in after, who


def test_the_timeline_is_in_the_order_things_happened_with_a_toggle_to_recording_order(web: Web) -> None:
    # Finding: the timeline listed a 22 Jan 2019 entry below 3 Sep 2018 ones (recording order).
    from datetime import UTC, datetime

    from casework.domain.providers import RecordRiskCriterion

    app = web.cw.application
    web.clock.set(datetime(2019, 1, 22, 10, tzinfo=UTC))
    pid = app.execute(RegisterProvider(name="Elm Tree House", service_type="care_home_residential",
                                       occurred_at=datetime(2018, 4, 2, 10, tzinfo=UTC)), MANNY).aggregate_id
    app.execute(RecordRiskCriterion(provider_id=pid, criterion="fire_safety", rag="green"), MANNY)
    web.clock.set(datetime(2019, 1, 23, 10, tzinfo=UTC))
    app.execute(RecordRiskCriterion(provider_id=pid, criterion="food_hygiene", rag="red",
                                    occurred_at=datetime(2018, 9, 3, 10, tzinfo=UTC)), MANNY)
    web.sign_in("audrey")
    happened = _timeline(web.client.get(f"/providers/{pid}", params={"order": "oldest"}).text)
    assert happened.index("registered") < happened.index("Food hygiene") < happened.index("Fire safety")
    assert "recorded late: Wed 23 Jan 2019" in happened
    by_recording = {"order": "oldest", "by": "recorded"}
    recorded = _timeline(web.client.get(f"/providers/{pid}", params=by_recording).text)
    assert recorded.index("registered") < recorded.index("Fire safety") < recorded.index("Food hygiene")
    as_then = web.client.get(f"/providers/{pid}", params={"as_happened": "2018-09-03"}).text
    assert "Food hygiene" in _timeline(as_then) and "Fire safety" not in _timeline(as_then)
    assert "As it happened at the end of Mon 3 Sep 2018" in as_then
