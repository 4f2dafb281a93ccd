"""Issue 19: the demonstration recorded its whole 2018/19 history on the day it was loaded, so
"as of" 1 Sep 2018 by recording time showed nothing. As it happened on any day of the year, each
provider shows that day's stage, RAG, open intelligence and action items."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from casework.bootstrap import Casework
from casework.demo import load_scenario
from casework.projections.provider_view import list_providers, provider_view
from casework.projections.sources import COUNCIL_ZONE

VIEW_FIELDS = ("escalation_stage", "rag", "open_intelligence", "open_action_items",
               "open_action_plans", "open_safeguarding_concerns", "cqc_rating", "risk_score")


def end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=COUNCIL_ZONE) - timedelta(microseconds=1)


def test_the_demo_provider_pages_as_it_happened_in_2018_19(casework: Casework) -> None:
    load_scenario(casework, "leicester-2018")
    casework.projections.catch_up()
    [suspended] = list_providers(casework, stage="final_notice_90_day")
    pid = suspended.id
    # The finding: by recording time nothing was known on 1 Sep 2018.
    assert provider_view(casework, pid, known_at=end_of(date(2018, 9, 1))) is None
    stages = {day: provider_view(casework, pid, happened_at=end_of(day)).escalation_stage
              for day in (date(2018, 9, 1), date(2018, 9, 3), date(2018, 10, 14), date(2018, 10, 15),
                          date(2019, 1, 21))}
    assert stages == {date(2018, 9, 1): "monitoring", date(2018, 9, 3): "requirement_to_improve",
                      date(2018, 10, 14): "requirement_to_improve",
                      date(2018, 10, 15): "contract_suspension",
                      date(2019, 1, 21): "final_notice_90_day"}

    # Open intelligence and action items on a day, counted plainly from the history's dates.
    store = casework.store
    checked = Counter()
    for view in list_providers(casework)[:40]:
        events = store.read_history(view.id)
        for day in (date(2018, 6, 30), date(2018, 11, 30), date(2019, 3, 1)):
            at = end_of(day)
            happened = [e for e in events if e.occurred_at <= at]
            logged = {e.data["record_id"] for e in happened if e.type == "IntelligenceLogged"}
            closed = {e.data["record_id"] for e in happened if e.type == "IntelligenceClosed"}
            items = sum(len(e.data["items"]) for e in happened if e.type == "ActionPlanRaised")
            verified = sum(1 for e in happened if e.type == "ActionItemVerified")
            then = provider_view(casework, view.id, happened_at=at)
            if then is None:
                assert not happened
                continue
            assert then.open_intelligence == len(logged - closed), (view.id, day)
            assert then.open_action_items == items - verified, (view.id, day)
            checked["open intelligence"] += then.open_intelligence
            checked["open items"] += then.open_action_items
    assert checked["open intelligence"] and checked["open items"]  # the check saw some


def test_as_it_happened_now_is_todays_view_for_every_demo_provider(casework: Casework) -> None:
    # The demonstration dates every event in order: folding by when things happened ends where
    # the read model (folded by when they were recorded) is.
    load_scenario(casework, "leicester-2018")
    casework.projections.catch_up()
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    for view in list_providers(casework, now=now):
        then = provider_view(casework, view.id, happened_at=now, now=now)
        assert {f: getattr(then, f) for f in VIEW_FIELDS} == {f: getattr(view, f) for f in VIEW_FIELDS}


def test_casework_history_as_of_a_demo_day_prints_sentences_in_the_order_things_happened(
    casework: Casework, database_url: str
) -> None:
    import os
    import subprocess
    import sys

    load_scenario(casework, "leicester-2018")
    casework.projections.catch_up()
    [suspended] = list_providers(casework, stage="final_notice_90_day")
    env = {**os.environ, "CASEWORK_DATABASE_URL": database_url, "CASEWORK_SCHEDULER_ENABLED": "false"}
    answer = subprocess.run([sys.executable, "-m", "casework.cli", "history", suspended.id,
                             "--as-of", "2018-09-03"], env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert answer.returncode == 0, answer.stderr
    out = answer.stdout
    assert f"History of {suspended.name}" in out and "as it happened at 3 Sep 2018, 23:59" in out
    assert "Contract escalated from monitoring to requirement to improve" in out
    assert "contract suspension" not in out  # 15 Oct 2018: not yet
    assert "recorded late: " in out
    for raw in ("{", "True", "False", "None"):
        assert raw not in out, raw
    happened = [line.split("  ", 1)[0] for line in out.splitlines()
                if line[:1].isdigit() and "  " in line]
    days = [datetime.strptime(when, "%d %b %Y, %H:%M") for when in happened]
    assert days and days == sorted(days)
