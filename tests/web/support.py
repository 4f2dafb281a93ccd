"""Helpers shared by the web tests."""

from __future__ import annotations

import re
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(tab, live, name: str) -> None:
    tab.goto("/signin")
    tab.get_by_label("Your token").fill(live.users.token(name))
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(re.compile(r"/inbox"))


def screenshot(tab, name: str, full_page: bool = True) -> Path:
    """Save the page as test-artifacts/web/<name>.png (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=full_page)
    return path
