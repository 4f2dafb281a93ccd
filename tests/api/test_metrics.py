"""GET /metrics: what an operator's Prometheus reads (both backends). Commands and appends are
timed by command and outcome, the read models' lag reads 0 at the head and grows with events and
seconds left waiting, a halt reads 1, deadlines due and fired and the outbox's backlog are
counted, and no personal data is ever in the scrape. /healthz reports the same lag."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from casework import __version__
from casework.api.app import create_app
from casework.bootstrap import Casework, bootstrap
from casework.domain.actors import Actor, Role
from casework.domain.escalation import EscalateContract
from casework.domain.intelligence import AssessRisk
from casework.domain.providers import RegisterProvider
from casework.events import Metadata, to_new_event
from casework.events.errors import ConcurrencyError
from casework.events.providers import ProviderRegistered, ServiceType
from casework.events.store import EventStore
from casework.projections import checkpoints
from casework.warmup import Warmup

MANNY = Actor("manny", Role.manager)
READ_MODELS = {"deadlines", "provider_view", "triage", "statistics"}
WHISTLEBLOWER = {"name": "Sam Carer", "contact": "07700 900123"}
PROVIDER = {"name": "Rose Lodge", "service_type": "care_home_residential"}

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient) -> tuple[Samples, str]:
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    samples = {(s.name, frozenset(s.labels.items())): s.value
               for family in text_string_to_metric_families(answer.text) for s in family.samples}
    return samples, answer.text


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def by_read_model(samples: Samples, name: str) -> dict[str, float]:
    return {dict(labels)["read_model"]: v for (n, labels), v in samples.items() if n == name}


def log_intelligence(client: TestClient, as_role) -> tuple[str, str]:
    officer = as_role("officer")
    provider = client.post("/api/v1/providers", json=PROVIDER, headers=officer)
    assert provider.status_code == 201, provider.text
    record = client.post("/api/v1/intelligence", headers=officer, json={
        "provider_id": provider.json()["id"], "source": "whistleblowing",
        "received_at": "2026-03-02T08:30:00+00:00", "summary": "Night staffing below plan",
        "whistleblower": WHISTLEBLOWER})
    assert record.status_code == 201, record.text
    return provider.json()["id"], record.json()["id"]


def test_a_command_is_timed_by_its_class_and_outcome_and_no_personal_data_is_scraped(
    client, casework, as_role
) -> None:
    before, _ = scrape(client)
    assert value(before, "casework_command_seconds_count", command="LogIntelligence", outcome="ok") == 0
    provider_id, record_id = log_intelligence(client, as_role)
    # Not allocated yet: the bus refuses it (409).
    refused = client.post(f"/api/v1/intelligence/{record_id}/assess", headers=as_role("officer"),
                          json={"risk": "high", "action_required": True, "rationale": "rota gaps"})
    assert refused.status_code == 409
    with pytest.raises(ConcurrencyError):
        casework.application.execute(
            AssessRisk(record_id=record_id, risk="high", action_required=True, rationale="x"),
            Actor("officer", Role.officer), expected_version=7)

    samples, text = scrape(client)
    count = "casework_command_seconds_count"
    assert value(samples, count, command="LogIntelligence", outcome="ok") == 1
    assert value(samples, count, command="AssessRisk", outcome="refused") == 1
    assert value(samples, count, command="AssessRisk", outcome="conflict") == 1
    assert value(samples, "casework_command_seconds_sum", command="LogIntelligence", outcome="ok") > 0
    assert value(samples, "casework_append_seconds_count", streams="one") >= 2  # provider, record
    assert value(samples, "casework_info", version=__version__, store=casework.engine.dialect.name) == 1
    assert value(samples, "casework_up") == 1
    for secret in (*WHISTLEBLOWER.values(), "07700", PROVIDER["name"], provider_id, record_id,
                   "officer", "Night staffing"):
        assert secret not in text, secret


def test_read_model_lag_is_zero_at_the_head_and_grows_in_events_and_seconds_behind_it(
    client, casework, clock, as_role
) -> None:
    log_intelligence(client, as_role)
    samples, _ = scrape(client)
    assert by_read_model(samples, "casework_read_model_lag_events") == dict.fromkeys(READ_MODELS, 0)
    assert value(samples, "casework_log_head_position") == casework.store.head_position() > 0
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and "lagging" not in health
    assert {r["read_model"]: r["lag"] for r in health["read_models"]} == dict.fromkeys(READ_MODELS, 0)

    # Three events appended by a writer that does not catch this database's read models up (as
    # another process does when its catch-up fails), and nothing here follows: they wait.
    elsewhere = EventStore(casework.engine, clock)
    for name in ("Ash House", "Elm Court", "Oak Lodge"):
        event = ProviderRegistered(provider_id=name.replace(" ", "-"), name=name,
                                   service_type=ServiceType.home_care)
        elsewhere.append(f"provider-{name.replace(' ', '-')}", [to_new_event(
            event, metadata=Metadata(actor="importer", provider_id=event.provider_id),
            occurred_at=clock.now())])
    clock.advance(timedelta(seconds=90))

    samples, text = scrape(client)
    assert by_read_model(samples, "casework_read_model_lag_events") == dict.fromkeys(READ_MODELS, 3)
    assert by_read_model(samples, "casework_read_model_lag_seconds") == dict.fromkeys(READ_MODELS, 90)
    assert "Ash House" not in text
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json()["status"] == "ok"  # behind, still serving
    assert {r["read_model"]: r["lag"] for r in health.json()["read_models"]} == dict.fromkeys(READ_MODELS, 3)
    assert sorted(health.json()["lagging"], key=lambda r: r["read_model"]) == [
        {"read_model": name, "lag": 3, "seconds_behind": 90.0} for name in sorted(READ_MODELS)]

    casework.projections.catch_up()
    samples, _ = scrape(client)
    assert by_read_model(samples, "casework_read_model_lag_seconds") == dict.fromkeys(READ_MODELS, 0)
    assert "lagging" not in client.get("/healthz").json()


def test_healthz_lists_a_read_model_as_lagging_past_the_events_threshold(casework, clock) -> None:
    casework.settings = casework.settings.model_copy(update={"health_lag_events": 1})
    elsewhere = EventStore(casework.engine, clock)
    for pid in ("p-1", "p-2"):
        event = ProviderRegistered(provider_id=pid, name="X", service_type=ServiceType.home_care)
        elsewhere.append(f"provider-{pid}", [to_new_event(
            event, metadata=Metadata(actor="importer", provider_id=pid), occurred_at=clock.now())])
    health = TestClient(create_app(casework)).get("/healthz")
    assert health.status_code == 200
    assert {r["read_model"] for r in health.json()["lagging"]} == READ_MODELS
    assert all(r == {"read_model": r["read_model"], "lag": 2, "seconds_behind": 0.0}
               for r in health.json()["lagging"])


def test_a_halted_read_model_reads_1_and_why_it_halted_is_not_scraped(client, casework) -> None:
    casework.projections.catch_up()
    with casework.engine.begin() as conn:
        checkpoints.mark_halted(conn, "triage", "DataError: value too long, name='Secret Person'")
    samples, text = scrape(client)
    assert by_read_model(samples, "casework_read_model_halted") == {
        name: int(name == "triage") for name in READ_MODELS}
    assert "Secret" not in text


@pytest.fixture
def emailing(settings, clock) -> Iterator[Casework]:
    """Email on (a server nobody answers at: nothing is sent, since no worker runs), every alert
    also to the contracts team's address."""
    cw = bootstrap(settings.model_copy(update={
        "smtp_url": SecretStr("smtp://127.0.0.1:9"), "team_email": "contracts@council.example"}),
        clock=clock)
    yield cw
    cw.close()


