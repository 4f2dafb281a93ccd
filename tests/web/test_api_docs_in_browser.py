"""/docs and /redoc in headless Chromium, under the policies they are served with: each renders
the API, Swagger UI's "Try it out" reaches the server, nothing breaks the policy but ReDoc's
logo (an image on cdn.redoc.ly, which the policy blocks and ReDoc then hides), and no request
leaves this server."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import Live, open_tab
from .support import screenshot

pytestmark = pytest.mark.browser

REPORT_VIOLATIONS = (
    "document.addEventListener('securitypolicyviolation', e => "
    "console.warn('csp-violation ' + e.violatedDirective + ' ' + e.blockedURI))"
)


def visit(browser, live: Live, path: str):
    context, tab, errors = open_tab(browser, live.url)
    violations: list[str] = []
    elsewhere: list[str] = []
    tab.set_default_timeout(20000)  # 2.6 MB of script to parse, and the whole API to render
    tab.add_init_script(REPORT_VIOLATIONS)
    tab.on("console", lambda m: violations.append(m.text) if m.text.startswith("csp-violation") else None)
    tab.on("request", lambda r: elsewhere.append(r.url)
           if not r.url.startswith((live.url, "data:", "blob:")) else None)
    tab.goto(path)
    return context, tab, errors, violations, elsewhere


def test_swagger_ui_works_under_its_policy_and_loads_nothing_from_elsewhere(browser, live: Live) -> None:
    context, tab, errors, violations, elsewhere = visit(browser, live, "/docs")
    health = tab.locator("#operations-health-healthz_healthz_get")
    health.locator(".opblock-summary-control").click()
    tab.get_by_role("button", name="Try it out").click()
    tab.get_by_role("button", name="Execute").click()
    expect(health.locator(".live-responses-table tbody .response-col_status")).to_have_text("200")
    screenshot(tab, "api-docs-swagger", full_page=False)
    context.close()
    assert violations == [] and elsewhere == []
    assert [e for e in errors if "favicon" not in e] == []


def test_redoc_works_under_its_policy_and_only_its_logo_is_refused(browser, live: Live) -> None:
    context, tab, errors, violations, elsewhere = visit(browser, live, "/redoc")
    expect(tab.get_by_role("heading", name="Register a provider")).to_be_visible(timeout=15000)
    tab.get_by_placeholder("Search...").fill("intelligence")
    # ReDoc builds its search index in a worker: slow on a loaded machine, so allow it time.
    results = tab.locator("[data-role='search:results']")
    expect(results).to_contain_text("Log intelligence about a provider", timeout=20000)
    screenshot(tab, "api-docs-redoc", full_page=False)
    context.close()
    logo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    assert violations == [f"csp-violation img-src {logo}"]
    assert elsewhere in ([], [logo])  # the browser refuses it before any connection
    assert [e for e in errors if "favicon" not in e and "redoc.ly" not in e] == []
