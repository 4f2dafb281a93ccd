"""Forms as a busy officer meets them: every problem named at once, beside its field and in a
summary at the top, what was typed kept; and every part of the page a change affects updated."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from casework.domain.actors import Actor, Role
from casework.domain.intelligence import LogIntelligence
from casework.domain.providers import RegisterProvider

from .support import screenshot, sign_in

pytestmark = pytest.mark.browser

MANNY = Actor("manny", Role.manager)


def test_an_empty_log_form_names_every_missing_field_at_once_in_plain_words(page, live) -> None:
    sign_in(page, live, "manny")
    page.get_by_text("Log new intelligence").click()
    page.get_by_label("Received").fill("")
    page.get_by_label("Name").fill("Typed but not lost")
    page.get_by_role("button", name="Log record").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("a")).to_have_text([
        "Choose the provider the intelligence is about",
        "Choose where the intelligence came from",
        "Enter when the team received it, e.g. 02/03/2026 09:30",
        "Write a short summary of what was reported",
    ])
    expect(page.locator("#log-provider_id-error")).to_contain_text("Choose the provider")
    expect(page.locator("#log-source-error")).to_contain_text("Choose where the intelligence came from")
    expect(page.locator("#log-summary-error")).to_contain_text("Write a short summary")
    expect(page.get_by_label("Name")).to_have_value("Typed but not lost")
    assert "Input should be" not in page.content()  # no validator's words reach the page
    screenshot(page, "form-errors")
    # A link of the summary takes the officer to the field.
    summary.get_by_text("Write a short summary").click()
    expect(page.get_by_label("Summary")).to_be_focused()


def test_acting_on_a_record_updates_its_status_badge_without_a_reload(page, live) -> None:
    pid = live.cw.application.execute(
        RegisterProvider(name="Badge House", service_type="care_home_residential"), MANNY
    ).aggregate_id
    rid = live.cw.application.execute(
        LogIntelligence(provider_id=pid, source="complaint", received_at=live.clock.now(),
                        summary="Call bells unanswered"), MANNY,
    ).aggregate_id
    sign_in(page, live, "manny")
    page.goto(f"/intelligence/{rid}")
    badge = page.locator(".page-head .tag").first
    expect(badge).to_contain_text("Logged")
    page.evaluate("window.__sameDocument = true")
    # On the record's page the first action the record allows is open, ready to fill in.
    page.get_by_label("Officer").select_option("olive")
    page.get_by_role("button", name="Allocate").click()
    expect(badge).to_contain_text("Allocated")
    page.locator("details.action summary", has_text="Assess risk").click()
    page.get_by_label("Risk").select_option("high")
    page.get_by_text("Yes").click()
    page.get_by_label("Rationale").fill("Repeated complaints")
    page.get_by_role("button", name="Assess risk").click()
    expect(page.locator(".page-head")).to_contain_text(re.compile("Risk assessed"))
    expect(page.locator(".page-head")).to_contain_text("High")
    assert page.evaluate("window.__sameDocument") is True  # updated in place, not reloaded
