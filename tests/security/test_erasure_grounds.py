"""Reasons cannot carry identities: an erasure gives its grounds from a fixed list, and an
optional note that is refused when it holds any token of the person's name or contact (a part
of the name of two letters or more, a hyphenated surname joined up, the email address or its
local part, the phone number in any spacing or with +44). The note is kept for good and shown to
every role, so the refusal never repeats the token it found. On SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from casework.bootstrap import Casework
from casework.events.personal_data import PersonErased

from .conftest import Cli, Http
from .scenario import WHEN

PERSON = {"name": "Mary Ann Smith-Jones", "contact": "mary.sj@example.org 07700 900123"}
# Each of these names Mary Ann Smith-Jones or gives her contact: every one must be refused.
NAMING_NOTES = [
    "Jones asked us to",                     # one part of the hyphenated surname
    "smith asked us to",
    "Request from Mary",                     # a part of the first name
    "Ann phoned the team",                   # the second part, three letters
    "M SmithJones asked",                    # an initial and the surname without its hyphen
    "Request from M. Smith-Jones",
    "Email from mary.sj@example.org",        # the email address
    "Email from MARY.SJ@EXAMPLE.ORG",
    "Email from mary.sj",                    # its local part
    "Called from 07700 900123",              # the phone number, as given
    "Called from 07700900123",               # without its space
    "Called from +44 7700 900123",           # international
    "Called from +447700900123",
    "Called from (+44) 07700-900-123",
]
# None of these names her: words that merely contain a part of her name are not her name.
NEUTRAL_NOTES = [
    "Request ER-2026-014 of 2 March 2026",
    "Annual retention review",               # "Ann" inside a word
    "Summary agreed with Jonesborough office",
    "Reference 2026/0771 (subject access team)",
]
REFUSAL = "must not contain the person's name or contact details"


def record_with_person(http: Http) -> tuple[str, str]:
    """A provider and a whistleblowing record naming PERSON; her person id and the provider's."""
    pid = http.created("officer", "/providers", {"name": "Elm Court", "service_type": "home_care"})
    rid = http.created("officer", "/intelligence", {
        "provider_id": pid, "source": "whistleblowing", "received_at": WHEN,
        "summary": "Rotas falsified", "whistleblower": PERSON})
    person_id = http.get("manager", f"/intelligence/{rid}").json()["whistleblower"]["person_id"]
    return person_id, pid


def test_a_note_naming_the_person_or_their_contact_is_refused_and_never_echoed(
    casework: Casework, http: Http, cli: Cli
) -> None:
    person_id, _ = record_with_person(http)
    count = casework.store.count()
    for note in NAMING_NOTES:
        answer = http.post("manager", f"/people/{person_id}/erase",
                           {"grounds": "data_subject_request", "note": note})
        assert answer.status_code == 422, (note, answer.text)
        errors = answer.json()["errors"]
        assert [e["field"] for e in errors] == ["note"], (note, errors)
        assert REFUSAL in errors[0]["reason"], (note, errors)
        by_cli = cli("erase", person_id, "--grounds", "data_subject_request", "--note", note)
        assert by_cli.exit_code == 2, (note, by_cli.output)
        assert "note" in by_cli.stderr and REFUSAL in by_cli.stderr, (note, by_cli.stderr)
        for shown in (answer.text, by_cli.output):
            for token in ("mary", "ann", "smith", "jones", "900123", "7700", "example.org"):
                assert token not in shown.casefold(), (note, token, shown)
    assert casework.store.count() == count, "a refused erasure appended something"
    assert casework.vault.reveal(person_id) is not None


@pytest.mark.parametrize("note", NEUTRAL_NOTES)
def test_a_note_that_does_not_name_the_person_is_accepted(note: str, casework: Casework, http: Http) -> None:
    person_id, _ = record_with_person(http)
    answer = http.post("manager", f"/people/{person_id}/erase",
                       {"grounds": "retention_period_ended", "note": note})
    assert answer.status_code == 200, answer.text
    assert casework.vault.reveal(person_id) is None


def test_grounds_are_required_and_chosen_from_the_fixed_list(
    casework: Casework, http: Http, cli: Cli
) -> None:
    person_id, _ = record_with_person(http)
    count = casework.store.count()
    for body in ({}, {"note": "Request 1"}, {"grounds": "she asked"}, {"grounds": ""},
                 {"reason": "Request 1"}):
        answer = http.post("manager", f"/people/{person_id}/erase", body)
        assert answer.status_code == 422, (body, answer.text)
    assert cli("erase", person_id).exit_code == 2
    assert cli("erase", person_id, "--note", "Request 1").exit_code == 2
    assert cli("erase", person_id, "--reason", "Request 1").exit_code == 2  # a note, not grounds
    wrong = cli("erase", person_id, "--grounds", "she_asked")
    assert wrong.exit_code == 2 and "data_subject_request" in wrong.output  # the choices are listed
    assert casework.store.count() == count
    help_text = cli("erase", "--help").stdout
    for ground in ("data_subject_request", "retention_period_ended", "recorded_in_error", "court_order"):
        assert ground in help_text
    assert "--grounds" in help_text and "--note" in help_text


def test_the_grounds_and_the_note_are_recorded_and_shown_in_the_history(
    casework: Casework, http: Http, cli: Cli
) -> None:
    person_id, provider_id = record_with_person(http)
    done = cli("erase", person_id, "--grounds", "court_order", "--reason", "Order 2026/17")
    assert done.exit_code == 0, done.output  # --reason is kept as another name for --note
    erased = casework.store.read_stream(f"person-{person_id}")[0]
    assert erased.data == {"person_id": person_id, "grounds": "court_order"}
    assert erased.metadata["reason"] == "Order 2026/17"
    history = json.loads(cli("history", provider_id, "--json").stdout)
    entry = next(e for e in history["events"] if e["type"] == "PersonErased")
    assert entry["data"]["grounds"] == "court_order" and entry["reason"] == "Order 2026/17"
    for role in ("officer", "auditor", "manager"):
        shown = http.get(role, f"/providers/{provider_id}/history").json()
        assert [(e["data"]["grounds"], e["reason"]) for e in shown if e["type"] == "PersonErased"] == [
            ("court_order", "Order 2026/17")], role
    http.sign_in("auditor")
    page = http.client.get(f"/providers/{provider_id}").text
    assert "Court order" in page and "Order 2026/17" in page


def test_an_erasure_recorded_before_grounds_existed_still_reads() -> None:
    old = PersonErased.model_validate({"person_id": "0b6f3c1e-5d0a-4a53-9a59-2f0d9c1b7e42"})
    assert old.grounds is None
