"""A server set to fold its read models after a command has answered
(``CASEWORK_READ_MODELS_DEFERRED``): a user's next request still sees their write, on the
process that took it or on another process of the same server (the ``Casework-Position`` header
echoed as ``Casework-Min-Position``, or the browser's cookie), and concurrent writes share one
fold."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from casework.api.app import create_app
from casework.bootstrap import bootstrap
from casework.domain.actors import Actor, Role
from casework.domain.intelligence import LogIntelligence
from casework.projections import checkpoints
from casework.projections.consistency import MIN_POSITION_HEADER, POSITION_HEADER
from casework.projections.provider_view import provider_view

OFFICER = Actor("officer", Role.officer)
PROVIDER = {"name": "Rose Lodge", "service_type": "care_home_residential", "categories": ["OP"]}


def register(client, headers) -> str:
    answer = client.post("/api/v1/providers", json=PROVIDER, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def checkpoint(cw, name: str) -> int:
    """Where a read model's checkpoint is, read around the runner (no read-your-writes wait)."""
    with cw.engine.connect() as conn:
        return checkpoints.read(conn, name).position


@pytest.fixture
def deferred(casework):
    """The container as a server with ``read_models_deferred`` runs it."""
    casework.projections.deferred = True
    return casework


def test_a_command_answers_before_the_fold_and_the_next_read_sees_it(client, deferred, casework, as_role):
    officer = as_role("officer")
    provider_id = register(client, officer)
    answer = client.post("/api/v1/intelligence", headers=officer, json={
        "provider_id": provider_id, "source": "complaint",
        "received_at": "2026-03-02T08:30:00+00:00", "summary": "Call bells unanswered"})
    assert answer.status_code == 201, answer.text
    position = answer.headers[POSITION_HEADER]
    assert int(position) == casework.store.head_position()
    # The command did not wait for the read models (no follower runs in this test) ...
    assert checkpoint(casework, "provider_view") < int(position)
    # ... and the client's next request, echoing the position, shows the record all the same.
    echo = {**officer, MIN_POSITION_HEADER: position}
    view = client.get(f"/api/v1/providers/{provider_id}", headers=echo).json()
    assert view["open_intelligence"] == 1
    inbox = client.get("/api/v1/intelligence", params={"provider_id": provider_id}, headers=echo)
    assert [r["id"] for r in inbox.json()] == [answer.json()["id"]]
    assert checkpoint(casework, "provider_view") == int(position)


def test_a_reader_who_wrote_nothing_is_not_held_up_by_other_peoples_writes(
    client, deferred, casework, as_role,
):
    """Only what a reader wrote is waited for: an auditor's read right after an officer's write
    answers from the read models as they are (the follower folds the write a moment later)."""
    officer = as_role("officer")
    provider_id = register(client, officer)
    folded = checkpoint(casework, "provider_view")
    client.post("/api/v1/intelligence", headers=officer, json={
        "provider_id": provider_id, "source": "complaint",
        "received_at": "2026-03-02T08:30:00+00:00", "summary": "Call bells unanswered"})
    client.get("/api/v1/providers", headers=as_role("auditor"))
    assert checkpoint(casework, "provider_view") == folded  # the auditor's read folded nothing


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_another_server_process_waits_for_the_position_the_client_echoes(
    casework, settings, clock, as_role,
):
    """Two processes of one server on one database: a write answered by the first is read from
    the second. Without the position the second answers from read models nobody has folded
    yet; with it, it folds them first."""
    settings = settings.model_copy(update={"read_models_deferred": True})
    casework.settings = settings
    first_app = create_app(casework)
    second = bootstrap(settings, clock=clock, catch_up=False)
    try:
        officer = as_role("officer")
        with TestClient(first_app) as one, TestClient(create_app(second)) as two:
            provider_id = register(one, officer)
            written = one.post("/api/v1/intelligence", headers=officer, json={
                "provider_id": provider_id, "source": "complaint",
                "received_at": "2026-03-02T08:30:00+00:00", "summary": "Call bells unanswered"})
            position = written.headers[POSITION_HEADER]
            url = f"/api/v1/providers/{provider_id}"
            assert two.get(url, headers=officer).status_code == 404  # not folded anywhere yet
            echoed = two.get(url, headers={**officer, MIN_POSITION_HEADER: position})
            assert echoed.status_code == 200, echoed.text
            assert echoed.json()["open_intelligence"] == 1
    finally:
        second.close()


def test_a_position_that_is_not_a_number_is_refused_naming_the_header(client, casework, as_role):
    head = casework.store.head_position()
    answer = client.post("/api/v1/providers", headers={**as_role("officer"), MIN_POSITION_HEADER: "soon"},
                         json={"name": "Rose Lodge", "service_type": "care_home_residential"})
    assert answer.status_code == 400
    problem = answer.json()
    assert problem["errors"] == [{"field": MIN_POSITION_HEADER,
                                  "reason": "must be a whole number (a log position)"}]
    assert casework.store.head_position() == head  # nothing ran


def test_sixteen_writes_made_meanwhile_are_folded_in_one_pass(casework, clock):
    """Deferred, sixteen commands fold in one pass when the next read comes (the follower does
    the same in the background): the read models' work is shared, not paid by every command."""
    casework.projections.deferred = True  # as a server with read_models_deferred
    provider_id = register_directly(casework)
    passes: list[int] = []
    casework.projections.before_commit = lambda pages: passes.append(
        max((len(v) for v in pages.values()), default=0))
    for i in range(16):
        casework.application.execute(LogIntelligence(
            provider_id=provider_id, source="complaint", summary=f"Call bells {i}",
            received_at=clock.now()), OFFICER)
    assert passes == []  # no command folded anything
    view = provider_view(casework, provider_id)
    assert view.open_intelligence == 16
    assert len(passes) == 1 and passes[0] >= 16


def register_directly(cw) -> str:
    from casework.domain.providers import RegisterProvider

    result = cw.application.execute(
        RegisterProvider(name="Rose Lodge", service_type="care_home_residential", categories=["OP"]),
        Actor("manager", Role.manager))
    return result.aggregate_id


def test_without_deferral_each_command_folds_before_it_answers(client, casework, clock):
    """The default (and the CLI's way): the read models are current when a command returns."""
    provider_id = register_directly(casework)
    casework.application.execute(LogIntelligence(
        provider_id=provider_id, source="complaint", summary="Call bells",
        received_at=clock.now()), OFFICER)
    assert checkpoint(casework, "provider_view") == casework.store.head_position()
    with casework.engine.connect() as conn:
        from casework.projections.provider_view import rm_providers
        assert conn.execute(select(rm_providers.c.partition)).scalars().all() == [provider_id]
