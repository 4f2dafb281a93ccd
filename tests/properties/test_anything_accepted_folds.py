"""Law: anything the domain accepts, every read model can fold, on both backends.

Field limits live once, in ``casework.domain.fields``; read-model columns are unbounded text or
sized from those limits (or from the enum they hold). These tests append the most extreme valid
values there are (every text field at its maximum length, characters from every Unicode plane,
combining marks, right-to-left and zero-width characters, the first and last accepted dates)
and check that no projection halts and that the read models hold what was sent. Values just
past a limit are refused, naming the field, and append nothing.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from casework.api.app import create_app
from casework.bootstrap import Casework
from casework.domain.actors import Actor, Role
from casework.domain.aggregate import EARLIEST_YEAR, LATEST_YEAR, MAX_TEXT
from casework.domain.commands import (
    AllocateIntelligence,
    AssessRisk,
    LogIntelligence,
    NewActionItem,
    PlanVisit,
    RaiseActionPlan,
    RaiseSafeguardingConcern,
    RecordRef,
    RegisterProvider,
    TakeIntelligenceAction,
)
from casework.domain.errors import InvalidInput
from casework.domain.escalation import EscalateContract
from casework.domain.notices import IssueRemedyNotice
from casework.domain.personal_data import PersonDetails
from casework.domain.provider_failure import IdentifyFailureConcern, InitiateProcedure
from casework.domain.providers import PublishCqcRating
from casework.events.store import STREAM_NAME
from casework.projections.provider_view import provider_view
from casework.projections.triage import triage_inbox
from casework.workflows.deadline_calendar import pending_deadlines

MANAGER = Actor("mia", Role.manager)
API = "/api/v1"


def longest(model: type[BaseModel], field: str) -> int:
    """The longest text the domain accepts in a field: its ``maxLength``, else ``MAX_TEXT``."""
    schema = model.model_json_schema()["properties"][field]
    for option in [schema, *schema.get("anyOf", [])]:
        if "maxLength" in option:
            return int(option["maxLength"])
    return MAX_TEXT


NAME_LIMIT = longest(NewActionItem, "owner")
ID_LIMIT = longest(LogIntelligence, "record_id")


def halted(cw: Casework) -> dict[str, str]:
    """Every halted read model, as the runner of this process and the checkpoints say."""
    found = {s.name: s.halted for s in cw.projections.status() if s.halted}
    return {**found, **cw.projections.halted}


@pytest.fixture
def client(casework: Casework) -> Any:
    with TestClient(create_app(casework), raise_server_exceptions=False) as c:
        yield c


def _provider(cw: Casework) -> str:
    return cw.application.execute(
        RegisterProvider(name="Birch Grange", service_type="care_home_residential"), MANAGER
    ).aggregate_id


def _plan_body(provider_id: str, record_id: str, **item: Any) -> dict[str, Any]:
    return {
        "provider_id": provider_id, "raised_from": {"kind": "intelligence", "id": record_id},
        "items": [{"description": "Update care plans", "theme": "person_centred_care_planning",
                   "owner": "Registered manager", "due": "2026-06-01", **item}],
    }


def _record(cw: Casework, provider_id: str) -> str:
    return cw.application.execute(LogIntelligence(
        provider_id=provider_id, source="cqc", summary="Staffing concern",
        received_at=cw.clock.now() - timedelta(hours=1)), MANAGER).aggregate_id


# ------------------------------------------------------------------------ the reported cases
def test_an_action_item_owner_past_the_name_limit_is_refused_and_a_later_notice_gets_its_deadline(
    casework: Casework, client: TestClient, as_role: Callable[[str], dict[str, str]]
) -> None:
    pid = _provider(casework)
    rid = _record(casework, pid)
    head = casework.store.head_position()
    answer = client.post(f"{API}/action-plans", json=_plan_body(pid, rid, owner="O" * 250),
                         headers=as_role("officer"))
    assert answer.status_code == 422, answer.text[:300]
    assert any(e["field"] == "items.0.owner" for e in answer.json()["errors"])
    assert casework.store.head_position() == head

    longest = "Ö" * NAME_LIMIT  # two bytes each in UTF-8: a limit counts characters
    answer = client.post(f"{API}/action-plans", json=_plan_body(pid, rid, owner=longest),
                         headers=as_role("officer"))
    assert answer.status_code == 201, answer.text[:300]
    answer = client.post(f"{API}/providers/{pid}/notices", json={
        "breach": "Staffing", "actions": ["Recruit"], "remedy_by": "2026-05-01",
    }, headers=as_role("manager"))
    assert answer.status_code == 201, answer.text[:300]
    assert halted(casework) == {}
    kinds = {d["kind"] for d in client.get(f"{API}/deadlines", headers=as_role("manager")).json()}
    assert {"remedy_notice_due", "action_item_overdue"} <= kinds
    # The item's owner is the provider's; the deadlines' owner is the council's lead officer,
    # a name as long as any other.
    answer = client.post(f"{API}/providers/{pid}/lead-officer", json={"officer": longest},
                         headers=as_role("manager"))
    assert answer.status_code == 200, answer.text[:300]
    owners = {d.owner for d in pending_deadlines(casework, provider_id=pid)}
    assert longest in owners

    casework.projections.rebuild()  # `casework rebuild` folds the same log
    assert halted(casework) == {}
    assert longest in {d.owner for d in pending_deadlines(casework, provider_id=pid)}


def test_a_record_id_past_the_identifier_limit_is_refused_and_halts_nothing(
    casework: Casework, client: TestClient, as_role: Callable[[str], dict[str, str]]
) -> None:
    pid = _provider(casework)
    head = casework.store.head_position()
    with pytest.raises(InvalidInput) as refused:
        casework.application.execute(LogIntelligence.parse({
            "record_id": "r" * 150, "provider_id": pid, "source": "cqc",
            "summary": "Staffing concern", "received_at": casework.clock.now()}), MANAGER)
    assert refused.value.errors[0][0] == "record_id"
    # Through the API: ids a client chooses (here an action item's) are ids too.
    rid = _record(casework, pid)
    head = casework.store.head_position()
    for bad in ("i" * 250, "bad/id", "名前", " ", "-leading-dash"):
        answer = client.post(f"{API}/action-plans", json=_plan_body(pid, rid, item_id=bad),
                             headers=as_role("officer"))
        assert answer.status_code == 422, (bad, answer.text[:300])
        assert any(e["field"].startswith("items.0.item_id") for e in answer.json()["errors"]), bad
    answer = client.post(f"{API}/action-plans", json=_plan_body(pid, "x" * 250),
                         headers=as_role("officer"))
    assert answer.status_code == 422, answer.text[:300]
    assert casework.store.head_position() == head
    assert halted(casework) == {}

    longest = "i" * ID_LIMIT
    answer = client.post(f"{API}/action-plans", json=_plan_body(pid, rid, item_id=longest),
                         headers=as_role("officer"))
    assert answer.status_code == 201, answer.text[:300]
    assert halted(casework) == {}
    deadlines = [d for d in pending_deadlines(casework, provider_id=pid) if d.scope == longest]
    assert deadlines
    # The scheduler fires each on a stream of its own: its name must be one the store takes.
    assert all(STREAM_NAME.match(d.stream) for d in deadlines), [d.stream for d in deadlines]


# ------------------------------------------------------------------------ extreme valid values
# Characters from every plane and of every awkward kind: astral (planes 1, 2, 3, 14, 15, 16),
# combining marks, right-to-left text and overrides, zero-width characters and joiners.
AWKWARD = [
    "\U0001F469\U0001F3FD\u200D\u2695\uFE0F", "\U00010348", "\U00020000", "\U00030000",
    "\U000E0041", "\U000F0000", "\U0010FFFD", "e\u0301\u0302", "\u202e", "\u202b", "\u200b",
    "\u200c", "\u200d", "\u2060", "\ufeff", "مرحبا", "שלום", "中文", "\u00e9",
]
_texts = st.lists(
    st.one_of(st.sampled_from(AWKWARD), st.characters(exclude_categories=("Cs",), exclude_characters="\x00")),
    min_size=1, max_size=12,
).map("".join)
_counter = itertools.count()


@st.composite
def long_texts(draw: st.DrawFn) -> str:
    """``MAX_TEXT`` characters of awkward text; ``fit`` cuts it to each field's limit."""
    body = draw(_texts)
    return (body * (MAX_TEXT // len(body) + 1))[:MAX_TEXT]


def fit(text: str, model: type[BaseModel], field: str, short: bool = False) -> str:
    """The text cut to the longest the field takes (or to a tenth of it), kept as sent: it
    starts and ends with a letter, so there is no surrounding whitespace to strip."""
    limit = longest(model, field) // (10 if short else 1)
    return "A" + text[: limit - 2] + "Z"


@st.composite
def identifiers(draw: st.DrawFn) -> str:
    """A fresh id (ids are unique across the examples, which share a store): often the longest."""
    tail = draw(st.text(alphabet="AZaz09._:-", max_size=ID_LIMIT))
    value = f"{next(_counter)}-{tail}"
    if draw(st.booleans()):
        value = (value + "x" * ID_LIMIT)
    return value[:ID_LIMIT]


_days = st.one_of(
    st.sampled_from([date(EARLIEST_YEAR, 1, 1), date(LATEST_YEAR, 12, 31)]),
    st.dates(date(EARLIEST_YEAR, 1, 1), date(LATEST_YEAR, 12, 31)),
)
_earliest = datetime(EARLIEST_YEAR, 1, 1, tzinfo=UTC)
_latest = datetime(LATEST_YEAR, 12, 31, 23, 59, 59, tzinfo=UTC)
EXTREMES = st.fixed_dictionaries({
    "text": long_texts(), "short": st.booleans(), "ids": st.lists(identifiers(), min_size=8, max_size=8),
    "due": _days, "remedy_by": _days, "report_date": _days,
    "received_at": st.sampled_from([_earliest, _earliest + timedelta(days=1)]),
    "planned_for": st.sampled_from([_latest, _latest - timedelta(days=1)]),
})


def _everything(v: dict[str, Any]) -> list[Any]:
    """One of each creating command (and a few more) with every text at its extreme. A due
    date or remedy-by date may not be before the day it is given, a report date not after."""
    pid, rid, plan, item, notice, visit, concern, procedure = v["ids"]
    ref = RecordRef(kind="intelligence", id=rid)

    def f(model: type[BaseModel], field: str) -> str:
        return fit(v["text"], model, field, v["short"])

    person, label = f(NewActionItem, "owner"), f(RegisterProvider, "postcode")
    return [
        RegisterProvider(
            provider_id=pid, name=f(RegisterProvider, "name"), service_type="care_home_nursing",
            categories=["OP", "MH", "LD", "PDSI"], cqc_location_id=label, cqc_provider_id=label,
            beds=10_000, address=f(RegisterProvider, "address"), postcode=label,
            district=f(RegisterProvider, "district"), nhs_area=label, contract_reference=label,
            registered_manager=person, owner=person,
        ),
        PublishCqcRating(provider_id=pid, report_date=min(v["report_date"], v["today"]), overall="good",
                         report_id=label),
        LogIntelligence(record_id=rid, provider_id=pid, source="whistleblowing",
                        received_at=v["received_at"], summary=f(LogIntelligence, "summary"),
                        whistleblower=PersonDetails(name=f(PersonDetails, "name"), contact=label)),
        AllocateIntelligence(record_id=rid, officer=f(AllocateIntelligence, "officer")),
        AssessRisk(record_id=rid, risk="critical", action_required=True,
                   rationale=f(AssessRisk, "rationale")),
        TakeIntelligenceAction(record_id=rid, action="responsive_visit",
                               note=f(TakeIntelligenceAction, "note")),
        RaiseActionPlan(plan_id=plan, provider_id=pid, raised_from=ref,
                        title=f(RaiseActionPlan, "title"), items=[
            NewActionItem(item_id=item, description=f(NewActionItem, "description"),
                          theme="person_centred_care_planning", owner=person, due=max(v["due"], v["today"])),
        ]),
        IssueRemedyNotice(notice_id=notice, provider_id=pid, breach=f(IssueRemedyNotice, "breach"),
                          actions=[f(IssueRemedyNotice, "breach"), label],
                          remedy_by=max(v["remedy_by"], v["today"])),
        PlanVisit(visit_id=visit, provider_id=pid, reason="responsive", planned_for=v["planned_for"],
                  triggered_by=ref),
        RaiseSafeguardingConcern(
            concern_id=concern, provider_id=pid, category="neglect",
            summary=f(RaiseSafeguardingConcern, "summary"),
            adults_at_risk=[PersonDetails(name=person, contact=label)], triggered_by=ref,
        ),
        IdentifyFailureConcern(procedure_id=procedure, provider_id=pid, kind="provider_failure",
                               trigger="financial_collapse", summary=f(IdentifyFailureConcern, "summary")),
        InitiateProcedure(procedure_id=procedure, lead=f(InitiateProcedure, "lead")),
        EscalateContract(provider_id=pid, reason=f(EscalateContract, "reason")),
    ]


@settings(max_examples=15, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(values=EXTREMES)
def test_no_read_model_halts_on_the_most_extreme_valid_values(casework: Casework, values) -> None:
    commands = _everything({**values, "today": casework.clock.now().date()})
    for command in commands:
        casework.application.execute(command, MANAGER)  # every one is valid: none may be refused
    assert halted(casework) == {}
    assert all(s.position == s.head for s in casework.projections.status())

    register, log, allocate, plan = commands[0], commands[2], commands[3], commands[6]
    view = provider_view(casework, register.provider_id)
    assert view is not None and (view.name, view.district) == (register.name, register.district)
    [row] = triage_inbox(casework, provider_id=register.provider_id)
    assert (row.record_id, row.summary, row.assigned_to) == (log.record_id, log.summary, allocate.officer)
    deadlines = pending_deadlines(casework, provider_id=register.provider_id)
    [item] = plan.items
    assert item.item_id in {d.scope for d in deadlines}
    assert allocate.officer in {d.owner for d in deadlines}  # the risk assessment's, or closed
    # The scheduler fires each deadline on a stream of its own: a name the store takes.
    assert all(STREAM_NAME.match(d.stream) for d in deadlines), [d.stream for d in deadlines]
