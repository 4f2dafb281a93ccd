"""The dashboard counts the council's own providers, says so, and switches to every provider known."""

from __future__ import annotations

from projections.builders import rated_provider

from casework.domain.enums import CqcRating


def test_the_dashboard_counts_the_councils_providers_and_switches_to_all(web) -> None:
    rated_provider(web.cw, "Ours", contracted=True, rating=CqcRating.good, beds=30)
    rated_provider(web.cw, "Elsewhere", contracted=False, rating=CqcRating.outstanding, beds=50)
    web.sign_in("olive")
    period = {"start": "2025-04-01", "end": "2026-03-31"}
    own = web.client.get("/dashboard", params=period)
    assert own.status_code == 200
    assert "council's 1 contracted providers" in own.text
    assert "CQC ratings of contracted providers" in own.text
    assert "Good 100.0 %" in own.text and "30 beds" in own.text
    known = web.client.get("/dashboard", params={**period, "population": "all"})
    assert "all 2 providers known" in known.text
    assert "Outstanding 50.0 %" in known.text and "80 beds" in known.text


def test_a_provider_page_shows_the_register_with_a_link_to_its_cqc_page(web, tmp_path) -> None:
    """Issue 20: the page showed no address, beds, CQC location id or registered manager,
    though the import stores them."""
    import orjson

    from casework.imports.cqc import BUNDLED_CQC_FILE
    from casework.imports.cqc_importer import CqcImporter, provider_id_for

    record = orjson.loads(BUNDLED_CQC_FILE.read_text(encoding="utf-8").splitlines()[0])
    record["regulatedActivities"][0]["contacts"] = [{
        "personTitle": "Mrs", "personGivenName": "Jane", "personFamilyName": "Moss",
        "personRoles": ["Registered Manager"]}]
    source = tmp_path / "one.jsonl"
    source.write_bytes(orjson.dumps(record) + b"\n")
    assert CqcImporter(web.cw.application, contracted_areas=["Devon"]).import_file(source).ok
    pid = provider_id_for(record["locationId"])
    web.sign_in("olive")
    page = web.client.get(f"/providers/{pid}").text
    register = page[page.index('id="register"'):page.index("</dl>", page.index('id="register"'))]
    assert "22 Salutary Mount, Heavitree, EX1 2QE" in register
    assert "<dd>28</dd>" in register
    assert f'href="https://www.cqc.org.uk/location/{record["locationId"]}"' in register
    assert "Mrs Jane Moss" in register and "Contracted by the council" in register
    answer = web.client.get(f"/api/v1/providers/{pid}",
                            headers={"Authorization": f"Bearer {web.users.token('olive')}"}).json()
    assert (answer["beds"], answer["postcode"]) == (28, "EX1 2QE")
    assert answer["registered_manager"] == "Mrs Jane Moss"
    assert answer["cqc_url"] == f"https://www.cqc.org.uk/location/{record['locationId']}"
