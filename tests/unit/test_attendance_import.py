"""Reading the MIS attendance export: sessions or a percentage, MIS headings, and every bad row."""

from __future__ import annotations

from datetime import date

from chronology.domain.attendance_import import parse_attendance
from chronology.domain.upn import synthetic_upn

UPN1, UPN2 = synthetic_upn(31), synthetic_upn(32)


def errors_at(result) -> set[tuple[int | None, str]]:
    return {(e.line, e.column) for e in result.errors}


def test_sessions_or_a_percentage_in_uk_or_iso_dates():
    result = parse_attendance("upn,period_start,period_end,possible_sessions,attended_sessions\n"
                              f"{UPN1},01/09/2025,19/12/2025,140,119\n{UPN2},2025-09-01,2025-12-19,140,140\n")
    assert result.errors == ()
    first, second = result.rows
    assert first.draft.period_start == date(2025, 9, 1) and first.draft.period_end == date(2025, 12, 19)
    assert (first.draft.possible_sessions, first.draft.attended_sessions) == (140, 119)
    assert second.upn == UPN2

    result = parse_attendance(f"UPN,Start Date,End Date,Attendance %\n{UPN1},01/09/2025,19/12/2025,84.5%\n")
    assert result.errors == ()
    assert result.rows[0].draft.attendance_percent == 84.5


def test_mis_headings_for_sessions_are_recognised():
    result = parse_attendance(f"UPN,Start Date,End Date,Possible Sessions,Attended\n{UPN1},01/09/2025,19/12/2025,140,119\n")
    assert result.errors == ()
    assert result.rows[0].draft.attended_sessions == 119


def test_a_file_with_neither_sessions_nor_a_percentage_is_refused_at_its_heading():
    result = parse_attendance(f"upn,period_start,period_end,possible_sessions\n{UPN1},01/09/2025,19/12/2025,140\n")
    assert [(e.line, e.column) for e in result.errors] == [(1, "")]
    assert "attendance_percent" in result.errors[0].reason


def test_every_bad_row_is_reported_with_its_line_and_column():
    result = parse_attendance(
        "UPN,Start Date,End Date,Possible Sessions,Attended\n"
        f"{UPN1},01/09/2025,19/12/2025,140,119\n"      # 2: fine
        f"{UPN1},01/09/2025,19/12/2025,140,120\n"      # 3: the same period again
        f"{UPN2},01/09/2025,31/11/2025,140,119\n"      # 4: no such date
        f"{UPN2},01/01/2026,19/12/2025,140,119\n"      # 5: ends before it starts
        f"{UPN2},06/01/2026,27/03/2026,100,101\n"      # 6: more attended than possible
        f"{UPN2},13/04/2026,22/05/2026,lots,\n"        # 7: not a number
        f"NOT-A-UPN,13/04/2026,22/05/2026,50,40\n"     # 8: bad UPN
    )
    assert errors_at(result) == {(3, "Start Date"), (4, "End Date"), (5, "End Date"), (6, "Attended"),
                                 (7, "Possible Sessions"), (8, "UPN")}
    assert [row.line for row in result.rows] == [2]


def test_a_percentage_must_be_a_number_between_0_and_100():
    result = parse_attendance(f"upn,period_start,period_end,attendance_percent\n"
                              f"{UPN1},01/09/2025,19/12/2025,high\n{UPN2},01/09/2025,19/12/2025,101\n"
                              f"{UPN2},06/01/2026,27/03/2026,\n")
    assert errors_at(result) == {(2, "attendance_percent"), (3, "attendance_percent"), (4, "attendance_percent")}


def test_a_number_of_sessions_too_big_for_any_period_is_refused_not_stored():
    result = parse_attendance(f"upn,period_start,period_end,possible_sessions,attended_sessions\n"
                              f"{UPN1},01/09/2025,19/12/2025,99999999999999999999,1\n")
    assert errors_at(result) == {(2, "possible_sessions")}
    assert "more than a period can have" in result.errors[0].reason
