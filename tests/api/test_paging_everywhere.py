"""Issue 20: no API list stops without saying so. Every list route answers a page (100 items
unless ``limit`` says otherwise) with ``X-Total-Count`` and, while more remain, a ``Link:
<...>; rel="next"`` header; following the links reaches every item exactly once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from casework.domain.actors import SYSTEM, Actor, Role
from casework.domain.intelligence import LogIntelligence
from casework.domain.providers import RegisterProvider
from casework.projections.paging import PAGE_SIZE

MANNY = Actor("manny", Role.manager)


def _providers(casework, n: int) -> list[str]:
    return [casework.application.execute(
        RegisterProvider(name=f"Home {i:03d}", service_type="care_home_residential"), MANNY).aggregate_id
        for i in range(n)]


def _walk(client, url: str, headers) -> tuple[list[dict], list[int]]:
    """Every item, following rel="next"; and the X-Total-Count of each page."""
    items, totals = [], []
    while url:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, answer.text
        items += answer.json()
        totals.append(int(answer.headers["x-total-count"]))
        url = answer.links.get("next", {}).get("url")
    return items, totals


def test_the_providers_list_comes_in_pages_of_100_with_the_total(client, casework, as_role):
    officer = as_role("officer")
    made = _providers(casework, PAGE_SIZE + 5)
    first = client.get("/api/v1/providers", headers=officer)
    assert len(first.json()) == PAGE_SIZE
    assert first.headers["x-total-count"] == str(PAGE_SIZE + 5)
    assert first.links["next"]["url"].endswith(f"limit={PAGE_SIZE}&offset={PAGE_SIZE}")
    assert "prev" not in first.links
    second = client.get(first.links["next"]["url"], headers=officer)
    assert len(second.json()) == 5 and "next" not in second.links
    assert second.links["prev"]["url"].endswith("offset=0")
    items, totals = _walk(client, "/api/v1/providers?limit=40&sort=name", officer)
    assert sorted(i["id"] for i in items) == sorted(made) and len(items) == len(set(made))
    assert totals == [PAGE_SIZE + 5] * 3


def test_filters_are_kept_in_the_next_link_and_counted_in_the_total(client, casework, as_role):
    officer = as_role("officer")
    _providers(casework, 12)
    items, totals = _walk(client, "/api/v1/providers?q=Home%2000&limit=4", officer)
    assert [i["name"] for i in items] == sorted(f"Home {i:03d}" for i in range(10))
    assert totals == [10, 10, 10]


def test_the_inbox_says_its_total(client, casework, as_role, clock):
    (pid,) = _providers(casework, 1)
    for _ in range(7):
        casework.application.execute(LogIntelligence(
            provider_id=pid, source="cqc", summary="Rota gaps", received_at=clock.now() - timedelta(hours=1)),
            MANNY)
    items, totals = _walk(client, "/api/v1/intelligence?limit=3", as_role("officer"))
    assert len({i["id"] for i in items}) == 7 and totals == [7, 7, 7]


def test_a_providers_history_comes_in_pages(client, casework, as_role, clock):
    (pid,) = _providers(casework, 1)
    for _ in range(4):
        casework.application.execute(LogIntelligence(
            provider_id=pid, source="cqc", summary="Rota gaps", received_at=clock.now() - timedelta(hours=1)),
            MANNY)
    items, totals = _walk(client, f"/api/v1/providers/{pid}/history?limit=2", as_role("auditor"))
    assert [i["position"] for i in items] == sorted(i["position"] for i in items)
    assert len(items) == 5 and totals == [5, 5, 5]


def test_the_users_list_comes_in_pages(client, casework, as_role):
    for i in range(3):
        casework.users.add(f"user{i}", "officer", by=SYSTEM)
    items, totals = _walk(client, "/api/v1/users?limit=2", as_role("admin"))
    assert len({u["name"] for u in items}) == totals[0] == len(items) >= 3


@pytest.mark.parametrize("query", ["limit=0", "limit=5001", "offset=-1", "limit=ten"])
def test_a_page_outside_the_bounds_is_a_422_naming_the_parameter(client, as_role, query):
    answer = client.get(f"/api/v1/providers?{query}", headers=as_role("officer"))
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"].startswith("query.")


def test_openapi_documents_the_paging_headers_on_list_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/providers", "/api/v1/intelligence", "/api/v1/users",
                 "/api/v1/providers/{provider_id}/history"):
        ok = paths[path]["get"]["responses"]["200"]
        assert {"X-Total-Count", "Link"} <= set(ok["headers"]), path
        assert {p["name"] for p in paths[path]["get"]["parameters"]} >= {"limit", "offset"}, path


def test_every_api_route_that_answers_a_list_is_paged(client):
    """Issue 20: "the API gives Link: rel=next on every list route", found from the OpenAPI
    document, so that a new list route without paging fails here."""
    paths = client.get("/openapi.json").json()["paths"]
    lists = []
    for path, operations in paths.items():
        get = operations.get("get")
        ok = (get or {}).get("responses", {}).get("200", {})
        schema = ok.get("content", {}).get("application/json", {}).get("schema", {})
        if schema.get("type") == "array":
            lists.append(path)
            assert {"X-Total-Count", "Link"} <= set(ok.get("headers", {})), path
            assert {p["name"] for p in get["parameters"]} >= {"limit", "offset"}, path
    assert {"/api/v1/alerts", "/api/v1/deadlines", "/api/v1/providers"} <= set(lists)


def test_pending_deadlines_come_in_pages_that_reach_every_one(client, casework, as_role):
    from casework.domain.escalation import EscalateContract

    for pid in _providers(casework, 60):  # each escalation sets two deadlines
        casework.application.execute(EscalateContract(provider_id=pid, reason="QAF non-compliance"), MANNY)
    manager = as_role("manager")
    items, totals = _walk(client, "/api/v1/deadlines?limit=50", manager)
    assert len(totals) > 2 and len(set(totals)) == 1 and totals[0] == len(items) >= 120
    assert len({d["id"] for d in items}) == len(items)
