"""Today's date where the schools are: a record made at 00:30 in London belongs to that day."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

UK = ZoneInfo("Europe/London")


def today() -> date:
    return datetime.now(UK).date()
