"""The web interface driven in headless Chromium, as the team uses it. Each test saves a
screenshot of the pages it visits in test-artifacts/web/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from casework.domain.actors import Actor, Role
from casework.domain.escalation import EscalateContract
from casework.domain.providers import RegisterProvider

from .conftest import Live
from .support import screenshot, sign_in

pytestmark = pytest.mark.browser

MANNY = Actor("manny", Role.manager)


def register(live: Live, name: str) -> str:
    command = RegisterProvider(name=name, service_type="care_home_residential", district="Leicester",
                               categories=["OP"])
    return live.cw.application.execute(command, MANNY).aggregate_id


def test_a_record_is_logged_then_allocated_assessed_actioned_and_closed_from_the_inbox(page, live) -> None:
    provider_id = register(live, "Abbey Lodge Care Home")
    sign_in(page, live, "manny")
    page.get_by_text("Log new intelligence").click()
    page.get_by_label("Provider").select_option(provider_id)
    page.get_by_label("Source").select_option("whistleblowing")
    page.get_by_role("button", name="Log record").click()
    # Refused: the summary is missing. The reason is next to the field; the choices are kept.
    expect(page.locator("#log-summary-error")).to_contain_text("Write a short summary")
    expect(page.get_by_label("Provider")).to_have_value(provider_id)
    expect(page.get_by_label("Source")).to_have_value("whistleblowing")
    page.get_by_label("Summary").fill("Night staff asleep on shift; call bells unanswered")
    page.get_by_label("Name").fill("A. Carer")
    page.get_by_role("button", name="Log record").click()
    page.wait_for_url(re.compile(r"logged="))
    record_id = re.search(r"logged=([0-9a-f-]+)", page.url).group(1)
    row = page.locator(f"#rec-{record_id}")
    expect(row).to_contain_text("Logged")
    expect(row).to_contain_text("Allocation due")

    page.evaluate("window.__sameDocument = true")  # survives only if nothing reloads the page
    row.get_by_text("Allocate", exact=True).first.click()
    row.get_by_label("Officer").select_option("olive")
    row.get_by_role("button", name="Allocate").click()
    expect(row.locator("td[data-label=State]")).to_have_text("Allocated")
    expect(row.locator("td[data-label=Owner]")).to_have_text("olive")

    row.get_by_text("Assess risk").first.click()
    row.get_by_role("button", name="Assess risk").click()  # nothing chosen: refused in place
    expect(row.locator(".field__error").first).to_be_visible()
    row.get_by_label("Risk").select_option("high")
    row.get_by_text("Yes").click()
    row.get_by_label("Rationale").fill("Repeated concerns about night staffing")
    row.get_by_role("button", name="Assess risk").click()
    expect(row.locator("td[data-label=State]")).to_have_text("Risk assessed")
    expect(row.locator("td[data-label=Risk]")).to_contain_text("High")

    row.get_by_text("Record an action").first.click()
    row.get_by_label("Action taken").select_option("responsive_visit")
    row.get_by_role("button", name="Record an action").click()
    expect(row.locator("td[data-label=State]")).to_have_text("Actioned")

    row.get_by_text("Close", exact=True).first.click()
    row.get_by_label("Outcome").select_option("actioned")
    row.get_by_role("button", name="Close").click()
    expect(row.locator("td[data-label=State]")).to_have_text("Closed")
    assert page.evaluate("window.__sameDocument") is True
    screenshot(page, "inbox")

    page.goto(f"/intelligence/{record_id}")
    expect(page.locator("h1")).to_have_text("Intelligence record")
    expect(page.locator("dd", has_text="A. Carer")).to_be_visible()  # a manager sees the whistleblower
    expect(page.locator(".timeline")).to_contain_text("whistleblower: A. Carer")  # and in its history
    expect(page.locator(".timeline li")).to_have_count(5)
    screenshot(page, "record")


def test_escalating_a_provider_changes_its_stage_and_deadlines(page, live) -> None:
    provider_id = register(live, "Brook House Nursing Home")
    sign_in(page, live, "manny")
    page.goto(f"/providers/{provider_id}")
    expect(page.locator("#escalation-stage")).to_have_text("Monitoring")
    expect(page.locator("#escalation-deadlines")).to_contain_text("No deadlines pending")
    page.locator("summary", has_text="Escalate").click()
    page.get_by_label("Escalate to").select_option("contract_suspension")
    page.get_by_role("button", name="Escalate").click()
    # Every step names its reason: refused, with the reason next to the field.
    expect(page.locator("#esc-reason-error")).to_contain_text("must not be empty")
    expect(page.get_by_label("Escalate to")).to_have_value("contract_suspension")
    page.locator("#esc-reason").fill("QAF non-compliant: medication management")
    page.get_by_role("button", name="Escalate").click()
    # Skipping a stage needs grounds from the council's list of serious breaches.
    expect(page.locator("#esc-grounds-error")).to_contain_text("needs grounds")
    page.get_by_label("Escalate to").select_option("requirement_to_improve")
    page.get_by_role("button", name="Escalate").click()
    page.wait_for_url(re.compile(r"saved=escalate"))
    expect(page.locator("#escalation-stage")).to_have_text("Requirement to improve")
    deadlines = page.locator("#escalation-deadlines")
    expect(deadlines).to_contain_text("Improvement plan due")
    expect(deadlines).to_contain_text("Mon 16 Mar 2026")  # 14 days after 2 March
    screenshot(page, "provider-escalated")


def test_a_final_notice_shows_its_expiry_and_the_escalation_offers_no_termination_before_it(
        page, live) -> None:
    provider_id = register(live, "Larch House")
    for why in ("QAF non-compliance", "Improvement plan not delivered", "No improvement at review"):
        live.cw.application.execute(EscalateContract(provider_id=provider_id, reason=why), MANNY)
    expires = live.cw.sanctions.notice_expires(live.clock.now())
    sign_in(page, live, "manny")
    page.goto(f"/providers/{provider_id}")
    expect(page.locator("#escalation-stage")).to_have_text("90 day final notice")
    expect(page.locator("#final-notice-expiry")).to_contain_text(f"{expires.day} {expires:%b %Y}")
    expect(page.locator("#final-notice-days-left")).to_have_text("90 days left")
    expect(page.locator("#escalation-actions summary", has_text="Terminate")).to_have_count(0)
    expect(page.locator("#escalation-refused")).to_contain_text("the final notice runs until")
    propose = page.locator("#escalation-actions summary", has_text="Propose immediate termination")
    expect(propose).to_be_visible()
    screenshot(page, "provider-final-notice")


def test_the_timeline_filters_by_kind_and_the_as_of_view_shows_the_provider_as_it_stood(page, live) -> None:
    live.clock.set(live.clock.now() - timedelta(days=20))
    try:
        provider_id = register(live, "Cedar Court")
    finally:
        live.clock.advance(timedelta(days=20))
    live.cw.application.execute(
        EscalateContract(
            provider_id=provider_id, reason="Safeguarding concerns"
        ),
        MANNY,
    )
    sign_in(page, live, "audrey")  # the auditor replays history
    page.goto(f"/providers/{provider_id}")
    expect(page.locator("#escalation-stage")).to_have_text("Requirement to improve")
    expect(page.locator("#timeline-events > li")).to_have_count(2)
    expect(page.locator("#timeline-events > li").first).to_contain_text(
        "Contract escalated from monitoring to requirement to improve: Safeguarding concerns")
    page.get_by_label("Order").select_option("oldest")
    expect(page.locator("#timeline-events > li").first).to_contain_text("manny registered Cedar Court")
    page.get_by_label("Show", exact=True).select_option("escalation")
    expect(page.locator("#timeline-events > li")).to_have_count(1)
    expect(page.locator("#timeline-count")).to_contain_text("1 event")
    screenshot(page, "provider-timeline")

    ten_days_ago = (live.clock.now() - timedelta(days=10)).date().isoformat()
    page.get_by_label("As it happened on").fill(ten_days_ago)
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#as-of-banner")).to_be_visible()
    expect(page.locator("#escalation-stage")).to_have_text("Monitoring")
    page.get_by_label("Show", exact=True).select_option("")  # everything recorded by then
    expect(page.locator("#timeline-count")).to_contain_text("1 event,")
    expect(page.locator("#timeline-events > li")).to_contain_text(["Provider registered"])
    expect(page.locator("#timeline-events > li")).to_contain_text(["manny registered Cedar Court"])
    expect(page.locator("#as-of-banner")).to_be_visible()  # the filter keeps the date
    # An auditor is offered nothing to change, now or then.
    assert page.locator("form[method=post] button").all_inner_texts() == ["Sign out"]
    screenshot(page, "provider-as-of")


def test_the_dashboard_shows_the_demo_years_figures_as_charts_and_tables(demo_page, demo_live) -> None:
    page = demo_page
    sign_in(page, demo_live, "olive")
    page.goto("/dashboard?start=2018-04-01&end=2019-03-31")
    expect(page.locator("#fig-logged")).to_have_text("2,161")
    expect(page.locator("#fig-actioned")).to_have_text("417")
    expect(page.locator("#fig-visits")).to_have_text("464")
    expect(page.locator("canvas[data-drawn=true]")).to_have_count(7)  # Chart.js drew every chart
    cqc = page.locator("#chart-cqc")  # the council's contracted providers, not the Devon homes
    expect(cqc).to_contain_text("CQC ratings of contracted providers")
    expect(cqc).to_contain_text("Latest overall rating of 133 rated providers")
    qaf = page.locator("#chart-qaf table")
    expect(qaf.locator("tr", has_text="Care home (nursing)")).to_contain_text("18")
    expect(qaf.locator("tr", has_text="Care home (residential)")).to_contain_text("75")
    expect(page.locator("#ranked-providers tbody tr").first).to_be_visible()
    screenshot(page, "dashboard")
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, portrait
    expect(page.locator("canvas[data-drawn=true]")).to_have_count(7)
    screenshot(page, "dashboard-tablet", full_page=False)


def test_the_demo_provider_page_as_it_happened_on_1_sep_2018_shows_that_days_stage(
    demo_page, demo_live
) -> None:
    # Issue 19: "as of" any day of the demonstration year showed "Nothing had been recorded".
    from casework.projections.provider_view import list_providers

    page = demo_page
    [suspended] = list_providers(demo_live.cw, stage="final_notice_90_day")
    sign_in(page, demo_live, "audrey")
    page.goto(f"/providers/{suspended.id}")
    expect(page.locator("#escalation-stage")).to_have_text("90 day final notice")
    page.get_by_label("As it happened on").fill("2018-09-01")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#as-happened-banner")).to_contain_text("As it happened at the end of Sat 1 Sep 2018")
    expect(page.locator("#escalation-stage")).to_have_text("Monitoring")
    expect(page.locator("h1")).to_have_text(suspended.name)
    # The timeline reads in sentences, in the order things happened, each marked as recorded
    # late (the demonstration was written in one day, long after).
    first = page.locator("#timeline-events > li").first
    expect(first.locator(".tag--late")).to_contain_text("recorded late")
    timeline = page.locator("#timeline-events").inner_text()
    for raw in ("{", "True", "False", "None", "Scores", "Announced"):
        assert raw not in timeline, raw
    screenshot(page, "provider-as-it-happened-2018-09-01")

    page.get_by_label("As it happened on").fill("2018-09-03")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#escalation-stage")).to_have_text("Requirement to improve")
    # As known on the same day: nothing had been recorded yet.
    page.get_by_label("As it happened on").fill("")
    page.get_by_label("As known on").fill("2018-09-01")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#as-known-banner")).to_be_visible()
    expect(page.locator("#nothing-then")).to_have_text(
        "Nothing had been recorded about this provider by then.")
    screenshot(page, "provider-as-known-2018-09-01")
