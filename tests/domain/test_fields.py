"""Field limits are defined once (casework.domain.fields) and every command field uses one; the
ids they allow make stream names the event store takes and fit the events table."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel

from casework.bootstrap import AGGREGATES
from casework.domain.action_plans import ACTION_PLAN
from casework.domain.aggregate import Command
from casework.domain.errors import InvalidInput
from casework.domain.fields import MAX_IDENTIFIER, MAX_TEXT
from casework.events.links import RecordRef
from casework.events.schema import events
from casework.events.store import STREAM_NAME
from casework.workflows.deadlines import DeadlineKind


def _commands() -> list[type[BaseModel]]:
    """Casework's own commands (not those other tests define for their own aggregates)."""
    found, todo = set(), list(Command.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls.__module__.startswith("casework."):
            found.add(cls)
        todo.extend(cls.__subclasses__())
    return sorted(found, key=lambda c: c.__name__)


def _text_fields(model: type[BaseModel], path: str = "") -> list[tuple[str, dict]]:
    """Every text field of a model (nested models and lists of them too), with its schema."""
    schema = model.model_json_schema()
    out = []
    for name, info in model.model_fields.items():
        where = f"{path}{model.__name__}.{name}"
        kinds = [info.annotation, *typing.get_args(info.annotation)]
        for kind in kinds + [a for k in kinds for a in typing.get_args(k)]:
            if isinstance(kind, type) and issubclass(kind, RecordRef):
                break  # a Link: its id is checked by a validator (test below)
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                out += _text_fields(kind, f"{where}.")
        prop = schema["properties"][name]
        options = [prop, *prop.get("anyOf", []), prop.get("items", {})]
        if any(o.get("type") == "string" and "enum" not in o and o.get("format") is None for o in options):
            out.append((where, prop))
    return out


@pytest.mark.parametrize("command", _commands(), ids=lambda c: c.__name__)
def test_every_text_field_of_every_command_has_a_limit_from_the_domain(command) -> None:
    for where, prop in _text_fields(command):
        limits = [o.get("maxLength") for o in [prop, *prop.get("anyOf", []), prop.get("items", {})]]
        assert any(limits), f"{where} takes text of any length"
        assert max(n for n in limits if n) <= MAX_TEXT, where


def test_an_id_field_is_an_identifier() -> None:
    for command in _commands():
        for where, prop in _text_fields(command):
            if where.endswith("_id") and not where.endswith(("framework_id", "report_id",
                                                             "cqc_location_id", "cqc_provider_id")):
                options = [prop, *prop.get("anyOf", [])]
                assert any(o.get("maxLength") == MAX_IDENTIFIER and o.get("pattern") for o in options), where


def test_a_link_to_another_record_takes_only_an_identifier() -> None:
    links = [(c, name) for c in _commands() for name, info in c.model_fields.items()
             if "RecordRef" in str(info.annotation)]
    assert len(links) == 4  # raised_from, linked and two triggered_by
    for command, name in links:
        with pytest.raises(InvalidInput) as refused:
            command.parse({name: {"kind": "visit", "id": "x" * (MAX_IDENTIFIER + 1)}})
        assert name in {field for field, _ in refused.value.errors}, command


def test_the_longest_stream_an_identifier_can_make_is_one_the_store_takes() -> None:
    ident = "x" * MAX_IDENTIFIER
    for aggregate in AGGREGATES:
        assert STREAM_NAME.match(aggregate.stream(ident)), aggregate.stream_prefix
    # A fired deadline's stream: deadline-<source stream>:<version>:<kind>[:<item id>]:<days>;
    # only an action plan's deadlines name an item (workflows/service_levels.py).
    version, days = 10**9, 9999
    for aggregate in AGGREGATES:
        source = aggregate.stream(ident)
        for kind in DeadlineKind:
            item = f":{ident}" if aggregate is ACTION_PLAN else ""
            assert STREAM_NAME.match(f"deadline-{source}:{version}:{kind}{item}:{days}"), (source, kind)
        # A sent reminder's: reminder-<deadline id>-<offset> (workflows/deadlines.py); of an
        # action plan, only its items' overdue deadlines have reminders.
        kinds = [DeadlineKind.action_item_overdue] if aggregate is ACTION_PLAN else list(DeadlineKind)
        item = f":{ident}" if aggregate is ACTION_PLAN else ""
        for kind in kinds:
            assert STREAM_NAME.match(f"reminder-{source}:{version}:{kind}{item}-{days}wd"), (source, kind)


def test_the_events_table_holds_the_longest_provider_id() -> None:
    assert events.c.provider_id.type.length >= MAX_IDENTIFIER