def test_deadlines_due_are_counted_until_fired_and_their_messages_wait_in_the_outbox(
    emailing, clock
) -> None:
    client = TestClient(create_app(emailing))
    provider = emailing.application.execute(
        RegisterProvider(name="Rose Lodge", service_type="home_care"), MANNY).aggregate_id
    emailing.application.execute(EscalateContract(provider_id=provider, reason="QAF non-compliance"), MANNY)
    samples, _ = scrape(client)
    assert value(samples, "casework_deadlines_due", type="alert") == 0
    assert value(samples, "casework_outbox_messages", status="pending") == 0

    clock.advance(timedelta(days=400))
    samples, _ = scrape(client)
    due = value(samples, "casework_deadlines_due", type="alert")
    assert due > 0
    report = emailing.scheduler.fire_due()
    samples, text = scrape(client)
    assert value(samples, "casework_deadlines_fired_total", type="alert") == len(report.alerts) > 0
    assert value(samples, "casework_deadlines_fired_total", type="reminder") == len(report.reminders)
    assert value(samples, "casework_deadlines_due", type="alert") == 0
    queued = emailing.alerts.backlog()["pending"]
    assert queued > 0 and value(samples, "casework_outbox_messages", status="pending") == queued
    assert value(samples, "casework_outbox_messages", status="failed") == 0
    assert "contracts@council.example" not in text and "Rose Lodge" not in text


def test_the_warmup_state_is_scraped(casework) -> None:
    def broken() -> None:
        raise RuntimeError("the database went away")

    casework.projections.catch_up = broken  # type: ignore[method-assign]
    warmup = Warmup(casework, scheduler=False, follow=False).start()
    assert warmup.wait(60)
    samples, _ = scrape(TestClient(create_app(casework, warmup)))
    assert {s: value(samples, "casework_warmup", state=s) for s in ("starting", "ready", "failed")} == {
        "starting": 0, "ready": 0, "failed": 1}


def test_metrics_can_be_turned_off(settings, clock) -> None:
    cw = bootstrap(settings.model_copy(update={"metrics": False}), clock=clock)
    try:
        client = TestClient(create_app(cw))
        assert client.get("/metrics").status_code == 404
        assert client.get("/healthz").status_code == 200
    finally:
        cw.close()


def test_two_apps_in_one_process_count_apart(casework, settings, clock) -> None:
    other = bootstrap(settings, clock=clock)  # another container over the same store
    try:
        first, second = TestClient(create_app(casework)), TestClient(create_app(other))
        casework.application.execute(RegisterProvider(name="Ash", service_type="home_care"), MANNY)
        count, labels = "casework_command_seconds_count", {"command": "RegisterProvider", "outcome": "ok"}
        assert value(scrape(first)[0], count, **labels) == 1
        assert value(scrape(second)[0], count, **labels) == 0
    finally:
        other.close()
