"""Reading CQC location records: the bundled Devon and Plymouth file, and CQC's quirks."""

from __future__ import annotations

from collections import Counter
from datetime import date

import orjson
import pytest

from casework.events.providers import CqcRating, KeyQuestion
from casework.imports.cqc import (
    BUNDLED_CQC_FILE,
    CqcLocation,
    Rejected,
    parse_cqc_date,
    read_locations,
)


def _location(**overrides: object) -> dict:
    record = {
        "locationId": "1-100",
        "providerId": "1-200",
        "name": "Harbour View",
        "numberOfBeds": 30,
        "localAuthority": "Plymouth",
        "onspdCcgName": "NHS Devon CCG",
        "registrationDate": "04/11/2013",
        "gacServiceTypes": [{"name": "Residential homes"}],
        "specialisms": [{"name": "Dementia"}],
        "regulatedActivities": [{"name": "Accommodation for persons who require nursing or personal care"}],
        "currentRatings": {
            "overall": {
                "rating": "Good",
                "reportDate": "2020-05-06",
                "reportLinkId": "r-2020",
                "keyQuestionRatings": [{"name": "Well-led", "rating": "Good"}],
            }
        },
        "historicRatings": [
            {"reportLinkId": "r-2017", "reportDate": "2017-07-20",
             "overall": {"rating": "Requires improvement"}},
        ],
    }
    record.update(overrides)
    return record


def _lines(*records: object) -> list[str]:
    return [r if isinstance(r, str) else orjson.dumps(r).decode() for r in records]


def test_the_bundled_file_reads_to_the_figures_in_its_readme() -> None:
    locations = list(read_locations(BUNDLED_CQC_FILE))
    assert all(isinstance(loc, CqcLocation) for loc in locations)
    assert len(locations) == 421
    assert sum(loc.beds or 0 for loc in locations) == 10_514
    assert sum(loc.historic_listed for loc in locations) == 806
    current = Counter(loc.current_rating.overall if loc.current_rating else None for loc in locations)
    assert current == {
        CqcRating.good: 322,
        CqcRating.outstanding: 43,
        CqcRating.requires_improvement: 40,
        CqcRating.inadequate: 10,
        CqcRating.inspected_but_not_rated: 1,
        None: 5,
    }


def test_registration_dates_are_day_month_year_and_report_dates_iso() -> None:
    (loc,) = read_locations(_lines(_location()))
    assert loc.registration_date == date(2013, 11, 4)
    assert [r.report_date for r in loc.ratings] == [date(2017, 7, 20), date(2020, 5, 6)]
    assert parse_cqc_date("2021-01-12", "x") == date(2021, 1, 12)


def test_ratings_are_oldest_first_with_key_questions_under_casework_names() -> None:
    (loc,) = read_locations(_lines(_location()))
    assert [(r.overall, r.current) for r in loc.ratings] == [
        (CqcRating.requires_improvement, False),
        (CqcRating.good, True),
    ]
    assert loc.current_rating.key_questions == {KeyQuestion.well_led: CqcRating.good}


def test_a_report_listed_both_as_historic_and_current_is_one_rating_the_current_winning() -> None:
    partial = {"reportLinkId": "r-2020", "reportDate": "2020-05-06",
               "overall": {"keyQuestionRatings": [{"name": "Safe", "rating": "Inspected but not rated"}]}}
    (loc,) = read_locations(_lines(_location(historicRatings=[partial])))
    assert len(loc.ratings) == 1
    assert loc.ratings[0].overall == CqcRating.good and loc.ratings[0].current
    assert loc.historic_listed == 1


def test_inspected_but_not_rated_is_kept_and_no_published_rating_is_none() -> None:
    current = {"overall": {"rating": "Inspected but not rated", "reportDate": "2020-12-18",
                           "keyQuestionRatings": [{"name": "Caring", "rating": "No published rating"}]}}
    (loc,) = read_locations(_lines(_location(currentRatings=current, historicRatings=[])))
    assert loc.current_rating.overall == CqcRating.inspected_but_not_rated
    assert loc.current_rating.key_questions == {}
    assert loc.current_rating.key == "2020-12-18"  # no report link id: the date identifies it


def test_pre_2014_outcomes_are_reports_without_a_rating() -> None:
    old = {"reportLinkId": "r-2014", "reportDate": "2014-06-25",
           "overall": {"rating": "Compliance action",
                       "keyQuestionRatings": [{"name": "Safe", "rating": "No action"}]}}
    (loc,) = read_locations(_lines(_location(historicRatings=[old])))
    assert (loc.ratings[0].overall, loc.ratings[0].key_questions) == (None, {})


def test_a_location_with_no_ratings_or_optional_fields_still_reads() -> None:
    bare = {"locationId": "1-9", "name": "New Home"}
    (loc,) = read_locations(_lines(bare))
    assert loc.ratings == () and loc.beds is None and loc.current_rating is None
    assert loc.service_types == () and loc.registration_date is None


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (_location(locationId=None), "no locationId"),
        (_location(numberOfBeds="many"), "numberOfBeds 'many' is not a number"),
        (_location(registrationDate="2013/31/31"), "registrationDate '2013/31/31' is not a date"),
        (_location(historicRatings=[{"reportDate": "yesterday"}]), "historicRatings[1] reportDate"),
        (_location(historicRatings=[{"reportDate": "2019-01-01", "overall": {"rating": "Superb"}}]),
         "unknown rating 'Superb'"),
    ],
)
def test_an_unreadable_record_is_rejected_with_its_line_number_and_reason(line: object, reason: str) -> None:
    good = _location(locationId="1-1")
    results = list(read_locations(_lines(good, "", line, _location(locationId="1-3"))))
    assert [type(r) for r in results] == [CqcLocation, Rejected, CqcLocation]
    rejected = results[1]
    assert rejected.line == 3
    assert reason in rejected.reason
