"""What each role is offered: buttons follow the record's allowed actions and the role's
permissions; auditors see no write buttons; only managers see a whistleblower's identity."""

from __future__ import annotations

import re
from datetime import timedelta

from casework.domain.actors import Actor, Role
from casework.domain.intelligence import AllocateIntelligence, LogIntelligence
from casework.domain.personal_data import PersonDetails
from casework.domain.providers import RegisterProvider

from .conftest import Web

MANNY = Actor("manny", Role.manager)


def _provider_and_record(web: Web) -> tuple[str, str]:
    app = web.cw.application
    provider = app.execute(RegisterProvider(name="Elm Tree House", service_type="supported_living"), MANNY)
    record = app.execute(
        LogIntelligence(
            provider_id=provider.aggregate_id, source="whistleblowing", summary="Rotas falsified",
            received_at=web.clock.now() - timedelta(hours=1),
            whistleblower=PersonDetails(name="Jo Whistle", contact="07700 900123"),
        ),
        MANNY,
    )
    return provider.aggregate_id, record.aggregate_id


def _post_buttons(html: str) -> list[str]:
    forms = re.findall(r'<form method="post" action="([^"]+)"', html)
    return [f for f in forms if f != "/signout"]


def test_an_auditor_sees_no_write_buttons_anywhere(web: Web) -> None:
    provider_id, record_id = _provider_and_record(web)
    web.sign_in("audrey")
    for path in ("/inbox", f"/intelligence/{record_id}", f"/providers/{provider_id}", "/dashboard"):
        answer = web.client.get(path)
        assert answer.status_code == 200, path
        assert _post_buttons(answer.text) == [], path
    assert "Log new intelligence" not in web.client.get("/inbox").text


def test_allocation_is_offered_to_managers_only(web: Web) -> None:
    _, record_id = _provider_and_record(web)
    web.sign_in("olive")
    officer_view = web.client.get(f"/intelligence/{record_id}").text
    assert f"/intelligence/{record_id}/allocate" not in officer_view
    assert "Log new intelligence" in web.client.get("/inbox").text
    web.sign_in("manny")
    assert f"/intelligence/{record_id}/allocate" in web.client.get(f"/intelligence/{record_id}").text


def test_buttons_follow_the_records_state(web: Web) -> None:
    _, record_id = _provider_and_record(web)
    web.cw.application.execute(AllocateIntelligence(record_id=record_id, officer="olive"), MANNY)
    web.sign_in("olive")
    html = web.client.get(f"/intelligence/{record_id}").text
    assert f"/intelligence/{record_id}/assess" in html
    assert f"/intelligence/{record_id}/close" not in html  # not until it is risk assessed
    assert f"/intelligence/{record_id}/take_action" not in html


def test_escalation_buttons_are_for_managers(web: Web) -> None:
    provider_id, _ = _provider_and_record(web)
    web.sign_in("olive")
    html = web.client.get(f"/providers/{provider_id}").text
    assert f"/providers/{provider_id}/escalation" not in html
    assert f"/providers/{provider_id}/notices" not in html
    assert f"/providers/{provider_id}/visits" in html  # officers plan visits
    web.sign_in("manny")
    html = web.client.get(f"/providers/{provider_id}").text
    assert f"/providers/{provider_id}/escalation" in html
    assert 'value="escalate"' in html and 'value="propose_termination"' in html
    assert 'value="terminate"' not in html  # termination follows a final notice that has run
    assert 'value="lift"' not in html  # nothing to lift at monitoring


def test_only_managers_see_the_whistleblowers_identity(web: Web) -> None:
    _, record_id = _provider_and_record(web)
    web.sign_in("olive")
    html = web.client.get(f"/intelligence/{record_id}").text
    assert "Jo Whistle" not in html and "visible to managers only" in html
    web.sign_in("audrey")
    assert "Jo Whistle" not in web.client.get(f"/intelligence/{record_id}").text
    web.sign_in("manny")
    assert "Jo Whistle" in web.client.get(f"/intelligence/{record_id}").text


def test_a_refused_action_says_why_and_keeps_what_was_typed(web: Web) -> None:
    _, record_id = _provider_and_record(web)
    csrf = web.sign_in("manny")
    answer = web.client.post(
        f"/intelligence/{record_id}/close",
        data={"csrf_token": csrf, "outcome": "actioned", "note": "My careful note"},
    )
    assert answer.status_code == 409
    assert "Cannot close intelligence record" in answer.text and "(allowed: allocate)" in answer.text
    assert "My careful note" in answer.text
