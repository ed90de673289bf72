"""Reading dates and times as people in UK schools write them.

Dates: day first, always (never the US order). 2/12/26, 02/12/2026, 2-12-2026, 2.12.2026,
2 December 2026, 2 Dec 26 and 2nd Dec 2026 all read as 2 December 2026; an ISO date
(2026-12-02) is read too, for files from other systems.

A two-digit year is read in the century that puts it at most 20 years after the reference year
(this year, unless one is given): in 2026, "26" is 2026, "46" is 2046 and "85" is 1985, so a
parent's date of birth and next term's follow-up both come out right.

Times: 08:50, 8.50, 8:50am, 8.50 pm, 0850, 14:05, 8am and noon. One hour is ambiguous: a single
digit from 1 to 6 with no am or pm ("2.15", "3:30", "215"), which is as likely the school
afternoon as the middle of the night. It is refused with a message that offers both readings.
Hours from 7 to 12 with no am or pm are read as written (the school morning, and noon), a
leading zero ("02:15") says the 24-hour clock is meant, and 13 to 23 can only be the afternoon
and evening.
"""

from __future__ import annotations

import re
from datetime import date, time

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})\s*([/.\-\s])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{2})")
_WORDS = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?\s*[\s\-/.]?\s*([a-z]+)\.?,?\s*[\s\-/.]?\s*(\d{4}|\d{2})")
_WEEKDAY = re.compile(r"^(mon|tues?|wed(nes)?|thu(rs?)?|fri|sat(ur)?|sun)(day)?\.?,?\s+")
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")

_TIME = re.compile(r"(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?")
_TIME_DIGITS = re.compile(r"(\d{3,4})\s*(am|pm|a\.m\.|p\.m\.)?")
_NOON = ("noon", "12 noon", "midday", "12 midday")
_MIDNIGHT = ("midnight", "12 midnight")
DATE_EXAMPLE = "for example 27/03/2026 or 27 March 2026"
TIME_EXAMPLE = "for example 08:50, 8.50am or 14:30"


class DateProblem(ValueError):
    """A date or time that cannot be read, with a message fit for the person who typed it."""


def parse_date(value: str, *, reference_year: int | None = None, two_digit_years: bool = True) -> date:
    """A date written day first (or an ISO date); see the module's docstring for the forms read.
    A file from another system is read with `two_digit_years=False`: a person can be asked what
    they meant by "15", a thousand rows of an export cannot."""
    text = " ".join((value or "").split())
    if not text:
        raise DateProblem("Enter a date.")
    folded = _WEEKDAY.sub("", text.casefold())
    if m := _ISO.fullmatch(folded):
        year, month, day = (int(g) for g in m.groups())
    elif (m := _NUMERIC.fullmatch(folded)) and (two_digit_years or len(m.group(4)) == 4):
        day, month, year = int(m.group(1)), int(m.group(3)), _full_year(m.group(4), reference_year)
    elif ((m := _WORDS.fullmatch(folded)) and (month := _month_number(m.group(2)))
          and (two_digit_years or len(m.group(3)) == 4)):
        day, year = int(m.group(1)), _full_year(m.group(3), reference_year)
    else:
        example = DATE_EXAMPLE if two_digit_years else "as DD/MM/YYYY, for example 27/03/2026"
        raise DateProblem(f"{text!r} is not a date; write the day, month and year, {example}.")
    try:
        return date(year, month, day)
    except ValueError:
        raise DateProblem(f"{text!r} is not a real date.") from None


def parse_optional_date(value: str | None, *, reference_year: int | None = None) -> date | None:
    return parse_date(value, reference_year=reference_year) if value and value.strip() else None


def _month_number(word: str) -> int | None:
    """January from "jan", "janu" or "january"; "sept" is September. At least three letters."""
    if len(word) < 3:
        return None
    for number, name in enumerate(MONTHS, start=1):
        if name.startswith(word):
            return number
    return 9 if word == "sept" else None


def _full_year(digits: str, reference_year: int | None) -> int:
    if len(digits) == 4:
        return int(digits)
    reference = reference_year or date.today().year
    year = reference // 100 * 100 + int(digits)
    return year - 100 if year > reference + 20 else year


def parse_time(value: str) -> time | None:
    """A time of day in any of the forms the module's docstring lists; blank means no time was given."""
    text = " ".join((value or "").split())
    if not text:
        return None
    folded = text.casefold()
    if folded in _NOON:
        return time(12, 0)
    if folded in _MIDNIGHT:
        return time(0, 0)
    if m := _TIME_DIGITS.fullmatch(folded):
        digits, suffix = m.groups()
        hour_text, minutes = digits[:-2], int(digits[-2:])
    elif m := _TIME.fullmatch(folded):
        hour_text, minutes_text, suffix = m.groups()
        minutes = int(minutes_text or 0)
        if minutes_text is None and suffix is None:
            raise DateProblem(f"{text!r} is not a time; write the hours and minutes, {TIME_EXAMPLE}.")
    else:
        raise DateProblem(f"{text!r} is not a time; write the hours and minutes, {TIME_EXAMPLE}.")
    hour = int(hour_text)
    if minutes > 59:
        raise DateProblem(f"{text!r} is not a time: an hour has 60 minutes.")
    if suffix:
        if not 1 <= hour <= 12:
            raise DateProblem(f"{text!r} is not a time: with am or pm, the hour is 1 to 12.")
        hour = hour % 12 + (12 if suffix.startswith("p") else 0)
    elif hour > 23:
        raise DateProblem(f"{text!r} is not a time: a day has 24 hours.")
    elif 1 <= hour <= 6 and len(hour_text) == 1:
        raise DateProblem(
            f"{text!r} could be in the morning or the afternoon: write {hour}:{minutes:02d}am or "
            f"{hour + 12}:{minutes:02d} for {hour}:{minutes:02d}pm.")
    return time(hour, minutes)


def uk_date(day: date) -> str:
    """The one form a date is shown and kept in on a form: DD/MM/YYYY."""
    # Not strftime: on Linux it writes the year 1 as "1", not "0001".
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def clock_time(moment: time) -> str:
    """The one form a time is shown and kept in on a form: HH:MM, 24-hour clock."""
    return moment.strftime("%H:%M")
