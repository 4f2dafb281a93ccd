"""Issue 19 over HTTP: a provider's view, risk matrix and history as it happened at one instant
and as known at another; ``as_of`` stays the older name of ``as_known_at``; the history is in the
order things happened (recording order on request), each entry with a sentence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

PROVIDER = {"name": "Birch Grange", "service_type": "care_home_residential", "categories": ["OP"]}
REGISTERED = datetime(2018, 4, 2, 10, tzinfo=UTC)


def _q(instant: datetime) -> str:
    return instant.isoformat()


def test_as_it_happened_and_as_known_over_http(client, casework, clock, as_role):
    manager = as_role("manager")
    clock.set(REGISTERED + timedelta(days=400))  # everything written up long afterwards
    pid = client.post("/api/v1/providers", json={**PROVIDER, "occurred_at": _q(REGISTERED)},
                      headers=manager).json()["id"]
    suspended_on = datetime(2018, 9, 3, 10, tzinfo=UTC)
    answer = client.post(f"/api/v1/providers/{pid}/escalation", headers=manager,
                         json={"action": "escalate", "reason": "Missed calls",
                               "occurred_at": _q(suspended_on)})
    assert answer.status_code == 200, answer.text
    url = f"/api/v1/providers/{pid}"
    day_before = _q(datetime(2018, 9, 2, 20, tzinfo=UTC))
    # As known on 1 Sep 2018 there was nothing (the finding); as it happened, the provider was
    # at monitoring, and moved to requirement to improve on 3 Sep.
    assert client.get(url, params={"as_of": day_before}, headers=manager).status_code == 404
    assert client.get(url, params={"as_known_at": day_before}, headers=manager).status_code == 404
    then = client.get(url, params={"as_happened_at": day_before}, headers=manager).json()
    assert then["escalation_stage"] == "monitoring" and then["as_happened_at"].startswith("2018-09-02")
    after = client.get(url, params={"as_happened_at": _q(suspended_on + timedelta(hours=1))},
                       headers=manager).json()
    assert after["escalation_stage"] == "requirement_to_improve"
    matrix = client.get(f"{url}/risk-matrix", params={"as_happened_at": day_before}, headers=manager)
    assert matrix.status_code == 200, matrix.text
    assert matrix.json()["on"] == "2018-09-02"
    assert {c["number"]: c["rag"] for c in matrix.json()["criteria"]}[10] == "green"
    now_matrix = client.get(f"{url}/risk-matrix", headers=manager).json()
    assert {c["number"]: c["rag"] for c in now_matrix["criteria"]}[10] == "amber"
    both = client.get(url, params={"as_happened_at": day_before, "as_known_at": _q(clock.now())},
                      headers=manager)
    assert both.json()["escalation_stage"] == "monitoring"
    clash = client.get(url, params={"as_of": day_before, "as_known_at": _q(clock.now())}, headers=manager)
    assert clash.status_code == 422 and clash.json()["errors"][0]["field"] == "as_of"

    history = client.get(f"{url}/history", headers=manager).json()
    assert [e["type"] for e in history] == ["ProviderRegistered", "RequirementToImproveIssued"]
    assert all(e["recorded_late"] for e in history)
    assert history[0]["sentence"].startswith("manager registered Birch Grange")
    assert history[1]["sentence"].startswith("Contract escalated from monitoring to requirement to improve")
    cut = client.get(f"{url}/history", params={"as_happened_at": day_before}, headers=manager).json()
    assert [e["type"] for e in cut] == ["ProviderRegistered"]
    recorded = client.get(f"{url}/history", params={"order": "recorded"}, headers=manager).json()
    assert [e["position"] for e in recorded] == sorted(e["position"] for e in recorded)
    assert client.get(f"{url}/history", params={"order": "sideways"}, headers=manager).status_code == 422


def test_the_history_is_in_the_order_things_happened_with_late_entries_marked(client, clock, as_role):
    # Finding: the timeline listed events in recording order (a 22 Jan 2019 entry below
    # 3 Sep 2018 ones).
    manager = as_role("manager")
    clock.set(datetime(2019, 1, 22, 9, tzinfo=UTC))
    pid = client.post("/api/v1/providers", json={**PROVIDER, "occurred_at": _q(REGISTERED)},
                      headers=manager).json()["id"]
    client.post(f"/api/v1/providers/{pid}/escalation", headers=manager,
                json={"action": "escalate", "reason": "Missed calls"})
    clock.set(datetime(2019, 1, 23, 9, tzinfo=UTC))
    client.post(f"/api/v1/providers/{pid}/risk-criteria", headers=manager, json={
        "criterion": "fire_safety", "rag": "red", "occurred_at": _q(datetime(2018, 9, 3, 10, tzinfo=UTC))})
    history = client.get(f"/api/v1/providers/{pid}/history", headers=manager).json()
    assert [e["occurred_at"][:10] for e in history] == ["2018-04-02", "2018-09-03", "2019-01-22"]
    assert [e["recorded_late"] for e in history] == [True, True, False]
    assert "Risk criterion 'Fire safety' recorded: Red" in history[1]["sentence"]
