"""Time travel and the auditor's replay."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from casework.projections import history, provider_view, risk_matrix

from .builders import T0, Recorder


def casework_cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CASEWORK_DATABASE_URL": url, "CASEWORK_SCHEDULER_ENABLED": "false"}
    return subprocess.run([sys.executable, "-m", "casework.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_provider_view_as_of_shows_the_stage_before_and_after_an_escalation(casework) -> None:
    r = Recorder(casework.store)
    casework.clock.set(T0)
    pid = r.provider(at=T0)
    casework.clock.set(T0 + timedelta(days=10))
    r.escalate(pid, "contract_suspension", T0 + timedelta(days=10))
    casework.clock.set(T0 + timedelta(days=20))

    before = provider_view(casework, pid, as_of=T0 + timedelta(days=5))
    after = provider_view(casework, pid, as_of=T0 + timedelta(days=15))
    assert (before.escalation_stage, before.closed_to_new_placements) == ("monitoring", False)
    assert (after.escalation_stage, after.closed_to_new_placements) == ("contract_suspension", True)
    assert provider_view(casework, pid).escalation_stage == "contract_suspension"
    placement = {c.number: c.rag for c in risk_matrix(casework, pid, as_of=T0 + timedelta(days=5)).criteria}
    assert placement[10] == "green"
    assert provider_view(casework, pid, as_of=T0 - timedelta(days=1)) is None


def test_as_of_is_by_recorded_time_so_a_back_dated_event_shows_only_once_recorded(casework) -> None:
    r = Recorder(casework.store)
    casework.clock.set(T0)
    pid = r.provider(at=T0)
    casework.clock.set(T0 + timedelta(days=30))
    r.record(pid, T0 + timedelta(days=2))  # happened on day 2, recorded on day 30
    assert provider_view(casework, pid, as_of=T0 + timedelta(days=10)).open_intelligence == 0
    assert provider_view(casework, pid, as_of=T0 + timedelta(days=31)).open_intelligence == 1


def _provider_with_everything(casework) -> tuple[str, Recorder]:
    r = Recorder(casework.store)
    pid = r.provider(at=T0)
    r.record(pid, T0 + timedelta(days=1), risk="high", action_required=True, whistleblower=True)
    visit = r.visit(pid, "responsive", T0 + timedelta(days=3), rag="amber")
    r.plan(pid, T0 + timedelta(days=4))
    r.escalate(pid, "requirement_to_improve", T0 + timedelta(days=5))
    r.record(Recorder(casework.store).provider(name="Someone else"), T0)  # not in this history
    return pid, r if visit else r


def test_history_lists_records_visits_plans_and_sanctions_in_one_ordered_verified_list(casework) -> None:
    pid, _ = _provider_with_everything(casework)
    found = history(casework, pid)
    assert found.verified and found.broken is None
    prefixes = [e.stream.rsplit("-", 5)[0] for e in found.events]
    assert {"provider", "intelligence", "visit", "action-plan", "escalation"} <= set(prefixes)
    # In the order things happened (the visit was planned a week before the record came in);
    # recording order on request.
    assert [e.occurred_at for e in found.events] == sorted(e.occurred_at for e in found.events)
    assert [e.position for e in found.events] != sorted(e.position for e in found.events)
    recorded = history(casework, pid, order="recorded")
    assert [e.position for e in recorded.events] == sorted(e.position for e in found.events)
    assert all(e.hash and e.actor == "amy" for e in found.events)
    logged = next(e for e in found.events if e.type == "IntelligenceLogged")
    assert logged.has_restricted_data
    assert logged.data["whistleblower"] == {"restricted": "sealed personal data, not shown"}
    assert "c2VjcmV0" not in json.dumps([e.to_json() for e in found.events])
    assert history(casework, "no-such-provider") is None


def test_history_says_when_a_stream_was_tampered_with(casework) -> None:
    pid, _ = _provider_with_everything(casework)
    with casework.engine.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE events SET data = replace(data, 'Rose Court', 'Rose Villa') "
            "WHERE type = 'ProviderRegistered'"
        )
    found = history(casework, pid)
    assert not found.verified and "altered" in found.broken


def test_casework_history_prints_json_hides_sealed_data_and_exits_1_for_unknown(
    casework, database_url
) -> None:
    pid, _ = _provider_with_everything(casework)
    result = casework_cli(database_url, "history", pid, "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["verified"] is True
    assert [e["type"] for e in document["events"]][0] == "VisitPlanned"  # planned before T0
    recorded = json.loads(casework_cli(database_url, "history", pid, "--json", "--order", "recorded").stdout)
    assert [e["type"] for e in recorded["events"]][0] == "ProviderRegistered"
    assert "c2VjcmV0" not in result.stdout
    sealed = next(e for e in casework.store.read_history(pid) if e.type == "IntelligenceLogged")
    assert sealed.data["whistleblower"]["person_id"] not in result.stdout  # nor whose key it is
    text = casework_cli(database_url, "history", pid)
    assert "sealed personal data is recorded here and not shown" in text.stdout
    # Sentences, not data: names instead of ids, no booleans or JSON.
    assert "amy registered Rose Court" in text.stdout and "whistleblower: (name restricted)" in text.stdout
    assert "{" not in text.stdout and "False" not in text.stdout
    assert "chain: verified" in text.stdout
    as_of = (casework.clock.now() - timedelta(days=3650)).astimezone(UTC).isoformat()
    assert casework_cli(database_url, "history", pid, "--as-of", as_of, "--json").returncode == 0
    assert casework_cli(database_url, "history", "no-such-provider").returncode == 1


def test_casework_rebuild_rebuilds_one_projection_without_a_progress_bar_in_a_pipe(
    casework, database_url
) -> None:
    pid, _ = _provider_with_everything(casework)
    result = casework_cli(database_url, "rebuild", "--projection", "provider_view")
    assert result.returncode == 0, result.stderr
    assert "rebuilt provider_view" in result.stdout and "━" not in result.stdout + result.stderr
    assert provider_view(casework, pid).escalation_stage == "requirement_to_improve"
    assert casework_cli(database_url, "rebuild", "--projection", "nope").returncode == 2


def test_recorded_times_are_what_as_of_compares(casework) -> None:
    # The recorder's events are recorded at the clock's time, whatever their occurred_at.
    r = Recorder(casework.store)
    casework.clock.set(datetime(2026, 3, 2, 9, tzinfo=UTC))
    pid = r.provider(at=T0)
    assert provider_view(casework, pid, as_of=T0 + timedelta(days=1)) is None


# ----------------------------------------------------------------------------- issue 19
def test_as_it_happened_counts_a_late_entry_from_when_it_happened(casework) -> None:
    # Finding: "as of" went by recording time only, so a history recorded in one day (the
    # demonstration's) showed "Nothing had been recorded" for any date before that day.
    r = Recorder(casework.store)
    casework.clock.set(T0 + timedelta(days=60))  # everything recorded on day 60
    pid = r.provider(at=T0)
    r.escalate(pid, "requirement_to_improve", T0 + timedelta(days=10))
    r.record(pid, T0 + timedelta(days=20), risk="high", action_required=True)
    r.escalate(pid, "contract_suspension", T0 + timedelta(days=30), from_stage="requirement_to_improve")
    day = T0 + timedelta(days=25)
    assert provider_view(casework, pid, as_of=day) is None  # as known then: nothing yet
    then = provider_view(casework, pid, happened_at=day)
    assert (then.escalation_stage, then.open_intelligence) == ("requirement_to_improve", 1)
    assert then.as_happened_at == day and then.as_known_at is None
    assert provider_view(casework, pid, happened_at=T0 + timedelta(days=5)).escalation_stage == "monitoring"
    assert provider_view(casework, pid, happened_at=T0 - timedelta(days=1)) is None
    matrix = risk_matrix(casework, pid, happened_at=day)
    placement = {c.number: c.rag for c in matrix.criteria}
    assert placement[10] == "amber" and placement[9] == "red"
    # Finding: the page showed "escalation stage contract_suspension": words, not identifiers.
    why = {c.number: c.basis for c in matrix.criteria}
    assert why[10] == "escalation stage: requirement to improve" and why[1] == "CQC rating unknown"
    assert not any("_" in c.basis for c in matrix.criteria)
    timeline = history(casework, pid, happened_at=day)
    assert [e.type for e in timeline.events][-1] == "RiskAssessed"
    assert all(e.recorded_late for e in timeline.events)


def test_both_times_together_what_was_on_record_then_about_an_earlier_day(casework) -> None:
    r = Recorder(casework.store)
    casework.clock.set(T0)
    pid = r.provider(at=T0)
    casework.clock.set(T0 + timedelta(days=12))
    r.escalate(pid, "requirement_to_improve", T0 + timedelta(days=10))
    casework.clock.set(T0 + timedelta(days=40))
    r.record(pid, T0 + timedelta(days=9))  # happened day 9, written up on day 40
    before, after = T0 + timedelta(days=11), T0 + timedelta(days=41)
    known_then = provider_view(casework, pid, happened_at=before, known_at=T0 + timedelta(days=20))
    assert (known_then.escalation_stage, known_then.open_intelligence) == ("requirement_to_improve", 0)
    known_now = provider_view(casework, pid, happened_at=before, known_at=after)
    assert known_now.open_intelligence == 1
    entries = history(casework, pid, happened_at=before, known_at=T0 + timedelta(days=20)).events
    assert [e.type for e in entries] == ["ProviderRegistered", "RequirementToImproveIssued"]
    assert [e.recorded_late for e in entries] == [False, True]


def test_an_event_dated_before_the_one_it_follows_counts_from_its_predecessor(casework) -> None:
    # A stream replays in version order: an allocation typed with a date before the record was
    # logged is not counted (nor folded) before the logging.
    r = Recorder(casework.store)
    casework.clock.set(T0 + timedelta(days=30))
    pid = r.provider(at=T0)
    rid = r.record(pid, T0 + timedelta(days=10))
    from casework.events.intelligence import IntelligenceAllocated
    r.add(f"intelligence-{rid}", pid, IntelligenceAllocated(record_id=rid, officer="bilal"),
          T0 + timedelta(days=5))
    assert provider_view(casework, pid, happened_at=T0 + timedelta(days=7)).open_intelligence == 0
    assert provider_view(casework, pid, happened_at=T0 + timedelta(days=11)).open_intelligence == 1
    types = [e.type for e in history(casework, pid).events]
    assert types.index("IntelligenceLogged") < types.index("IntelligenceAllocated")
