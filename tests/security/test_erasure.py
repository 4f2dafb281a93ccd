"""Erasure on request (``casework erase``, ``POST /people/{id}/erase``): afterwards the identity
shows nowhere (API answers of every role, the web record page, the history, the annual report in
each format, the logs, the raw database), while every event stays, the hash chains verify and
the rest of the history still reads. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import MetaData, select, text

from casework.bootstrap import Casework

from .conftest import Cli, Http, Logs
from .scenario import ADULT, WHEN, WHISTLEBLOWER, build_case, leaks


def everything_shown(http: Http, cli: Cli, case) -> dict[str, str]:
    """Every answer, page and export that could show the identities, by where it came from."""
    shown: dict[str, str] = {}
    for role in ("officer", "manager", "auditor", "admin"):
        for path in (f"/intelligence/{case.record_id}", f"/safeguarding-concerns/{case.concern_id}",
                     f"/providers/{case.provider_id}/history", f"/providers/{case.provider_id}",
                     "/intelligence", "/alerts", "/deadlines", "/stats?from=2026-01-01&to=2026-12-31"):
            answer = http.get(role, path)
            if answer.status_code != 403:  # admins may not read case data at all
                assert answer.status_code == 200, (role, path, answer.text)
            shown[f"{role} GET {path}"] = answer.text
    for role in ("officer", "auditor", "manager"):
        http.sign_in(role)
        for path in (f"/intelligence/{case.record_id}", f"/providers/{case.provider_id}", "/inbox"):
            answer = http.client.get(path)
            assert answer.status_code == 200, path
            shown[f"web {path} as {role}"] = answer.text
    history = cli("history", case.provider_id, "--json")
    assert history.exit_code == 0, history.output
    shown["casework history --json"] = history.stdout
    for fmt in ("json", "csv", "html"):
        report = cli("report", "annual", "--from", "2025-04-01", "--to", "2026-03-31", "--format", fmt)
        assert report.exit_code == 0, report.output
        shown[f"annual report {fmt}"] = report.stdout
    return shown


def every_stored_value(casework: Casework) -> str:
    """Every row of every table (events, keys, read models, users, idempotency answers...) as
    text: what a database dump would show."""
    tables = MetaData()
    tables.reflect(casework.engine)
    out = []
    with casework.engine.connect() as conn:
        for table in tables.sorted_tables:
            for row in conn.execute(select(table)):
                out.append(" ".join(v.decode("latin-1") if isinstance(v, bytes) else str(v) for v in row))
    return "\n".join(out)


def person_ids(http: Http, case) -> tuple[str, str]:
    record = http.get("manager", f"/intelligence/{case.record_id}").json()
    concern = http.get("manager", f"/safeguarding-concerns/{case.concern_id}").json()
    assert record["whistleblower"]["name"] == WHISTLEBLOWER["name"]
    assert concern["adults_at_risk"][0]["name"] == ADULT["name"]
    return record["whistleblower"]["person_id"], concern["adults_at_risk"][0]["person_id"]


def test_after_erasure_the_identities_show_nowhere_and_the_history_still_verifies(
    casework: Casework, http: Http, cli: Cli, logs: Logs
) -> None:
    case = build_case(http)
    whistleblower_id, adult_id = person_ids(http, case)
    before = everything_shown(http, cli, case)
    # Managers see both people, on the API and the record page: the scan below can find them.
    assert leaks(before["manager GET " + f"/intelligence/{case.record_id}"])
    assert leaks(before[f"web /intelligence/{case.record_id} as manager"])
    assert whistleblower_id in before[f"web /intelligence/{case.record_id} as manager"]
    assert not leaks("".join(v for k, v in before.items() if "manager" not in k)), "a leak before erasure"
    events_before = casework.store.count()
    ciphertexts = {e.stream: e.data for e in casework.store.read_history(case.provider_id)}

    erased = http.post("manager", f"/people/{whistleblower_id}/erase", {"grounds": "data_subject_request",
                                                                           "note": "Request ER-2026-014"})
    assert erased.status_code == 200, erased.text
    assert erased.json()["already_erased"] is False and erased.json()["erased_by"] == "manager"
    by_cli = cli("erase", adult_id, "--grounds", "recorded_in_error", "--note", "Request ER-2026-015")
    assert by_cli.exit_code == 0, by_cli.output
    assert "erased person" in by_cli.stdout

    after = everything_shown(http, cli, case)
    found = {where: leaks(shown) for where, shown in after.items() if leaks(shown)}
    assert not found, f"identities still shown after erasure: {found}"
    record = http.get("manager", f"/intelligence/{case.record_id}").json()
    assert record["whistleblower"] == {"person_id": whistleblower_id, "erased": True}
    assert record["summary"] == "Night staff asleep on duty" and record["state"] == "closed"
    concern = http.get("manager", f"/safeguarding-concerns/{case.concern_id}").json()
    assert concern["adults_at_risk"] == [{"person_id": adult_id, "name": None, "contact": None,
                                          "erased": True}]
    assert "Erased on request" in after[f"web /intelligence/{case.record_id} as manager"]

    # Every event is still there, unchanged (the ciphertext stays; only the keys are gone), plus
    # one PersonErased per person, with who and why but never who the person was.
    assert casework.store.count() == events_before + 2
    history = json.loads(after["casework history --json"])
    assert history["verified"] is True
    still = {e.stream: e.data for e in casework.store.read_history(case.provider_id)
             if not e.stream.startswith("person-")}
    assert still == ciphertexts
    erasures = [e for e in history["events"] if e["type"] == "PersonErased"]
    assert [(e["actor"], e["reason"], e["data"]) for e in erasures] == [
        ("manager", "Request ER-2026-014",
         {"person_id": whistleblower_id, "grounds": "data_subject_request"}),
        (by_cli_actor(erasures[1]), "Request ER-2026-015",
         {"person_id": adult_id, "grounds": "recorded_in_error"})]
    assert casework.store.verify().ok
    verified = cli("verify")
    assert verified.exit_code == 0 and "intact" in verified.stdout

    stored = every_stored_value(casework)
    assert not leaks(stored), "plaintext in the database"
    assert whistleblower_id in stored  # the sealed data stays in the log...
    with casework.engine.connect() as conn:  # ...but its keys are gone
        keys = conn.execute(text("SELECT person_id FROM person_keys")).scalars().all()
    assert whistleblower_id not in keys and adult_id not in keys
    assert '"event": "request"' in logs.text and '"event": "person_erased"' in logs.text  # captured
    assert not leaks(logs.text), "identities in the logs"
    assert casework.vault.reveal(whistleblower_id) is None


def by_cli_actor(event: dict) -> str:
    assert event["actor"].startswith("cli:")
    return event["actor"]


def test_erasing_twice_does_nothing_more_and_says_so(casework: Casework, http: Http, cli: Cli) -> None:
    case = build_case(http)
    whistleblower_id, _ = person_ids(http, case)
    assert cli("erase", whistleblower_id, "--grounds", "data_subject_request").exit_code == 0
    count = casework.store.count()
    again = cli("erase", whistleblower_id, "--grounds", "data_subject_request", "--note", "Request 1 again")
    assert again.exit_code == 0 and "already erased" in again.stdout
    by_api = http.post("manager", f"/people/{whistleblower_id}/erase",
                       {"grounds": "data_subject_request", "note": "Once more"})
    assert by_api.status_code == 200 and by_api.json()["already_erased"] is True
    assert by_api.json()["erased_by"].startswith("cli:")
    assert casework.store.count() == count


def test_erase_refuses_unknown_people_bad_usage_and_a_note_naming_the_person(
    casework: Casework, http: Http, cli: Cli
) -> None:
    case = build_case(http)
    whistleblower_id, _ = person_ids(http, case)
    count = casework.store.count()
    unknown = cli("erase", str(uuid.uuid4()), "--grounds", "court_order")
    assert unknown.exit_code == 1 and "no person" in unknown.stderr
    assert cli("erase", "not-an-id", "--grounds", "court_order").exit_code == 2
    assert cli("erase", whistleblower_id).exit_code == 2  # --grounds is required
    assert cli("erase", whistleblower_id, "--grounds", "  ").exit_code == 2
    naming = cli("erase", whistleblower_id, "--grounds", "court_order", "--note", "Wilhelmina asked us to")
    assert naming.exit_code == 2 and "must not contain the person's name" in naming.stderr
    assert not leaks(naming.output)
    assert http.post("manager", f"/people/{uuid.uuid4()}/erase",
                     {"grounds": "court_order"}).status_code == 404
    assert casework.store.count() == count
    assert casework.vault.reveal(whistleblower_id) is not None
    help_text = cli("erase", "--help").stdout
    assert "IRREVERSIBLE" in help_text and "hash chain" in help_text and "verify" in help_text


def test_only_managers_may_erase_over_http(casework: Casework, http: Http) -> None:
    case = build_case(http)
    whistleblower_id, _ = person_ids(http, case)
    count = casework.store.count()
    for role in ("officer", "auditor", "admin"):
        answer = http.post(role, f"/people/{whistleblower_id}/erase", {"grounds": "court_order"})
        assert answer.status_code == 403, (role, answer.text)
    assert casework.store.count() == count
    assert casework.vault.reveal(whistleblower_id) is not None
    for role in ("officer", "auditor", "admin"):  # and none of them is told who it was
        record = http.get(role, f"/intelligence/{case.record_id}")
        if record.status_code == 200:
            assert record.json()["whistleblower"] == {"restricted": True}
            assert whistleblower_id not in record.text


def test_managers_find_the_person_id_beside_the_name_and_no_one_else_sees_it(site) -> None:
    _, http = site
    pid = http.created("officer", "/providers", {"name": "Larchfield", "service_type": "care_home_nursing"})
    rid = http.created("officer", "/intelligence", {"provider_id": pid, "source": "whistleblowing",
                                                    "received_at": WHEN, "summary": "Rotas falsified",
                                                    "whistleblower": WHISTLEBLOWER})
    cid = http.created("officer", "/safeguarding-concerns", {"provider_id": pid, "category": "neglect",
                                                            "summary": "Bruising", "adults_at_risk": [ADULT]})
    whistleblower = http.get("manager", f"/intelligence/{rid}").json()["whistleblower"]["person_id"]
    adult = http.get("manager", f"/safeguarding-concerns/{cid}").json()["adults_at_risk"][0]["person_id"]
    pages = {f"/intelligence/{rid}": whistleblower, f"/providers/{pid}": adult}
    http.sign_in("manager")
    for path, person_id in pages.items():
        html = http.client.get(path).text
        assert person_id in html and leaks(html), path
    for role in ("officer", "auditor"):
        http.sign_in(role)
        for path, person_id in pages.items():
            html = http.client.get(path).text
            assert person_id not in html and not leaks(html), (role, path)
        for path in (f"/intelligence/{rid}", f"/safeguarding-concerns/{cid}"):
            answer = http.get(role, path).text
            assert whistleblower not in answer and adult not in answer
