"""Dates and times typed the way people in UK schools write them."""

from __future__ import annotations

from datetime import date, time

import pytest

from chronology.domain.dates import DateProblem, parse_date, parse_time


@pytest.mark.parametrize("typed", [
    "2/12/26", "02/12/2026", "2-12-2026", "2.12.2026", "2 12 2026", "2 December 2026", "2 Dec 26",
    "2nd Dec 2026", "2 dec. 2026", "2 December, 2026", "Wednesday 2 December 2026", "2-Dec-2026",
    " 2 / 12 / 2026 ", "2026-12-02",
])
def test_the_common_ways_of_writing_a_date_are_read_day_first(typed):
    assert parse_date(typed, reference_year=2026) == date(2026, 12, 2)


def test_september_may_be_sept():
    assert parse_date("7 Sept 2026") == date(2026, 9, 7)


def test_a_two_digit_year_is_at_most_twenty_years_ahead():
    assert parse_date("4/5/85", reference_year=2026) == date(1985, 5, 4)
    assert parse_date("4/5/46", reference_year=2026) == date(2046, 5, 4)
    assert parse_date("4/5/47", reference_year=2026) == date(1947, 5, 4)
    assert parse_date("4/5/00", reference_year=2026) == date(2000, 5, 4)


@pytest.mark.parametrize("typed, message", [
    ("12/2026", "is not a date"), ("2/12-2026", "is not a date"), ("2 Ju 2026", "is not a date"),
    ("31/02/2026", "is not a real date"), ("12/31/2026", "is not a real date"), ("", "Enter a date"),
])
def test_what_is_not_a_date_is_refused_clearly(typed, message):
    with pytest.raises(DateProblem, match=message):
        parse_date(typed)


@pytest.mark.parametrize("typed, expected", [
    ("08:50", time(8, 50)), ("8.50", time(8, 50)), ("8:50am", time(8, 50)), ("8.50 pm", time(20, 50)),
    ("0850", time(8, 50)), ("850", time(8, 50)), ("14:05", time(14, 5)), ("1405", time(14, 5)),
    ("8am", time(8, 0)), ("2 PM", time(14, 0)), ("2:15pm", time(14, 15)), ("2.15 p.m.", time(14, 15)),
    ("12pm", time(12, 0)), ("12am", time(0, 0)), ("12:30", time(12, 30)), ("noon", time(12, 0)),
    ("Midday", time(12, 0)), ("02:15", time(2, 15)), ("0:30", time(0, 30)), ("7.30", time(7, 30)),
    ("23:59", time(23, 59)),
])
def test_the_common_ways_of_writing_a_time_are_read(typed, expected):
    assert parse_time(typed) == expected


def test_a_blank_time_is_no_time():
    assert parse_time("  ") is None


@pytest.mark.parametrize("typed", ["2.15", "3:30", "215", "6.05", "1:00"])
def test_an_hour_from_one_to_six_without_am_or_pm_is_refused_as_ambiguous(typed):
    with pytest.raises(DateProblem, match="could be in the morning or the afternoon"):
        parse_time(typed)


def test_the_ambiguous_time_message_offers_both_readings():
    with pytest.raises(DateProblem) as problem:
        parse_time("2.15")
    assert "2:15am" in str(problem.value) and "14:15" in str(problem.value)


@pytest.mark.parametrize("typed, message", [
    ("25:99", "is not a time"), ("24:00", "a day has 24 hours"), ("8:60", "60 minutes"),
    ("13pm", "the hour is 1 to 12"), ("8", "is not a time"), ("half past eight", "is not a time"),
])
def test_what_is_not_a_time_is_refused_clearly(typed, message):
    with pytest.raises(DateProblem, match=message):
        parse_time(typed)


def test_a_file_from_another_system_must_write_the_year_in_full():
    with pytest.raises(DateProblem, match="as DD/MM/YYYY"):
        parse_date("04/05/15", two_digit_years=False)
    assert parse_date("04/05/2015", two_digit_years=False) == date(2015, 5, 4)
