"""A manager sees, on every page, which read model has stopped and what to do; others do not."""

from __future__ import annotations

from casework.projections import checkpoints

from .conftest import Web

PAGES = ["/inbox", "/providers", "/dashboard"]


def test_managers_see_a_banner_naming_a_halted_read_model_and_how_to_rebuild_it(web: Web) -> None:
    web.cw.projections.catch_up()
    with web.cw.engine.begin() as conn:
        checkpoints.mark_halted(conn, "triage", "DataError: value too long")
    web.sign_in("manny")
    for page in PAGES:
        html = web.client.get(page).text
        assert "<strong>triage</strong> has stopped" in html, page
        assert "casework rebuild --projection triage" in html, page
        assert "DataError" not in html
    web.sign_in("olive")  # an officer
    assert "has stopped" not in web.client.get("/inbox").text


def test_no_banner_while_every_read_model_runs(web: Web) -> None:
    web.sign_in("manny")
    assert "has stopped" not in web.client.get("/inbox").text
