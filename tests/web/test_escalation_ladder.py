"""The provider page's escalation panel (issue 18): it offers only the actions the ladder allows
now, says why the others are not possible, shows the final notice's expiry and days left, and
shows an immediate termination loudly; a refused post saves nothing and says why."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from casework.domain.actors import SYSTEM, Actor, Role
from casework.domain.escalation import ProposeImmediateTermination
from casework.domain.providers import RegisterProvider

from .conftest import Web

MANNY = Actor("manny", Role.manager)


def _provider(web: Web) -> str:
    return web.cw.application.execute(
        RegisterProvider(name="Hawthorn Lodge", service_type="care_home_residential"), MANNY
    ).aggregate_id


def offered(page: str) -> list[str]:
    """The escalation forms the page offers (only they carry ``data-action``)."""
    return re.findall(r'<details class="action" data-action="([a-z_]+)"', page)


def refused(page: str) -> dict[str, str]:
    if 'id="escalation-refused"' not in page:
        return {}
    listed = page.split('id="escalation-refused"', 1)[1].split("</ul>", 1)[0]
    return {a: html.unescape(re.sub(r"<[^>]+>", "", text)).strip()
            for a, text in re.findall(r'<li data-action="([a-z_]+)">(.*?)</li>', listed, re.S)}


def escalate(web: Web, csrf: str, provider_id: str, reason: str) -> None:
    answer = web.client.post(f"/providers/{provider_id}/escalation",
                             data={"csrf_token": csrf, "action": "escalate", "reason": reason},
                             follow_redirects=False)
    assert answer.status_code == 303, answer.text


def test_the_escalation_form_offers_only_what_the_ladder_allows_and_says_why_not(web: Web) -> None:
    provider_id = _provider(web)
    csrf = web.sign_in("manny")
    page = web.client.get(f"/providers/{provider_id}").text
    assert offered(page) == ["escalate", "propose_termination"]
    assert "Terminate the contract" not in page.split('id="escalation-refused"')[0]
    assert refused(page)["terminate"].startswith(
        "Terminate the contract: termination follows a 90 day final notice")

    for why in ("QAF non-compliance", "improvement plan not delivered", "no improvement at review"):
        escalate(web, csrf, provider_id, why)
    web.clock.advance(timedelta(days=53))
    csrf = web.sign_in("manny")  # a session ends after 30 idle minutes
    page = web.client.get(f"/providers/{provider_id}").text
    assert offered(page) == ["propose_termination", "lift"]
    assert "the final notice runs until 31 May 2026 (37 days left)" in refused(page)["terminate"]
    notice = page.split('id="final-notice"', 1)[1].split("</div>", 1)[0]
    assert "Sun 31 May 2026" in notice and "37 days left" in notice and "Mon 2 Mar 2026" in notice

    web.clock.advance(timedelta(days=37))
    web.sign_in("manny")
    page = web.client.get(f"/providers/{provider_id}").text
    assert offered(page) == ["terminate", "propose_termination", "lift"]
    assert "a decision is due" in page


def test_terminating_before_the_notice_has_run_is_refused_with_the_reason_and_saves_nothing(web: Web) -> None:
    provider_id = _provider(web)
    csrf = web.sign_in("manny")
    for why in ("QAF non-compliance", "improvement plan not delivered", "no improvement at review"):
        escalate(web, csrf, provider_id, why)
    before = web.cw.store.head_position()
    answer = web.client.post(f"/providers/{provider_id}/escalation",
                             data={"csrf_token": csrf, "action": "terminate", "reason": "fed up"})
    assert answer.status_code == 409
    assert "the final notice runs until 31 May 2026 (90 days left)" in html.unescape(answer.text)
    assert web.cw.store.head_position() == before


def test_an_immediate_termination_is_shown_loudly_and_approved_by_a_second_manager_only(web: Web) -> None:
    provider_id = _provider(web)
    web.users.tokens["mona"] = web.cw.users.add("mona", Role.manager, by=SYSTEM).token
    web.cw.application.execute(ProposeImmediateTermination(
        provider_id=provider_id, grounds="serious safeguarding failure",
        reason="Residents left without care overnight"), MANNY)

    web.sign_in("manny")
    mine = web.client.get(f"/providers/{provider_id}").text
    assert "IMMEDIATE TERMINATION PROPOSED" in mine
    assert offered(mine) == ["reject_termination"]
    assert "a second manager must approve" in refused(mine)["approve_termination"]

    csrf = web.sign_in("mona")
    theirs = web.client.get(f"/providers/{provider_id}").text
    assert offered(theirs) == ["approve_termination", "reject_termination"]
    answer = web.client.post(f"/providers/{provider_id}/escalation",
                             data={"csrf_token": csrf, "action": "approve_termination", "note": "agreed"},
                             follow_redirects=False)
    assert answer.status_code == 303, answer.text
    after = web.client.get(answer.headers["location"]).text
    assert 'id="escalation-stage">Terminated' in after
    assert offered(after) == []
    loud = re.findall(r'<li data-kind="escalation" class="timeline__loud">(.*?)</li>', after, re.S)
    assert len(loud) == 3  # proposed, approved, terminated
    assert any("CONTRACT TERMINATED IMMEDIATELY for a serious breach" in item for item in loud)
