from datetime import date

import pytest

from casework.domain.working_days import WorkingCalendar

CAL = WorkingCalendar()


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 3, 2), 1, date(2026, 3, 3)),  # Monday -> Tuesday
        (date(2026, 3, 6), 1, date(2026, 3, 9)),  # Friday -> Monday, over the weekend
        # Easter 2026: Good Friday 3 April and Easter Monday 6 April are bank holidays.
        (date(2026, 4, 2), 1, date(2026, 4, 7)),  # Maundy Thursday -> Tuesday after Easter
        (date(2026, 4, 2), 2, date(2026, 4, 8)),
        (date(2026, 4, 3), 1, date(2026, 4, 7)),  # received on Good Friday
        # Late May bank holiday 2026: Monday 25 May.
        (date(2026, 5, 22), 1, date(2026, 5, 26)),
        (date(2026, 5, 22), 2, date(2026, 5, 27)),
        (date(2026, 5, 26), -1, date(2026, 5, 22)),
    ],
)
def test_working_days_skip_weekends_and_english_bank_holidays(start, days, expected) -> None:
    assert CAL.add_working_days(start, days) == expected


def test_easter_bank_holidays_come_from_the_holidays_library() -> None:
    assert not CAL.is_working_day(date(2026, 4, 3))
    assert not CAL.is_working_day(date(2026, 4, 6))
    assert CAL.is_working_day(date(2026, 4, 7))
    assert CAL.holiday_name(date(2026, 4, 3)) == "Good Friday"


def test_calendar_days_ignore_bank_holidays() -> None:
    assert CAL.add_days(date(2026, 4, 2), 1, working=False) == date(2026, 4, 3)


def test_council_closure_days_are_not_working_days() -> None:
    cal = WorkingCalendar(closures=[date(2026, 12, 29)])
    assert cal.add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 30)


def test_working_days_between_counts_only_working_days() -> None:
    assert CAL.working_days_between(date(2026, 4, 2), date(2026, 4, 8)) == 2
