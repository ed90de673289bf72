"""Reading past concerns from CSV: the format of each row, every problem with its line and column."""

from __future__ import annotations

from datetime import date

import pytest

from chronology.domain.observation_import import parse_observations
from chronology.domain.upn import synthetic_upn

HEADER = "upn,occurred_on,categories,source,description,child_voice,action_taken,recorded_by"
UPN1, UPN2 = synthetic_upn(11), synthetic_upn(12)


def row(**overrides: str) -> str:
    cells = {
        "upn": UPN1, "occurred_on": "2025-11-03", "categories": "hunger;hygiene", "source": "staff",
        "description": "Came in without breakfast again", "child_voice": '"I had crisps"',
        "action_taken": "Gave toast", "recorded_by": "teacher@school.example.org",
    }
    cells.update(overrides)
    return ",".join(cells[name] for name in HEADER.split(","))


def errors_at(result) -> set[tuple[int | None, str]]:
    return {(e.line, e.column) for e in result.errors}


def test_a_good_file_gives_each_row_with_its_values():
    result = parse_observations(f"{HEADER}\n{row()}\n{row(upn=UPN2, categories='disclosure', source='child')}\n")
    assert result.errors == ()
    first, second = result.rows
    assert first.line == 2 and first.upn == UPN1
    assert first.occurred_on == date(2025, 11, 3)
    assert first.categories == ("hunger", "hygiene")
    assert first.source == "staff"
    assert first.child_voice == "I had crisps"
    assert first.recorded_by == "teacher@school.example.org"
    assert second.categories == ("disclosure",) and second.source == "child"


def test_what_was_written_is_kept_exactly_including_spaces_and_line_breaks():
    description = '"  Zoë said: ""my dad\'s friend Nguyễn shouts""\r\nShe was crying.  "'
    result = parse_observations(f"{HEADER}\r\n{row(description=description)}\r\n")
    assert result.errors == ()
    assert result.rows[0].description == '  Zoë said: "my dad\'s friend Nguyễn shouts"\r\nShe was crying.  '


def test_categories_ignore_case_spaces_and_repeats():
    result = parse_observations(f"{HEADER}\n{row(categories=' Hunger ; hunger;TIREDNESS; ')}\n")
    assert result.rows[0].categories == ("hunger", "tiredness")


@pytest.mark.parametrize("written", ["03/11/2025", "2025/11/03", "3 Nov 2025", "2025-11-3", ""])
def test_occurred_on_must_be_yyyy_mm_dd(written):
    result = parse_observations(f"{HEADER}\n{row(occurred_on=written)}\n")
    assert errors_at(result) == {(2, "occurred_on")}


def test_impossible_date_is_refused():
    result = parse_observations(f"{HEADER}\n{row(occurred_on='2025-02-30')}\n")
    assert errors_at(result) == {(2, "occurred_on")}


def test_every_bad_row_is_reported_with_line_and_column():
    text = "\n".join([
        HEADER,
        row(),                                                # line 2: fine
        row(categories="hunger;sadness"),                     # line 3
        row(source="teacher"),                                # line 4
        row(description="   ", recorded_by="not-an-email"),   # line 5: two problems
        row(upn="X" + UPN2[1:], categories=""),               # line 6: two problems
    ]) + "\n"
    result = parse_observations(text)
    assert errors_at(result) == {
        (3, "categories"), (4, "source"), (5, "description"), (5, "recorded_by"), (6, "upn"), (6, "categories"),
    }
    assert "sadness" in next(e.reason for e in result.errors if e.line == 3)
    assert [r.line for r in result.rows] == [2]


def test_headings_are_matched_whatever_their_case_and_named_as_written():
    header = "UPN,Occurred On,Categories,Source,Description,Child Voice,Action Taken,Recorded_By"
    result = parse_observations(f"{header}\n{row(source='nobody')}\n")
    assert errors_at(result) == {(2, "Source")}


def test_child_voice_and_action_columns_may_be_left_out():
    header = "upn,occurred_on,categories,source,description,recorded_by"
    result = parse_observations(f"{header}\n{UPN1},2025-11-03,injury,staff,Bruise on arm,t@school.example.org\n")
    assert result.errors == ()
    assert result.rows[0].child_voice == "" and result.rows[0].action_taken == ""


def test_missing_required_heading_is_named():
    header = "upn,occurred_on,categories,description,recorded_by"
    result = parse_observations(f"{header}\n{UPN1},2025-11-03,injury,Bruise,t@school.example.org\n")
    assert errors_at(result) == {(1, "source")}


def test_a_row_repeated_exactly_is_an_error_naming_the_first():
    result = parse_observations(f"{HEADER}\n{row()}\n{row(upn=UPN2)}\n{row()}\n")
    assert errors_at(result) == {(4, "")}
    assert "line 2" in result.errors[0].reason


@pytest.mark.parametrize(("source", "expected"), [("staff", True), ("child", False), ("community", False)])
def test_first_hand_follows_the_source_when_the_file_does_not_say(source, expected):
    result = parse_observations(f"{HEADER}\n{row(source=source)}\n")
    assert result.rows[0].first_hand is expected


def test_first_hand_column_overrides_the_source():
    result = parse_observations(f"{HEADER},first_hand\n{row(source='child')},Y\n{row(upn=UPN2)},maybe\n")
    assert result.rows[0].first_hand is True
    assert errors_at(result) == {(3, "first_hand")}


def test_email_is_compared_in_lower_case():
    result = parse_observations(f"{HEADER}\n{row(recorded_by=' Teacher@School.Example.ORG ')}\n")
    assert result.rows[0].recorded_by == "teacher@school.example.org"


def test_empty_file_is_an_error():
    assert [e.line for e in parse_observations("").errors] == [1]
    assert [e.line for e in parse_observations(HEADER + "\n").errors] == [1]
