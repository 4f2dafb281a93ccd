"""A triage record from logged to closed, through HTTP only; whistleblower confidentiality."""

from __future__ import annotations

PROVIDER = {"name": "Rose Lodge", "service_type": "care_home_residential", "categories": ["OP"],
            "beds": 40, "district": "Exeter"}


def register(client, headers) -> str:
    answer = client.post("/api/v1/providers", json=PROVIDER, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def log_record(client, headers, provider_id, **extra) -> dict:
    body = {"provider_id": provider_id, "source": "whistleblowing",
            "received_at": "2026-03-02T08:30:00+00:00", "summary": "Night staffing below plan", **extra}
    answer = client.post("/api/v1/intelligence", json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_a_record_goes_from_logged_to_closed(client, as_role):
    officer, manager = as_role("officer"), as_role("manager")
    provider_id = register(client, officer)
    logged = log_record(client, officer, provider_id)
    assert logged["state"] == "logged" and logged["events"] == ["IntelligenceLogged"]
    rid = logged["id"]
    steps = [
        (manager, "allocate", {"officer": "officer"}, "allocated"),
        (officer, "assess", {"risk": "high", "action_required": True, "rationale": "rota gaps"},
         "risk_assessed"),
        (officer, "actions", {"action": "responsive_visit", "note": "tonight"}, "actioned"),
        (officer, "close", {"outcome": "actioned"}, "closed"),
    ]
    for headers, action, body, state in steps:
        answer = client.post(f"/api/v1/intelligence/{rid}/{action}", json=body, headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json()["state"] == state
    record = client.get(f"/api/v1/intelligence/{rid}", headers=as_role("auditor")).json()
    assert record["state"] == "closed" and record["outcome"] == "actioned"
    assert record["officer"] == "officer" and record["actions"] == ["responsive_visit"]
    assert record["allowed_actions"] == ["reopen"]
    assert record["received_at"] == "2026-03-02T08:30:00Z"


def test_whistleblower_identity_is_shown_to_managers_only(client, as_role):
    provider_id = register(client, as_role("officer"))
    rid = log_record(client, as_role("officer"), provider_id,
                     whistleblower={"name": "Sam Carer", "contact": "07700 900123"})["id"]
    seen = {role: client.get(f"/api/v1/intelligence/{rid}", headers=as_role(role)).json()["whistleblower"]
            for role in ("manager", "officer", "auditor", "admin")}
    assert seen["manager"] == {"name": "Sam Carer", "contact": "07700 900123",
                               "person_id": seen["manager"]["person_id"]}  # for erasure
    for role in ("officer", "auditor", "admin"):
        assert seen[role] == {"restricted": True}
    history = client.get(f"/api/v1/providers/{provider_id}/history", headers=as_role("auditor")).text
    assert "Sam Carer" not in history


def test_the_triage_inbox_filters_by_state_and_officer(client, as_role):
    officer, manager = as_role("officer"), as_role("manager")
    provider_id = register(client, officer)
    first = log_record(client, officer, provider_id)["id"]
    second = log_record(client, officer, provider_id)["id"]
    client.post(f"/api/v1/intelligence/{first}/allocate", json={"officer": "officer"}, headers=manager)
    inbox = client.get("/api/v1/intelligence", headers=officer).json()
    assert {i["id"] for i in inbox} == {first, second}
    mine = client.get("/api/v1/intelligence?assigned_to=officer", headers=officer).json()
    assert [i["id"] for i in mine] == [first]
    logged = client.get("/api/v1/intelligence?state=logged", headers=officer).json()
    assert [i["id"] for i in logged] == [second]
    assert logged[0]["has_whistleblower"] is False


def test_the_inbox_comes_in_pages_each_linking_to_the_next(client, as_role):
    officer = as_role("officer")
    provider_id = register(client, officer)
    logged = {log_record(client, officer, provider_id)["id"] for _ in range(5)}
    seen, url, pages = [], "/api/v1/intelligence?state=logged&limit=2", 0
    while url:
        answer = client.get(url, headers=officer)
        assert answer.status_code == 200, answer.text
        seen += [i["id"] for i in answer.json()]
        url, pages = answer.links.get("next", {}).get("url"), pages + 1
    assert pages == 3 and len(seen) == 5 and set(seen) == logged
    last = client.get("/api/v1/intelligence?state=logged&limit=2&offset=4", headers=officer)
    assert "next" not in last.links and "prev" in last.links  # nothing after the last page
    exact = client.get("/api/v1/intelligence?state=logged&limit=5", headers=officer)
    assert len(exact.json()) == 5 and "link" not in exact.headers


def test_inbox_items_are_named_by_id_like_every_resource_and_keep_record_id_deprecated(client, as_role):
    officer = as_role("officer")
    logged = log_record(client, officer, register(client, officer))
    [item] = client.get("/api/v1/intelligence", headers=officer).json()
    assert item["id"] == logged["id"]  # the id POST /intelligence answered
    assert item["record_id"] == item["id"]  # for scripts written before `id`
    schema = client.get("/openapi.json").json()["components"]["schemas"]["TriageItemOut"]
    assert {"id", "record_id"} <= set(schema["required"])
    assert schema["properties"]["record_id"]["deprecated"] is True
    assert "deprecated" not in schema["properties"]["id"]
