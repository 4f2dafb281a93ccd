"""The triage inbox and the provider list, as the API queries them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from casework.projections import list_providers, ranked_providers, triage_inbox
from casework.projections.triage import TriageFilters, triage_count

from .builders import T0, Recorder


def test_triage_inbox_filters_by_state_owner_provider_and_overdue_newest_first(casework) -> None:
    r = Recorder(casework.store)
    rose, oak = r.provider("Rose Court"), r.provider("Oak House")
    casework.clock.set(T0 + timedelta(days=1, hours=1))
    old = r.record(rose, T0)  # received Monday: allocation due Tuesday 09:00, now past
    fresh = r.record(oak, T0 + timedelta(days=1), allocate_to="bob")
    whistle = r.record(oak, T0 + timedelta(days=1, minutes=30), whistleblower=True)
    inbox = triage_inbox(casework)
    assert [i.record_id for i in inbox] == [whistle, fresh, old]
    assert [i.record_id for i in triage_inbox(casework, overdue=True)] == [old]
    assert [i.record_id for i in triage_inbox(casework, assigned_to="bob")] == [fresh]
    assert {i.record_id for i in triage_inbox(casework, provider_id=oak)} == {fresh, whistle}
    assert [i.record_id for i in triage_inbox(casework, state="logged")] == [whistle, old]
    assert inbox[0].has_whistleblower and inbox[0].provider_name == "Oak House"
    assert inbox[2].service_level == "allocation" and inbox[2].overdue


def test_the_inbox_totals_agree_with_the_records_listed_as_they_move_and_after_a_rebuild(
    casework,
) -> None:
    """The totals by state are kept beside the rows (no count of every record): each filter's
    total is the number of records it lists, after records move on and after a rebuild."""
    r = Recorder(casework.store)
    rose, oak = r.provider("Rose Court"), r.provider("Oak House")
    casework.clock.set(T0 + timedelta(days=1, hours=1))
    r.record(rose, T0)
    r.record(oak, T0 + timedelta(days=1), allocate_to="bob")
    r.record(oak, T0 + timedelta(minutes=30), whistleblower=True)
    filters = [TriageFilters(), TriageFilters(state="logged"), TriageFilters(state="allocated"),
               TriageFilters(states=("logged", "allocated")), TriageFilters(state="closed"),
               TriageFilters(state="logged", states=("allocated",)), TriageFilters(provider_id=oak),
               TriageFilters(assigned_to="bob"), TriageFilters(overdue=True)]

    def agree() -> None:
        for f in filters:
            listed = triage_inbox(casework, f.model_copy(update={"limit": 500}))
            assert triage_count(casework, f) == len(listed), f

    agree()
    assert triage_count(casework, TriageFilters(state="logged")) == 2
    casework.projections.rebuild()
    agree()
    # A total by state reads the counts, never the records (a council's are hundreds of thousands).
    statements: list[str] = []
    listen = lambda conn, cursor, sql, *rest: statements.append(sql)  # noqa: E731
    event.listen(casework.engine, "before_cursor_execute", listen)
    try:
        for f in filters[:6]:
            triage_count(casework, f)
    finally:
        event.remove(casework.engine, "before_cursor_execute", listen)
    assert statements and not [q for q in statements if "rm_triage" in q]


def test_providers_rank_lowest_risk_score_first_and_filter_by_stage_and_name(casework) -> None:
    r = Recorder(casework.store)
    calm = r.provider("Calm Meadows")
    risky = r.provider("Risky Towers")
    r.rating(risky, "inadequate", T0.date())
    r.concern(risky, section_42=True)
    r.escalate(risky, "contract_suspension", T0 + timedelta(days=1))
    ranked = ranked_providers(casework)
    assert [v.id for v in ranked] == [risky, calm]
    assert ranked[0].risk_score < ranked[1].risk_score
    assert [v.id for v in list_providers(casework, stage="contract_suspension")] == [risky]
    assert [v.id for v in list_providers(casework, q="meadow")] == [calm]
    assert [v.name for v in list_providers(casework, sort="name")] == ["Calm Meadows", "Risky Towers"]
