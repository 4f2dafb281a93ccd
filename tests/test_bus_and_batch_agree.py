"""``Application.execute`` and ``CommandBatch`` take a command through one pipeline: given the
same store, the same command, actor and command id, they ask the store to append the same
events (ids, types, data, metadata, times) or refuse with the same error. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from casework.application.batch import CommandBatch
from casework.domain.actors import Actor, Role
from casework.domain.commands import (
    AllocateIntelligence,
    CloseIntelligence,
    LogIntelligence,
    PlanVisit,
    RegisterProvider,
)
from casework.domain.errors import DomainError, Forbidden, InvalidInput, NotAllowed, NotFound

AMY = Actor("amy", Role.officer)
MO = Actor("mo", Role.manager)
ANN = Actor("ann", Role.auditor)


@dataclass(frozen=True)
class Records:
    provider_id: str
    record_id: str  # an intelligence record, 'logged'


@pytest.fixture
def records(casework, clock) -> Records:
    app = casework.application
    pid = app.execute(
        RegisterProvider(name="Oak House", service_type="care_home_residential"), AMY
    ).aggregate_id
    rid = app.execute(_log(pid, clock), AMY, command_id="history:log").aggregate_id
    return Records(pid, rid)


def _log(provider_id: str, clock, **kw: Any) -> LogIntelligence:
    fields = {"provider_id": provider_id, "source": "complaint",
              "received_at": clock.now() - timedelta(hours=2), "summary": "call bells unanswered"}
    return LogIntelligence(**{**fields, **kw})


Make = Callable[[Records, Any], Any]
CASES: dict[str, tuple[Actor, Make, type[DomainError] | None, str | None]] = {
    "a new record": (AMY, lambda r, c: _log(r.provider_id, c), None, None),
    "a new provider": (AMY, lambda r, c: RegisterProvider(name="Elm Court", service_type="home_care"),
                       None, None),
    "a change to an existing record": (
        MO, lambda r, c: AllocateIntelligence(record_id=r.record_id, officer="amy"), None, None),
    "a record linked both ways": (
        AMY,
        lambda r, c: PlanVisit(provider_id=r.provider_id, reason="responsive",
                               planned_for=c.now() + timedelta(days=1),
                               triggered_by={"kind": "intelligence", "id": r.record_id}),
        None, None),
    "the wrong role": (
        AMY, lambda r, c: AllocateIntelligence(record_id=r.record_id, officer="amy"), Forbidden, None),
    "a role that may not write": (ANN, lambda r, c: _log(r.provider_id, c), Forbidden, None),
    "an unknown provider": (AMY, lambda r, c: _log("no-such-provider", c), InvalidInput, "provider_id"),
    "an unknown record": (
        MO, lambda r, c: AllocateIntelligence(record_id="no-such-record", officer="amy"), NotFound, None),
    "a record that already exists": (
        AMY, lambda r, c: RegisterProvider(provider_id=r.provider_id, name="Oak House",
                                           service_type="care_home_residential"),
        NotAllowed, None),
    "an action the state does not allow": (
        AMY, lambda r, c: CloseIntelligence(record_id=r.record_id, outcome="no_further_action"),
        NotAllowed, None),
    "occurred_at in the future": (
        AMY, lambda r, c: _log(r.provider_id, c, occurred_at=c.now() + timedelta(minutes=1)),
        InvalidInput, "occurred_at"),
    "a link to an unknown record": (
        AMY,
        lambda r, c: PlanVisit(provider_id=r.provider_id, reason="responsive",
                               planned_for=c.now() + timedelta(days=1),
                               triggered_by={"kind": "intelligence", "id": "no-such-record"}),
        InvalidInput, "triggered_by"),
}


class _Withheld(Exception):
    """Raised in place of appending, so that both paths meet the same store."""


def _outcome(casework, run: Callable[[], Any]) -> tuple[str, Any]:
    """What ``run`` asked the store to append (stream -> events, appending nothing), or the
    error it refused with."""
    store = casework.store
    asked: dict[str, list] = {}

    def withhold(requests):
        for request in requests:
            asked.setdefault(request.stream, []).extend(request.events)
        raise _Withheld

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(store, "append_batch", withhold)
        try:
            run()
        except _Withheld:
            return "appends", asked
        except DomainError as exc:
            return "refuses", (type(exc), str(exc), getattr(exc, "errors", None))
    return "appends", asked


@pytest.mark.parametrize("case", list(CASES))
def test_the_bus_and_a_batch_append_the_same_events_or_refuse_alike(casework, clock, records, case):
    actor, make, error, field = CASES[case]
    command = make(records, clock)
    before = casework.store.count()

    def through_the_bus() -> None:
        casework.application.execute(command, actor, command_id="the-command")

    def through_a_batch() -> None:
        batch = CommandBatch(casework.application, actor)
        batch.execute(command, command_id="the-command")
        batch.commit()

    by_bus, by_batch = _outcome(casework, through_the_bus), _outcome(casework, through_a_batch)
    assert by_bus == by_batch
    kind, detail = by_bus
    if error is None:
        assert kind == "appends" and all(detail.values())
    else:
        assert kind == "refuses" and detail[0] is error
        if field:
            assert detail[2][0][0] == field
    assert casework.store.count() == before


def test_a_link_is_mirrored_with_the_same_ids_and_metadata_by_both(casework, clock, records):
    command = CASES["a record linked both ways"][1](records, clock)

    def through_the_bus() -> None:
        casework.application.execute(command, AMY, command_id="plan")

    def through_a_batch() -> None:
        batch = CommandBatch(casework.application, AMY)
        batch.execute(command, command_id="plan")
        batch.commit()

    kind, asked = _outcome(casework, through_the_bus)
    assert (kind, asked) == _outcome(casework, through_a_batch)
    mirror = asked[f"intelligence-{records.record_id}"]
    assert [(e.type, e.metadata["provider_id"], e.metadata["command_id"]) for e in mirror] == [
        ("RecordsLinked", records.provider_id, "plan")
    ]


def test_a_command_one_path_executed_is_recognised_by_the_other(casework, clock, records):
    app = casework.application
    batch = CommandBatch(app, AMY)
    made = batch.execute(_log(records.provider_id, clock), command_id="by-batch")
    [stored] = batch.commit()

    replayed = app.execute(_log(records.provider_id, clock), AMY, command_id="by-batch")
    assert replayed.replayed and replayed.aggregate_id == made
    assert [e.event_id for e in replayed.events] == [stored.event_id]

    first = app.execute(_log(records.provider_id, clock), AMY, command_id="by-bus")
    again = CommandBatch(app, AMY)
    assert again.execute(_log(records.provider_id, clock), command_id="by-bus") == first.aggregate_id
    assert (again.skipped, again.commit()) == (1, [])
