"""The one mapping table: CQC service types, specialisms and activities -> Casework's words."""

from __future__ import annotations

from collections import Counter

from casework.imports.cqc import BUNDLED_CQC_FILE, parse_location, read_locations
from casework.imports.cqc_mapping import classify


def _classified(service_types=(), specialisms=(), activities=()):
    raw = {
        "locationId": "1-1",
        "name": "Home",
        "gacServiceTypes": [{"name": n} for n in service_types],
        "specialisms": [{"name": n} for n in specialisms],
        "regulatedActivities": [{"name": n} for n in activities],
    }
    return classify(parse_location(raw))


def test_a_home_with_nursing_is_a_nursing_home_even_when_it_also_lists_residential_care() -> None:
    result = _classified(["Residential homes", "Nursing homes", "Homecare agencies"])
    assert result.service_type == "care_home_nursing"


def test_client_categories_are_the_union_of_the_specialisms_rows() -> None:
    result = _classified(
        ["Residential homes"],
        ["Dementia", "Caring for adults over 65 yrs", "Sensory impairment", "Learning disabilities"],
    )
    assert result.categories == ("OP", "LD", "PDSI")


def test_personal_care_alone_makes_a_home_care_service() -> None:
    assert _classified(activities=["Personal care"]).service_type == "home_care"


def test_values_the_table_does_not_know_are_reported_not_guessed() -> None:
    result = _classified(["Hospice services"], ["Caring for adults over 65 yrs"])
    assert result.service_type is None
    assert result.unmapped == ("gacServiceTypes: Hospice services",)


def test_every_value_in_the_bundled_file_is_in_the_table() -> None:
    locations = list(read_locations(BUNDLED_CQC_FILE))
    results = [classify(loc) for loc in locations]
    assert all(r.unmapped == () for r in results)
    assert Counter(r.service_type for r in results) == {
        "care_home_residential": 336,
        "care_home_nursing": 85,
    }
