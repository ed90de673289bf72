"""Rules behind the referral-ready pages, without an app: the phone deadline, field sizes, levels of need."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from chronology.domain.deadlines import confirm_in_writing_by, is_overdue
from chronology.domain.family import (
    MAX_SESSIONS, AttendanceDraft, DetailsDraft, MemberDraft, ProfessionalDraft, attendance_problems,
    details_problems, member_problems, professional_problems,
)
from chronology.services.clock import UK
from chronology.services.schools import need_level_problems

TODAY = date(2026, 3, 3)


def test_a_phone_referral_recorded_the_same_day_is_due_24_hours_after_it_was_recorded():
    recorded = datetime(2026, 3, 2, 14, 5, tzinfo=timezone.utc)
    deadline = confirm_in_writing_by(date(2026, 3, 2), recorded, UK)
    assert deadline == recorded + timedelta(hours=24)
    assert not is_overdue(deadline, recorded + timedelta(hours=23)) and is_overdue(deadline, recorded + timedelta(hours=25))


def test_a_phone_referral_recorded_days_after_the_call_was_due_the_day_after_the_call():
    recorded = datetime(2026, 3, 2, 14, 5, tzinfo=timezone.utc)
    deadline = confirm_in_writing_by(date(2026, 2, 20), recorded, UK)
    assert deadline.astimezone(UK).date() == date(2026, 2, 21) and is_overdue(deadline, recorded)


def test_texts_longer_than_their_columns_are_refused_beside_the_field():
    assert set(member_problems(MemberDraft(name="n" * 201, relationship="r" * 101, approximate_age="a" * 51),
                               TODAY)) == {"name", "relationship", "approximate_age"}
    assert set(professional_problems(ProfessionalDraft(name="Dr A", role="gp", agency="x" * 201))) == {"agency"}
    assert set(details_problems(DetailsDraft(religion="x" * 101))) == {"religion"}
    assert member_problems(MemberDraft(name="n" * 200, relationship="mother"), TODAY) == {}


def test_session_counts_no_school_year_could_hold_are_refused():
    too_many = AttendanceDraft(date(2025, 9, 1), date(2025, 12, 19), MAX_SESSIONS + 1, 10)
    assert "possible_sessions" in attendance_problems(too_many)
    only_attended = AttendanceDraft(date(2025, 9, 1), date(2025, 12, 19), None, 10**12, attendance_percent=90.0)
    assert "attended_sessions" in attendance_problems(only_attended)


def test_levels_of_need_are_at_most_ten_short_distinct_names():
    assert need_level_problems(["Universal", "Early help"]) == {}
    assert "Line 2 repeats" in need_level_problems(["Universal", "universal"])["need_levels"]
    assert "at most 10" in need_level_problems([f"Level {n}" for n in range(11)])["need_levels"]
    assert "Line 1 is too long" in need_level_problems(["x" * 101])["need_levels"]
