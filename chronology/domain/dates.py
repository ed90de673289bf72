"""Reading dates and times as people in UK schools write them."""

from __future__ import annotations

import re
from datetime import date, datetime, time

_UK = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


class DateProblem(ValueError):
    """A date or time that cannot be read, with a message fit for the person who typed it."""


def parse_date(value: str) -> date:
    """A UK date (DD/MM/YYYY) or an ISO date (YYYY-MM-DD); never the US order."""
    text = (value or "").strip()
    if not text:
        raise DateProblem("Enter a date.")
    if m := _ISO.match(text):
        year, month, day = (int(g) for g in m.groups())
    elif m := _UK.match(text):
        day, month, year = (int(g) for g in m.groups())
    else:
        raise DateProblem(f"{text!r} is not a date; write it as DD/MM/YYYY, for example 27/03/2026.")
    try:
        return date(year, month, day)
    except ValueError:
        raise DateProblem(f"{text!r} is not a real date.") from None


def parse_optional_date(value: str | None) -> date | None:
    return parse_date(value) if value and value.strip() else None


def parse_time(value: str) -> time | None:
    """HH:MM in the 24-hour clock; blank means no time was given."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return datetime.strptime(text, "%H:%M").time()
    except ValueError:
        raise DateProblem(f"{text!r} is not a time; write it as HH:MM, for example 14:30.") from None
