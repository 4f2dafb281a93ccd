"""The Application (command bus) on a real store: SQLite and PostgreSQL alike."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from casework.domain.actors import Actor, Role
from casework.domain.aggregate import Aggregate, Command, Route
from casework.domain.commands import (
    AllocateIntelligence,
    AssessRisk,
    CloseIntelligence,
    LogIntelligence,
    PlanVisit,
    RegisterProvider,
)
from casework.domain.errors import Forbidden, InvalidInput, NotAllowed, NotFound
from casework.domain.intelligence import INTELLIGENCE
from casework.events import ConcurrencyError, DomainEvent

AMY = Actor("amy", Role.officer)
MO = Actor("mo", Role.manager)


@pytest.fixture
def app(casework):
    return casework.application


@pytest.fixture
def provider_id(app) -> str:
    command = RegisterProvider(name="Oak House", service_type="care_home_residential", categories=["OP"])
    return app.execute(command, AMY).aggregate_id


def log(provider_id: str, clock, **kw) -> LogIntelligence:
    fields = {"provider_id": provider_id, "source": "complaint",
              "received_at": clock.now() - timedelta(hours=2), "summary": "call bells unanswered"}
    return LogIntelligence(**{**fields, **kw})


def test_a_command_appends_events_with_actor_provider_and_both_times(app, casework, clock, provider_id):
    result = app.execute(log(provider_id, clock), AMY)
    assert result.stream == f"intelligence-{result.aggregate_id}"
    assert (result.version, result.replayed) == (1, False)
    [stored] = casework.store.read_stream(result.stream)
    assert stored.type == "IntelligenceLogged"
    assert stored.metadata["actor"] == "amy" and stored.provider_id == provider_id
    assert stored.occurred_at == clock.now() == stored.recorded_at
    state = app.load(INTELLIGENCE, result.aggregate_id)
    assert (state.state, state.version, state.provider_id) == ("logged", 1, provider_id)


def test_a_late_entry_keeps_when_it_happened_and_when_it_was_recorded(app, casework, clock, provider_id):
    record = app.execute(log(provider_id, clock, received_at=clock.now() - timedelta(days=5)), AMY)
    happened = clock.now() - timedelta(days=3)
    clock.advance(timedelta(hours=1))
    result = app.execute(
        AllocateIntelligence(record_id=record.aggregate_id, officer="amy", occurred_at=happened), MO
    )
    [stored] = result.events
    assert stored.occurred_at == happened and stored.recorded_at == clock.now()
    assert casework.store.read_stream(result.stream)[-1].occurred_at == happened


def test_a_stale_expected_version_appends_nothing(app, casework, clock, provider_id):
    record = app.execute(log(provider_id, clock), AMY)
    app.execute(AllocateIntelligence(record_id=record.aggregate_id, officer="amy"), MO, expected_version=1)
    before = casework.store.count()
    with pytest.raises(ConcurrencyError) as stale:
        app.execute(
            AllocateIntelligence(record_id=record.aggregate_id, officer="bob"), MO, expected_version=1
        )
    assert stale.value.actual == 2
    assert casework.store.count() == before
    assert app.load(INTELLIGENCE, record.aggregate_id).officer == "amy"


def test_a_retry_with_the_same_command_id_returns_the_first_result_and_appends_nothing(
    app, casework, clock, provider_id
):
    first = app.execute(log(provider_id, clock), AMY, command_id="key-1")
    before = casework.store.count()
    again = app.execute(log(provider_id, clock, summary="typed again"), AMY, command_id="key-1")
    assert again.replayed and not first.replayed
    assert (again.aggregate_id, again.stream, again.version) == (first.aggregate_id, first.stream, 1)
    assert [e.event_id for e in again.events] == [e.event_id for e in first.events]
    assert casework.store.count() == before


def test_a_record_retried_after_it_moved_on_answers_its_first_result(app, casework, clock, provider_id):
    """A creating command looks its command id up only when refused: a retry after the record
    was allocated is still the first result, not "it already exists"."""
    first = app.execute(log(provider_id, clock), AMY, command_id="key-2")
    app.execute(AllocateIntelligence(record_id=first.aggregate_id, officer="amy"), MO)
    before = casework.store.count()
    again = app.execute(log(provider_id, clock), AMY, command_id="key-2")
    assert again.replayed and (again.aggregate_id, again.version) == (first.aggregate_id, 1)
    assert casework.store.count() == before


def test_a_retried_close_is_replayed_not_refused(app, casework, clock, provider_id):
    rid = app.execute(log(provider_id, clock), AMY).aggregate_id
    app.execute(AllocateIntelligence(record_id=rid, officer="amy"), MO)
    app.execute(AssessRisk(record_id=rid, risk="low", action_required=False, rationale="known"), AMY)
    close = CloseIntelligence(record_id=rid, outcome="no_further_action")
    first = app.execute(close, AMY, command_id="close-1")
    again = app.execute(close, AMY, command_id="close-1")
    assert again.replayed and again.version == first.version == 4


@pytest.mark.parametrize(
    ("make", "error", "field"),
    [
        (lambda pid, c: log("no-such-provider", c), InvalidInput, "provider_id"),
        (lambda pid, c: log(pid, c, summary=""), InvalidInput, "summary"),
        (lambda pid, c: log(pid, c, received_at=c.now() + timedelta(days=1)), InvalidInput, "received_at"),
        (lambda pid, c: log(pid, c, occurred_at=c.now() + timedelta(minutes=1)), InvalidInput, "occurred_at"),
        (lambda pid, c: AllocateIntelligence(record_id="no-such-record", officer="amy"), NotFound, None),
    ],
)
def test_refused_commands_append_nothing(app, casework, clock, provider_id, make, error, field):
    before = casework.store.count()
    with pytest.raises(error) as refused:
        app.execute(make(provider_id, clock), MO)
    if field:
        assert refused.value.errors[0][0] == field
    assert casework.store.count() == before


def test_an_action_the_state_does_not_allow_is_refused_with_the_allowed_actions(
    app, casework, clock, provider_id
):
    rid = app.execute(log(provider_id, clock), AMY).aggregate_id
    before = casework.store.count()
    with pytest.raises(NotAllowed) as refused:
        app.execute(CloseIntelligence(record_id=rid, outcome="no_further_action"), AMY)
    assert refused.value.state == "logged" and refused.value.allowed == ["allocate"]
    assert app.allowed_actions(INTELLIGENCE, rid) == {"allocate"}
    assert casework.store.count() == before


@pytest.mark.parametrize(
    ("actor", "command"),
    [
        (Actor("ann", Role.auditor), "log"),
        (Actor("root", Role.admin), "log"),
        (AMY, "allocate"),  # allocating work is a manager's
    ],
)
def test_roles_that_may_not_do_it_are_forbidden(app, casework, clock, provider_id, actor, command):
    rid = app.execute(log(provider_id, clock), AMY).aggregate_id
    before = casework.store.count()
    todo = log(provider_id, clock) if command == "log" else AllocateIntelligence(record_id=rid, officer="x")
    with pytest.raises(Forbidden):
        app.execute(todo, actor)
    assert casework.store.count() == before


def test_the_whistleblower_is_never_in_clear_and_is_unreadable_after_erasure(
    app, casework, clock, provider_id
):
    result = app.execute(
        log(provider_id, clock, source="whistleblowing",
            whistleblower={"name": "Jo Whistler", "contact": "jo@example.org"}),
        AMY,
    )
    with casework.engine.connect() as conn:
        rows = conn.execute(text("SELECT data, metadata FROM events")).all()
    dumped = " ".join(f"{d} {m}" for d, m in rows)
    assert "Jo Whistler" not in dumped and "jo@example.org" not in dumped
    sealed = app.load(INTELLIGENCE, result.aggregate_id).whistleblower
    assert casework.vault.reveal_details(sealed).contact == "jo@example.org"

    assert casework.vault.erase(sealed.person_id)
    assert casework.vault.reveal(sealed) is None
    assert casework.vault.reveal(sealed.person_id) is None
    assert casework.store.verify().ok
    assert app.load(INTELLIGENCE, result.aggregate_id).summary == "call bells unanswered"


def test_a_visit_triggered_by_a_record_is_linked_on_both(app, casework, clock, provider_id):
    rid = app.execute(log(provider_id, clock), AMY).aggregate_id
    visit = app.execute(
        PlanVisit(provider_id=provider_id, reason="responsive", planned_for=clock.now() + timedelta(days=1),
                  announced=False, out_of_hours=True, triggered_by={"kind": "intelligence", "id": rid}),
        AMY,
    )
    assert app.load("visit", visit.aggregate_id).links[0].id == rid
    assert app.load(INTELLIGENCE, rid).links[0].id == visit.aggregate_id
    history = casework.store.read_history(provider_id)
    assert [e.type for e in history].count("RecordsLinked") == 2


# --------------------------------------------------------------------- adding an aggregate
class NoteWritten(DomainEvent, type_name="TestNoteWritten"):
    note_id: str
    provider_id: str
    text: str


class WriteNote(Command):
    note_id: str | None = None
    provider_id: str
    text: str


@dataclass(frozen=True)
class Note:
    id: str
    provider_id: str | None = None
    texts: tuple[str, ...] = ()
    version: int = 0


def _evolve(state: Note, event: DomainEvent) -> Note:
    return replace(state, provider_id=event.provider_id, texts=(*state.texts, event.text))


NOTE = Aggregate(
    kind="note",
    stream_prefix="test-note",
    initial=lambda ident: Note(id=ident),
    evolve=_evolve,
    decide=lambda state, command: [
        NoteWritten(note_id=state.id, provider_id=command.provider_id, text=command.text)
    ],
    routes={WriteNote: Route(lambda c: c.note_id, creates=True, provider_of=lambda c: c.provider_id)},
)


def test_another_area_registers_its_own_aggregate(app, provider_id):
    app.register(NOTE)
    result = app.execute(WriteNote(provider_id=provider_id, text="hello"), AMY, command_id="n-1")
    assert result.stream == f"test-note-{result.aggregate_id}"
    assert result.events[0].provider_id == provider_id
    assert app.load(NOTE, result.aggregate_id).texts == ("hello",)
    assert app.execute(WriteNote(provider_id=provider_id, text="hello"), AMY, command_id="n-1").replayed


def test_now_is_the_default_occurred_at(app, clock, provider_id):
    clock.set(datetime(2026, 3, 3, 14, 30, tzinfo=UTC))
    result = app.execute(log(provider_id, clock), AMY)
    assert result.events[0].occurred_at == clock.now()


def test_a_command_refused_at_append_keeps_no_key_for_the_people_it_sealed(
    app, casework, clock, provider_id, monkeypatch
):
    def conflict(requests):
        raise ConcurrencyError(requests[0].stream, 0, 1)

    monkeypatch.setattr(casework.store, "append_batch", conflict)
    with pytest.raises(ConcurrencyError):
        app.execute(log(provider_id, clock, whistleblower={"name": "Jo Whistler"}), AMY)
    with casework.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM person_keys")).scalar() == 0


def _racing(casework, monkeypatch, rival):
    """Make another writer append ``rival()`` between this command's read and its append, once."""
    real = casework.store.append_batch
    calls = []

    def append_batch(requests):
        calls.append(requests)
        if len(calls) == 1:
            with monkeypatch.context() as m:
                m.setattr(casework.store, "append_batch", real)
                rival()
        return real(requests)

    monkeypatch.setattr(casework.store, "append_batch", append_batch)
    return calls


