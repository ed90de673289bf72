"""The order of one day's records: what happened by its time, then the DSL's answer to it."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from types import SimpleNamespace

from chronology.domain.chronology import ChronologyFilter, Entry, assemble

DAY = date(2026, 12, 2)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 2, hour, minute, tzinfo=timezone.utc)


def entry(kind: str, ref: str, *, on: date = DAY, time_of: time | None = None, recorded: datetime,
          answers: str = "") -> Entry:
    return Entry(kind, on, time_of, recorded, frozenset(), False, SimpleNamespace(), ref=ref, answers=answers)


def refs(entries: list[Entry]) -> list[str]:
    return [e.ref for e in assemble(entries, ChronologyFilter())]


def test_an_urgent_0850_concern_comes_before_the_untimed_decision_and_referral_that_answered_it():
    concern = entry("observation", "observation-1", time_of=time(8, 50), recorded=at(9, 0))
    decision = entry("review", "review-1", recorded=at(9, 30), answers="observation-1")
    referral = entry("referral", "referral-1", recorded=at(9, 45), answers="observation-1")
    assert refs([referral, decision, concern]) == ["observation-1", "review-1", "referral-1"]


def test_timed_records_by_time_then_untimed_ones_as_they_were_recorded():
    afternoon = entry("observation", "observation-2", time_of=time(14, 10), recorded=at(14, 20))
    morning = entry("observation", "observation-1", time_of=time(8, 50), recorded=at(15, 0))
    untimed = entry("observation", "observation-3", recorded=at(7, 0))
    event = entry("life-event", "life-event-1", recorded=at(8, 0))
    assert refs([untimed, event, afternoon, morning]) == [
        "observation-1", "observation-2", "observation-3", "life-event-1"]


def test_a_response_sits_straight_after_its_own_concern_not_after_a_later_one():
    morning = entry("observation", "observation-1", time_of=time(8, 50), recorded=at(9, 0))
    afternoon = entry("observation", "observation-2", time_of=time(14, 0), recorded=at(14, 5))
    about_morning = entry("review", "review-1", recorded=at(16, 0), answers="observation-1")
    about_afternoon = entry("review", "review-2", recorded=at(15, 0), answers="observation-2")
    assert refs([about_afternoon, about_morning, afternoon, morning]) == [
        "observation-1", "review-1", "observation-2", "review-2"]


def test_a_response_to_an_earlier_days_concern_follows_that_days_records():
    yesterday = entry("observation", "observation-1", on=date(2026, 12, 1), time_of=time(15, 0),
                      recorded=datetime(2026, 12, 1, 15, 5, tzinfo=timezone.utc))
    today = entry("observation", "observation-2", time_of=time(11, 0), recorded=at(11, 5))
    decision = entry("review", "review-1", recorded=at(8, 0), answers="observation-1")
    unlinked = entry("referral", "referral-1", recorded=at(7, 0))
    assert refs([decision, unlinked, today, yesterday]) == [
        "observation-1", "observation-2", "referral-1", "review-1"]


def test_a_response_whose_concern_is_filtered_out_still_keeps_its_day():
    concern = entry("observation", "observation-1", time_of=time(8, 50), recorded=at(9, 0))
    referral = entry("referral", "referral-1", recorded=at(9, 45), answers="observation-1")
    later = entry("observation", "observation-2", on=date(2026, 12, 3), recorded=at(23, 0))
    wanted = ChronologyFilter(date_from=DAY)
    assert [e.ref for e in assemble([later, referral], wanted)] == ["referral-1", "observation-2"]
    assert [e.ref for e in assemble([later, referral, concern], wanted)] == [
        "observation-1", "referral-1", "observation-2"]
