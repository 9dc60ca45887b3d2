"""The calendar (spec 16): periods anchored to the start date, computed from the anchor."""

from datetime import date

import pytest

from recurring.schedule import first_index_on_or_after, period_start


def starts(anchor, interval, count, how_many):
    return [period_start(anchor, interval, count, n) for n in range(how_many)]


def test_a_monthly_template_started_on_the_31st_runs_on_the_last_day_of_shorter_months():
    assert starts(date(2025, 1, 31), "month", 1, 5) == [
        date(2025, 1, 31),
        date(2025, 2, 28),
        date(2025, 3, 31),  # back to the 31st: computed from the anchor, not from Feb 28
        date(2025, 4, 30),
        date(2025, 5, 31),
    ]


def test_february_of_a_leap_year_ends_on_the_29th():
    assert starts(date(2024, 1, 31), "month", 1, 3) == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
    ]


def test_a_yearly_template_started_on_february_29():
    assert starts(date(2024, 2, 29), "year", 1, 5) == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]


@pytest.mark.parametrize(
    ("interval", "count", "expected"),
    [
        ("week", 1, [date(2026, 1, 30), date(2026, 2, 6), date(2026, 2, 13)]),
        ("week", 2, [date(2026, 1, 30), date(2026, 2, 13), date(2026, 2, 27)]),
        ("month", 2, [date(2026, 1, 30), date(2026, 3, 30), date(2026, 5, 30)]),
        ("quarter", 1, [date(2026, 1, 30), date(2026, 4, 30), date(2026, 7, 30)]),
        ("month", 1, [date(2026, 1, 30), date(2026, 2, 28), date(2026, 3, 30)]),
        ("year", 2, [date(2026, 1, 30), date(2028, 1, 30), date(2030, 1, 30)]),
    ],
)
def test_each_interval_and_count(interval, count, expected):
    assert starts(date(2026, 1, 30), interval, count, 3) == expected


def test_no_period_starts_past_the_calendar():
    assert period_start(date(2199, 12, 1), "month", 1, 1) is None
    assert period_start(date(2199, 12, 25), "week", 1, 1) is None
    assert period_start(date(2199, 12, 25), "week", 1, 0) == date(2199, 12, 25)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2020, 1, 1), 0),
        (date(2025, 1, 31), 0),
        (date(2025, 2, 1), 1),
        (date(2025, 2, 28), 1),
        (date(2025, 3, 1), 2),
        (date(2026, 1, 31), 12),
    ],
)
def test_the_first_period_on_or_after_a_day(day, expected):
    assert first_index_on_or_after(date(2025, 1, 31), "month", 1, day) == expected


def test_the_first_week_on_or_after_a_day():
    anchor = date(2026, 1, 1)
    assert first_index_on_or_after(anchor, "week", 2, date(2026, 1, 15)) == 1
    assert first_index_on_or_after(anchor, "week", 2, date(2026, 1, 16)) == 2