def test_a_command_that_loses_a_race_without_an_expected_version_reads_again_and_lands(
    app, casework, provider_id, monkeypatch
):
    from casework.domain.providers import PROVIDER, ChangeOwner, ChangeRegisteredManager

    calls = _racing(casework, monkeypatch, lambda: app.execute(
        ChangeOwner(provider_id=provider_id, new_owner="Acorn Care Ltd"), MO
    ))
    result = app.execute(ChangeRegisteredManager(provider_id=provider_id, new_manager="Sam Lee"), AMY)
    assert len(calls) == 2  # refused once by the store, decided again on the new version
    types = [e.type for e in casework.store.read_stream(f"provider-{provider_id}")]
    assert types == ["ProviderRegistered", "OwnershipChanged", "RegisteredManagerChanged"]
    assert result.version == 3
    state = app.load(PROVIDER, provider_id)
    assert state.version == 3


def test_a_command_that_loses_a_race_is_decided_again_and_refused_when_the_record_moved_on(
    app, casework, clock, provider_id, monkeypatch
):
    record = app.execute(log(provider_id, clock), AMY).aggregate_id
    app.execute(AllocateIntelligence(record_id=record, officer="amy"), MO)
    app.execute(AssessRisk(record_id=record, risk="low", action_required=False, rationale="minor"), AMY)
    _racing(casework, monkeypatch, lambda: app.execute(
        CloseIntelligence(record_id=record, outcome="no_further_action", note="duplicate"), MO
    ))
    before = casework.store.count() + 1  # the rival's event
    with pytest.raises(NotAllowed):
        app.execute(AssessRisk(record_id=record, risk="high", action_required=True, rationale="more"), AMY)
    assert casework.store.count() == before
    assert app.load(INTELLIGENCE, record).state == "closed"
