"""Issue 20: the web inbox's "All records" and the providers list never stop silently at a
limit: each shows "1–100 of N", with links to the next and previous pages that keep the
filters, and the inbox's figures count every record."""

from __future__ import annotations

import re
from datetime import timedelta

from casework.domain.actors import Actor, Role
from casework.domain.intelligence import LogIntelligence
from casework.domain.providers import RegisterProvider
from casework.projections.paging import PAGE_SIZE

from .conftest import Web

MANNY = Actor("manny", Role.manager)
MORE = PAGE_SIZE + 7


def _caption(html: str) -> str:
    return re.sub(r"\s+", " ", re.search(r"<caption>(.*?)</caption>", html, re.S).group(1)).strip()


def _link(html: str, rel: str) -> str | None:
    found = re.search(rf'rel="{rel}" href="([^"]+)"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def _rows(html: str) -> int:
    body = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    return len(re.findall(r"<tr[ >]", body))


def test_all_records_in_the_inbox_come_in_pages_of_100_with_the_total(web: Web) -> None:
    app = web.cw.application
    registered = app.execute(RegisterProvider(name="Rose Court", service_type="supported_living"), MANNY)
    pid = registered.aggregate_id
    for n in range(MORE):
        app.execute(LogIntelligence(provider_id=pid, source="cqc", summary=f"Report {n}",
                                    received_at=web.clock.now() - timedelta(minutes=n + 1)), MANNY)
    web.sign_in("olive")
    first = web.client.get("/inbox?show=all").text
    assert _caption(first).startswith(f"1–{PAGE_SIZE} of {MORE} records (all records)")
    assert _rows(first) == PAGE_SIZE and _link(first, "prev") is None
    assert f'<span class="figure__value">{MORE}</span><span class="figure__label">Open records' in first
    following = _link(first, "next")
    assert following is not None and "show=all" in following and f"offset={PAGE_SIZE}" in following
    second = web.client.get(following).text
    assert _caption(second).startswith(f"{PAGE_SIZE + 1}–{MORE} of {MORE} records")
    assert _rows(second) == MORE - PAGE_SIZE and _link(second, "next") is None
    assert "offset=0" in _link(second, "prev")
    shown = re.findall(r"Report (\d+)", first + second)
    assert sorted(set(map(int, shown))) == list(range(MORE))


def test_the_providers_list_comes_in_pages_keeping_the_search(web: Web) -> None:
    app = web.cw.application
    for n in range(MORE):
        app.execute(RegisterProvider(name=f"Oak House {n:03d}", service_type="supported_living"), MANNY)
    app.execute(RegisterProvider(name="Birch Lodge", service_type="supported_living"), MANNY)
    web.sign_in("olive")
    first = web.client.get("/providers?q=oak").text
    assert _caption(first) == f"1–{PAGE_SIZE} of {MORE} providers, highest risk first"
    following = _link(first, "next")
    assert "q=oak" in following
    second = web.client.get(following).text
    assert _caption(second) == f"{PAGE_SIZE + 1}–{MORE} of {MORE} providers, highest risk first"
    assert "Birch Lodge" not in first + second
    whole = web.client.get("/providers?q=birch").text
    assert _caption(whole) == "1 provider, highest risk first" and _link(whole, "next") is None


def test_a_page_address_that_is_not_a_number_shows_the_first_page(web: Web) -> None:
    web.sign_in("olive")
    for address in ("/providers?offset=abc", "/inbox?offset=-5", "/inbox?show=all&offset=99999999999"):
        assert web.client.get(address).status_code == 200, address


def test_a_providers_timeline_comes_in_pages_with_the_total_and_keeps_its_filters(web: Web) -> None:
    from casework.domain.enums import Rag, RiskCriterion
    from casework.domain.providers import RecordRiskCriterion

    app = web.cw.application
    pid = app.execute(RegisterProvider(name="Long House", service_type="home_care"), MANNY).aggregate_id
    for n in range(MORE):
        app.execute(RecordRiskCriterion(provider_id=pid, criterion=RiskCriterion.fire_safety,
                                        rag=Rag.green if n % 2 else Rag.amber), MANNY)
    web.sign_in("olive")
    first = web.client.get(f"/providers/{pid}", params={"order": "oldest"}).text
    total = MORE + 1  # and its registration
    count = re.search(r'id="timeline-count">([^<]*)', first).group(1)
    assert count.startswith(f"1–{PAGE_SIZE} of {total} events")
    assert first.count('<p class="event-sentence">') == PAGE_SIZE
    nxt = _link(first, "next")
    assert nxt is not None and "order=oldest" in nxt and f"offset={PAGE_SIZE}" in nxt
    second = web.client.get(nxt).text
    assert re.search(r'id="timeline-count">([^<]*)', second).group(1).startswith(
        f"{PAGE_SIZE + 1}–{total} of {total} events")
    assert second.count('<p class="event-sentence">') == total - PAGE_SIZE
    assert _link(second, "next") is None and _link(second, "prev") is not None
