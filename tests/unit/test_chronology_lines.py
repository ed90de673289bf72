"""Each chronology entry as the page prints it, worked out without an app."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from chronology.domain.chronology import Entry, lines

UK = ZoneInfo("Europe/London")


def entry(kind: str, on: date, at: time | None = None, *, recorded: datetime, significant: bool = False) -> Entry:
    return Entry(kind, on, at, recorded, frozenset(), significant, SimpleNamespace(kind=kind))


def test_a_line_carries_its_anchor_and_its_dates_in_the_uk_style():
    concern = entry("observation", date(2026, 3, 3), time(9, 5),
                    recorded=datetime(2026, 3, 3, 9, 20, tzinfo=timezone.utc))
    event = entry("life-event", date(2026, 3, 4), recorded=datetime(2026, 3, 4, 12, 0, tzinfo=timezone.utc),
                  significant=True)
    first, second = lines([(concern, 12), (event, 7)], UK)
    assert (first.anchor, first.on, first.at, first.recorded) == ("observation-12", "03/03/2026", "09:05",
                                                                   "03/03/2026 09:20")
    assert (second.anchor, second.on, second.at, second.significant) == ("life-event-7", "04/03/2026", "", True)
    assert first.entry is concern and first.record is concern.record and first.kind == "observation"


def test_the_time_it_was_recorded_is_school_time_across_midnight_in_summer():
    # 23:30 UTC on 30 June is 00:30 on 1 July in London (BST): the day the school saw it written.
    late = entry("review", date(2026, 6, 30), recorded=datetime(2026, 6, 30, 23, 30, tzinfo=timezone.utc))
    (line,) = lines([(late, 3)], UK)
    assert line.recorded == "01/07/2026 00:30" and line.on == "30/06/2026"


def test_lines_keep_the_order_they_are_given():
    day = date(2026, 1, 9)
    at = datetime(2026, 1, 9, 10, tzinfo=timezone.utc)
    given = [(entry("observation", day, recorded=at), n) for n in (5, 2, 9)]
    assert [line.anchor for line in lines(given, UK)] == ["observation-5", "observation-2", "observation-9"]
