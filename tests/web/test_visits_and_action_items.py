"""From the provider page an officer records a planned visit (findings and framework scores) or
cancels it, and works an action plan: the provider reports an item done, an officer verifies it
or returns it; and raises, refers and closes safeguarding concerns, the adult at risk named to
managers only. A refused action says why and keeps what was typed."""

from __future__ import annotations

from datetime import date, timedelta

from casework.domain.action_plans import ACTION_PLAN, RaiseActionPlan
from casework.domain.actors import Actor, Role
from casework.domain.providers import RegisterProvider
from casework.domain.safeguarding import SAFEGUARDING
from casework.domain.visits import VISIT, PlanVisit
from casework.events.links import RecordRef

from .conftest import Web

MANNY = Actor("manny", Role.manager)


def _provider_with_visit_and_plan(web: Web) -> tuple[str, str, str]:
    app = web.cw.application
    provider_id = app.execute(
        RegisterProvider(name="Beech Court", service_type="care_home_residential"), MANNY
    ).aggregate_id
    visit_id = app.execute(
        PlanVisit(
            provider_id=provider_id, reason="full_monitoring",
            planned_for=web.clock.now() + timedelta(days=3), announced=True,
        ),
        MANNY,
    ).aggregate_id
    plan_id = app.execute(
        RaiseActionPlan(
            provider_id=provider_id,
            raised_from=RecordRef(kind="visit", id=visit_id),
            items=[{
                "description": "Update care plans", "theme": "person_centred_care_planning",
                "owner": "manager", "due": date(2026, 4, 1),
            }],
        ),
        MANNY,
    ).aggregate_id
    return provider_id, visit_id, plan_id


def test_an_officer_records_a_planned_visit_with_scores_from_the_provider_page(web: Web) -> None:
    provider_id, visit_id, _ = _provider_with_visit_and_plan(web)
    csrf = web.sign_in("olive")
    page = web.client.get(f"/providers/{provider_id}").text
    assert "Planned visits" in page and f"/visits/{visit_id}/complete" in page
    assert 'name="scores.safeguarding_and_safety"' in page  # one control per framework indicator

    refused = web.client.post(
        f"/providers/{provider_id}/visits/{visit_id}/complete",
        data={"csrf_token": csrf, "findings": "", "scores.safeguarding_and_safety": "met"},
    )
    assert refused.status_code == 422
    assert "Findings" in refused.text and 'value="met" selected' in refused.text  # kept as typed
    assert web.cw.application.load(VISIT, visit_id).state == "planned"

    saved = web.client.post(
        f"/providers/{provider_id}/visits/{visit_id}/complete",
        data={"csrf_token": csrf, "findings": "Care plans out of date",
              "scores.personalised_care": "not_met", "scores.safeguarding_and_safety": "met",
              "scores.business_management": ""},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    visit = web.cw.application.load(VISIT, visit_id)
    assert visit.state == "completed"
    assert visit.scores == {"personalised_care": "not_met", "safeguarding_and_safety": "met"}
    # 50 % overall is amber; a red area (personalised care not met) makes it non-compliant
    assert visit.rag == "amber" and visit.compliant is False
    after = web.client.get(saved.headers["location"]).text
    assert "Saved: Visit recorded" in after and "No visits planned." in after


def test_a_visit_is_cancelled_with_a_reason(web: Web) -> None:
    provider_id, visit_id, _ = _provider_with_visit_and_plan(web)
    csrf = web.sign_in("olive")
    refused = web.client.post(
        f"/providers/{provider_id}/visits/{visit_id}/cancel", data={"csrf_token": csrf, "reason": " "}
    )
    assert refused.status_code == 422 and "Reason" in refused.text
    web.client.post(
        f"/providers/{provider_id}/visits/{visit_id}/cancel",
        data={"csrf_token": csrf, "reason": "Home in outbreak: rebook"},
    )
    assert web.cw.application.load(VISIT, visit_id).state == "cancelled"


def test_an_action_item_is_reported_done_then_verified_and_the_plan_closes(web: Web) -> None:
    provider_id, _, plan_id = _provider_with_visit_and_plan(web)
    csrf = web.sign_in("olive")
    base = f"/providers/{provider_id}/action-plans/{plan_id}/items/1"
    page = web.client.get(f"/providers/{provider_id}").text
    assert f"{base}/complete" in page and f"{base}/verify" not in page  # only what the state allows

    refused = web.client.post(f"{base}/verify", data={"csrf_token": csrf, "note": "checked"})
    assert refused.status_code == 409
    assert "checked" in refused.text  # the note typed is still there

    web.client.post(f"{base}/complete", data={"csrf_token": csrf, "note": "Provider emailed evidence"})
    page = web.client.get(f"/providers/{provider_id}").text
    assert f"{base}/verify" in page and f"{base}/return" in page
    web.client.post(f"{base}/verify", data={"csrf_token": csrf, "note": "Seen at visit"})
    plan = web.cw.application.load(ACTION_PLAN, plan_id)
    assert plan.items[0].state == "verified" and plan.state == "closed"


def test_an_auditor_is_offered_none_of_these_and_is_refused_if_they_post(web: Web) -> None:
    provider_id, visit_id, plan_id = _provider_with_visit_and_plan(web)
    csrf = web.sign_in("audrey")
    page = web.client.get(f"/providers/{provider_id}").text
    assert f"/visits/{visit_id}/complete" not in page and "/items/1/complete" not in page
    answer = web.client.post(
        f"/providers/{provider_id}/action-plans/{plan_id}/items/1/complete", data={"csrf_token": csrf}
    )
    assert answer.status_code == 403
    assert web.cw.application.load(ACTION_PLAN, plan_id).items[0].state == "open"


def test_a_safeguarding_concern_is_raised_referred_and_closed_with_the_adult_named_to_managers_only(
    web: Web,
) -> None:
    provider_id, _, _ = _provider_with_visit_and_plan(web)
    csrf = web.sign_in("olive")
    refused = web.client.post(
        f"/providers/{provider_id}/safeguarding",
        data={"csrf_token": csrf, "category": "neglect", "summary": "Missed meals",
              "adult.contact": "Room 4"},
    )
    assert refused.status_code == 422 and "Room 4" in refused.text  # kept, and says what is missing
    saved = web.client.post(
        f"/providers/{provider_id}/safeguarding",
        data={"csrf_token": csrf, "category": "neglect", "summary": "Missed meals",
              "adult.name": "Ada Lovelace-Byron", "adult.contact": "Room 4"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    officer_page = web.client.get(f"/providers/{provider_id}").text
    assert "Missed meals" in officer_page and "Ada Lovelace-Byron" not in officer_page
    assert "names are shown to managers only" in officer_page

    csrf = web.sign_in("manny")
    page = web.client.get(f"/providers/{provider_id}").text
    assert "Ada Lovelace-Byron (Room 4)" in page
    concern_id = page.split(f"/providers/{provider_id}/safeguarding/")[1].split("/")[0]
    base = f"/providers/{provider_id}/safeguarding/{concern_id}"
    web.client.post(f"{base}/refer", data={"csrf_token": csrf, "section_42": "true"})
    web.client.post(f"{base}/record_outcome", data={"csrf_token": csrf, "outcome": "substantiated"})
    web.client.post(f"{base}/close", data={"csrf_token": csrf, "note": "Plan in place"})
    assert "No open safeguarding concerns." in web.client.get(f"/providers/{provider_id}").text
    concern = web.cw.application.load(SAFEGUARDING, concern_id)
    assert (concern.state, concern.section_42, concern.outcome) == ("closed", True, "substantiated")
