"""Reading the MIS pupil export: headings, values, and every problem with its line and column."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from chronology.domain.pupil_import import (
    RowError, UnreadableUpload, decode_upload, parse_pupils,
)
from chronology.domain.upn import synthetic_upn

TODAY = date(2026, 3, 27)
CANONICAL = "upn,legal_forename,preferred_forename,legal_surname,date_of_birth,gender,year_group,send"
UPN1, UPN2, UPN3 = synthetic_upn(1), synthetic_upn(2), synthetic_upn(3)


def bad_upn() -> str:
    """A UPN whose check letter is wrong."""
    good = synthetic_upn(4)
    return ("B" if good[0] != "B" else "C") + good[1:]


def parse(text: str):
    return parse_pupils(text, today=TODAY)


def errors_at(result) -> set[tuple[int | None, str]]:
    return {(e.line, e.column) for e in result.errors}


def test_canonical_file_gives_every_pupil_with_unicode_names_intact():
    text = (
        f"{CANONICAL}\n"
        f"{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,N\n"
        f"{UPN2},Siobhán,Shiv,O'Neill,2014-09-30,M,6,K\n"
    )
    result = parse(text)
    assert result.errors == ()
    first, second = result.rows
    assert first.line == 2 and first.upn == UPN1
    assert first.values["legal_forename"] == "Zoë"
    assert first.values["legal_surname"] == "Nguyễn"
    assert first.values["preferred_forename"] is None
    assert first.values["date_of_birth"] == date(2015, 5, 4)
    assert first.values["gender"] == "female"
    assert first.values["send"] is False
    assert second.values["legal_forename"] == "Siobhán"
    assert second.values["preferred_forename"] == "Shiv"
    assert second.values["legal_surname"] == "O'Neill"
    assert second.values["date_of_birth"] == date(2014, 9, 30)
    assert second.values["send"] is True


def test_decomposed_accents_are_stored_composed():
    text = f"{CANONICAL}\n{UPN1},Zoe\u0308,,Smith,04/05/2015,F,5,N\n"
    assert parse(text).rows[0].values["legal_forename"] == "Zoë"


@pytest.mark.parametrize("header", [
    "UPN,Legal Forename,Preferred Forename,Legal Surname,DOB,Gender,Year,SEN Status",
    "upn , LEGAL_FORENAME,preferred forename,Legal surname,Date of Birth,Sex,Year Group,sen status",
    "Upn,Forename,Preferred Forename,Surname,date_of_birth,gender,Year Group,SEN Status",
])
def test_common_mis_headings_are_recognised_whatever_their_case(header):
    result = parse(f"{header}\n{UPN1},Zoë,Zo,Nguyễn,04/05/2015,F,Year 5,E\n")
    assert result.errors == ()
    values = result.rows[0].values
    assert (values["legal_forename"], values["preferred_forename"], values["legal_surname"]) == ("Zoë", "Zo", "Nguyễn")
    assert values["year_group"] == "Year 5"
    assert values["send"] is True


@pytest.mark.parametrize(("code", "expected"), [("N", False), ("", False), ("K", True), ("E", True),
                                                 ("k", True), ("Y", True), ("no", False)])
def test_sen_status_codes(code, expected):
    result = parse(f"{CANONICAL}\n{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,{code}\n")
    assert result.errors == ()
    assert result.rows[0].values["send"] is expected


def test_unknown_sen_code_is_an_error():
    result = parse(f"{CANONICAL}\n{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,Q\n")
    assert errors_at(result) == {(2, "send")}
    assert result.rows == ()


@pytest.mark.parametrize(("cell", "expected"), [
    ("Y", True), ("yes", True), ("TRUE", True), ("1", True),
    ("N", False), ("No", False), ("false", False), ("0", False), ("", False),
])
def test_context_flags_read_yes_and_no_however_written(cell, expected):
    header = f"{CANONICAL},eal,Looked After,young_carer"
    result = parse(f"{header}\n{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,N,{cell},{cell},{cell}\n")
    assert result.errors == ()
    values = result.rows[0].values
    assert values["eal"] is expected and values["looked_after"] is expected and values["young_carer"] is expected


def test_flag_that_is_neither_yes_nor_no_names_its_column():
    result = parse(f"{CANONICAL},CLA\n{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,N,perhaps\n")
    assert [(e.line, e.column) for e in result.errors] == [(2, "CLA")]
    assert "perhaps" in result.errors[0].reason


def test_only_columns_in_the_file_are_given_so_a_reimport_leaves_the_rest_alone():
    result = parse(f"{CANONICAL}\n{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,N\n")
    assert "eal" not in result.rows[0].values
    assert "cp_plan" not in result.rows[0].values


def test_cp_plan_and_dates_of_joining_and_leaving():
    header = f"{CANONICAL},cp_plan,Date of Entry,left_on"
    result = parse(f"{header}\n{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,N,Past,01/09/2019,\n")
    assert result.errors == ()
    values = result.rows[0].values
    assert values["cp_plan"] == "past"
    assert values["joined_on"] == date(2019, 9, 1)
    assert values["left_on"] is None


def test_bad_cp_plan_and_leaving_before_joining_are_errors():
    header = f"{CANONICAL},cp_plan,Admission Date,left_on"
    result = parse(f"{header}\n{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,N,yes,01/09/2019,01/09/2018\n")
    assert errors_at(result) == {(2, "cp_plan"), (2, "left_on")}


def test_wrong_upn_check_letter_is_reported_with_line_and_column():
    result = parse(f"{CANONICAL}\n{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,N\n{bad_upn()},Ann,,Lee,04/05/2015,F,5,N\n")
    assert [(e.line, e.column) for e in result.errors] == [(3, "upn")]
    assert "not a valid UPN: the check letter at the start does not match" in result.errors[0].reason
    assert "checksum" not in result.errors[0].reason and "digit" not in result.errors[0].reason


def test_a_upn_of_the_wrong_length_says_how_long_a_upn_is():
    result = parse(f"{CANONICAL}\n{UPN1[:-1]},Zoë,,Nguyễn,04/05/2015,F,5,N\n")
    assert result.errors[0].reason.endswith("a UPN has 13 characters, not 12.")


def test_upn_with_spaces_and_lower_case_is_cleaned():
    spaced = f"{UPN1[:4]} {UPN1[4:]}".lower()
    result = parse(f"{CANONICAL}\n{spaced},Zoë,,Nguyễn,04/05/2015,F,5,N\n")
    assert result.errors == ()
    assert result.rows[0].upn == UPN1


@pytest.mark.parametrize(("written", "expected"), [
    ("04/05/2015", date(2015, 5, 4)), ("4/5/2015", date(2015, 5, 4)), ("2015-05-04", date(2015, 5, 4)),
])
def test_dates_are_read_as_uk_or_iso(written, expected):
    result = parse(f"{CANONICAL}\n{UPN1},Zoë,,Nguyễn,{written},F,5,N\n")
    assert result.rows[0].values["date_of_birth"] == expected


@pytest.mark.parametrize("written", ["12/25/2015", "31/02/2015", "May 4th 2015", "04/05/15"])
def test_dates_that_are_not_uk_or_iso_are_refused(written):
    result = parse(f"{CANONICAL}\n{UPN1},Zoë,,Nguyễn,{written},F,5,N\n")
    assert errors_at(result) == {(2, "date_of_birth")}


def test_date_of_birth_in_the_future_is_refused():
    result = parse(f"{CANONICAL}\n{UPN1},Zoë,,Nguyễn,28/03/2026,F,5,N\n")
    assert errors_at(result) == {(2, "date_of_birth")}
    assert "future" in result.errors[0].reason


# TODAY is 27/03/2026: a pupil may be from 2 (nursery) to 25 years old on the day of the import.
@pytest.mark.parametrize(("written", "reason"), [
    ("01/01/0001", "The date of birth 01/01/0001 makes this pupil over 25 years old today."),
    ("01/01/1900", "over 25 years old"),
    ("26/03/2001", "over 25 years old"),
    ("27/03/2026", "under 2 years old today; a school's youngest pupils start nursery at 2."),
    ("01/09/2025", "under 2 years old"),
    ("28/03/2024", "under 2 years old"),
])
def test_a_date_of_birth_no_school_pupil_could_have_is_refused(written, reason):
    result = parse(f"{CANONICAL}\n{UPN1},Zoë,,Nguyễn,{written},F,5,N\n")
    assert errors_at(result) == {(2, "date_of_birth")}
    assert reason in result.errors[0].reason


@pytest.mark.parametrize("written", ["27/03/2024", "27/03/2001"])
def test_a_pupil_turning_2_or_25_on_the_day_of_the_import_is_accepted(written):
    assert parse(f"{CANONICAL}\n{UPN1},Zoë,,Nguyễn,{written},F,N1,N\n").errors == ()


def test_the_age_bounds_of_a_leap_day_import_fall_on_28_february():
    leap_day = date(2028, 2, 29)
    assert parse_pupils(f"{CANONICAL}\n{UPN1},Zoë,,Nguyễn,28/02/2026,F,N1,N\n", today=leap_day).errors == ()
    assert parse_pupils(f"{CANONICAL}\n{UPN1},Zoë,,Nguyễn,01/03/2026,F,N1,N\n", today=leap_day).errors != ()


@pytest.mark.parametrize(("column", "name", "reason"), [
    (1, "=HYPERLINK(\"http://x\",\"Zoë\")", "A name cannot start with '=': a spreadsheet would run it"),
    (1, "+Zoë", "cannot start with '+'"),
    (3, "@SUM(A1)", "cannot start with '@'"),
    (3, "-Nguyễn", "cannot start with '-'"),
    (1, "Zo\x1bë", "an invisible control character in it (U+001B)"),
    (1, "Zo\x00ë", "an invisible control character in it (U+0000)"),
    (1, "Zo\x85ë", "an invisible control character in it (U+0085)"),
    (3, "Ngu\tyễn", "a tab in it (U+0009)"),
    (3, "\u202enellieN'O", "changes the direction of the text (U+202E RIGHT-TO-LEFT OVERRIDE)"),
    (2, "Zo\u2066e\u2069", "(U+2066 LEFT-TO-RIGHT ISOLATE)"),
    (3, "O\u200fNeill", "(U+200F RIGHT-TO-LEFT MARK)"),
])
def test_a_name_that_is_a_formula_or_holds_control_or_direction_characters_is_refused(column, name, reason):
    cells = [UPN1, "Zoë", "", "Nguyễn", "04/05/2015", "F", "5", "N"]
    cells[column] = '"' + name.replace('"', '""') + '"'
    result = parse(f"{CANONICAL}\n{','.join(cells)}\n{UPN2},Ann,,Lee,04/05/2015,F,5,N\n")
    assert errors_at(result) == {(2, CANONICAL.split(",")[column])}
    assert reason in result.errors[0].reason
    assert [row.line for row in result.rows] == [3]


REAL_NAMES = ["O'Neill", "O’Neill", "Zoë", "Nguyễn", "Smith-Jones", "de la Cruz", "Zoe\u0308", "Mary-Jane",
              "محمد", "שרה", "D'Souza (Jnr)", "Jean-Luc St. Pierre", "Zoë-Nguyễn"]


@pytest.mark.parametrize("name", REAL_NAMES)
def test_real_names_with_accents_apostrophes_hyphens_and_other_scripts_are_kept_as_typed(name):
    result = parse(f"{CANONICAL}\n{UPN1},{name},{name},{name},04/05/2015,F,5,N\n")
    assert result.errors == ()
    values = result.rows[0].values
    assert values["legal_forename"] == values["legal_surname"] == values["preferred_forename"]
    assert values["legal_surname"] == unicodedata.normalize("NFC", name)


def test_every_bad_row_is_reported_not_just_the_first():
    text = (
        f"{CANONICAL}\n"
        f"{UPN1},,,Nguyễn,04/05/2015,F,5,N\n"        # line 2: no forename
        f"{UPN2},Siobhán,,O'Neill,04/05/2015,F,5,N\n"  # line 3: fine
        f"{bad_upn()},Ann,,,not a date,F,5,N\n"       # line 4: three problems
        f"{UPN2},Ben,,Lee,04/05/2015,M,5,N\n"         # line 5: same UPN as line 3
    )
    result = parse(text)
    assert errors_at(result) == {
        (2, "legal_forename"), (4, "upn"), (4, "legal_surname"), (4, "date_of_birth"), (5, "upn"),
    }
    duplicate = next(e for e in result.errors if e.line == 5)
    assert "line 3" in duplicate.reason
    assert [row.line for row in result.rows] == [3]


def test_missing_required_heading_is_named():
    result = parse(f"upn,legal_forename,legal_surname,gender,year_group\n{UPN1},Zoë,Nguyễn,F,5\n")
    assert [(e.line, e.column) for e in result.errors] == [(1, "date_of_birth")]
    assert result.rows == ()


def test_two_columns_for_the_same_field_is_an_error():
    result = parse(f"{CANONICAL},Forename\n{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,N,Zoë\n")
    assert errors_at(result) == {(1, "Forename")}


def test_unknown_columns_are_listed_not_fatal():
    result = parse(f"{CANONICAL},Admission Number,House\n{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,N,123,Red\n")
    assert result.errors == ()
    assert result.ignored_columns == ("Admission Number", "House")


def test_line_numbers_match_the_file_across_blank_lines_and_quoted_line_breaks():
    text = (
        f"{CANONICAL}\r\n"
        "\r\n"
        f'{UPN1},Zoë,"Zo",Nguyễn,04/05/2015,F,5,N\r\n'
        ",,,,,,,\r\n"
        f'{UPN2},"Siobhán",,"O\'Neill, Jr",04/05/2015,F,5,N\r\n'
        f"{UPN3},Ann,,Lee,99/99/2015,F,5,N\r\n"
    )
    result = parse(text)
    assert [row.line for row in result.rows] == [3, 5]
    assert result.rows[1].values["legal_surname"] == "O'Neill, Jr"
    assert errors_at(result) == {(6, "date_of_birth")}


def test_a_line_break_inside_a_name_is_refused():
    result = parse(f'{CANONICAL}\n{UPN1},"Zo\në",,Nguyễn,04/05/2015,F,5,N\n{UPN2},Ann,,Lee,04/05/2015,F,5,N\n')
    assert errors_at(result) == {(2, "legal_forename")}
    assert [row.line for row in result.rows] == [4]


def test_an_unclosed_quote_stops_the_import_instead_of_swallowing_rows():
    result = parse(f'{CANONICAL}\n{UPN1},"Zoë,,Nguyễn,04/05/2015,F,5,N\n{UPN2},Ann,,Lee,04/05/2015,F,5,N\n')
    assert result.errors and result.errors[0].line == 2


def test_more_cells_than_headings_is_an_error():
    result = parse(f"{CANONICAL}\n{UPN1},Zoë,,O'Neill,Jr,04/05/2015,F,5,N\n")
    assert (2, "") in errors_at(result)


def test_empty_file_and_heading_only_file_are_errors():
    assert parse("").errors == (RowError(1, "", "The file is empty: it has no heading row."),)
    assert [e.line for e in parse(f"{CANONICAL}\n").errors] == [1]


def test_long_names_are_refused_before_the_database_sees_them():
    result = parse(f"{CANONICAL}\n{UPN1},{'A' * 101},,Nguyễn,04/05/2015,F,5,N\n")
    assert errors_at(result) == {(2, "legal_forename")}


def test_decode_upload_reads_utf8_with_and_without_bom():
    text = f"{CANONICAL}\r\n{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,N\r\n"
    assert decode_upload(text.encode("utf-8")) == text
    assert decode_upload(b"\xef\xbb\xbf" + text.encode("utf-8")) == text
    result = parse(decode_upload(b"\xef\xbb\xbf" + text.encode("utf-8")))
    assert result.errors == () and result.rows[0].values["legal_surname"] == "Nguyễn"


def test_decode_upload_falls_back_to_excels_windows_1252():
    text = f"{CANONICAL}\r\n{UPN1},Zoë,,O’Neill,04/05/2015,F,5,N\r\n{UPN2},Siobhán,,Murphy,04/05/2015,F,5,N\r\n"
    result = parse(decode_upload(text.encode("cp1252")))
    assert result.errors == ()
    assert [r.values["legal_forename"] for r in result.rows] == ["Zoë", "Siobhán"]
    assert result.rows[0].values["legal_surname"] == "O’Neill"


@pytest.mark.parametrize("data", [
    b"PK\x03\x04\x14\x00\x06\x00",              # an .xlsx workbook
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00",  # an old .xls workbook
    "upn\tlegal_forename\r\n".encode("utf-16"),  # Excel's "Unicode Text": UTF-16, tab-separated
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",      # a picture
    b"upn\x81\x8d\x8f\x90\x9d",                  # neither UTF-8 nor Windows-1252
])
def test_decode_upload_refuses_files_that_are_not_csv_text(data):
    with pytest.raises(UnreadableUpload):
        decode_upload(data)


def test_decode_upload_reads_utf16_with_a_bom_in_either_byte_order():
    text = f"{CANONICAL}\r\n{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,N\r\n"
    assert decode_upload(text.encode("utf-16")) == text
    assert decode_upload(b"\xfe\xff" + text.encode("utf-16-be")) == text


def test_one_windows_1252_byte_in_a_utf8_file_refuses_the_file_naming_line_and_byte():
    # Rows pasted in from an old export: "Zoë" written as the single Windows-1252 byte 0xEB.
    data = (f"{CANONICAL}\r\n{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,N\r\n".encode("utf-8")
            + f"{UPN2},Zo".encode() + b"\xeb" + b",,Roe,04/05/2015,F,5,N\r\n")
    with pytest.raises(UnreadableUpload) as refused:
        decode_upload(data)
    message = str(refused.value)
    # Line 3; the byte after the 13-character UPN, its comma and "Zo" is the 17th of its line.
    assert f"line 3, byte {len(UPN2) + 4} is 0xEB (ë in Windows-1252)" in message
    assert "most of it is UTF-8" in message
    assert "File > Save As > CSV UTF-8 (Comma delimited)" in message


@pytest.mark.parametrize("data, where", [
    (b"\xef\xbb\xbfupn\nZo\xeb\n", "line 2, byte 3 is 0xEB"),          # a BOM promises UTF-8
    ("Zoë\r".encode() + b"O\x92Neill", "line 2, byte 2 is 0x92"),       # a lone CR ends a line too
    ("Nguyễn\r\n".encode() + b"caf\xe9", "line 2, byte 4 is 0xE9"),
])
def test_a_utf8_file_with_any_byte_that_is_not_utf8_is_refused(data, where):
    with pytest.raises(UnreadableUpload, match=where):
        decode_upload(data)


def test_bytes_neither_utf8_nor_windows_1252_are_named():
    with pytest.raises(UnreadableUpload, match="line 2, byte 4 is 0x81, which is neither UTF-8 nor Windows-1252"):
        decode_upload(b"upn\r\ncaf\x81")


def test_row_error_reads_as_line_and_column():
    assert str(RowError(4, "date_of_birth", "Enter a date.")) == "line 4, column date_of_birth: Enter a date."
    assert str(RowError(1, "", "The file is empty.")) == "line 1: The file is empty."
    assert str(RowError(None, "", "Not a CSV file.")) == "Not a CSV file."


# --- the child's details a referral asks for ------------------------------------------------------


def test_details_columns_with_mis_headings_are_read_apart_from_the_roll():
    header = (f"{CANONICAL},Address,Ethnicity,Religion,First Language,Interpreter Needed,SEN Primary Need,"
              "Communication Needs,NHS Number")
    result = parse(f'{header}\n{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,K,"1 Elm Road\nLeeds",WBRI,None,Vietnamese,Y,'
                   f'asd,Uses a visual timetable,943 476 5919\n'
                   f"{UPN2},Ann,,Lee,04/05/2015,F,5,N,,,,,,,,\n")
    assert result.errors == ()
    zoe, ann = result.rows
    assert "address" not in zoe.values and "ethnicity" not in zoe.values
    assert zoe.details == {"address": "1 Elm Road\nLeeds", "ethnicity": "WBRI", "religion": "None",
                           "first_language": "Vietnamese", "interpreter_needed": True, "sen_primary_need": "ASD",
                           "communication_needs": "Uses a visual timetable", "nhs_number": "9434765919"}
    # Empty cells are not known, so they say nothing (what a DSL recorded stays).
    assert ann.details == {}


@pytest.mark.parametrize("written", ["ASD", "asd", "ASD - Autistic Spectrum Disorder", "Autistic spectrum disorder"])
def test_sen_primary_need_is_the_census_code_however_the_mis_writes_it(written):
    result = parse(f"{CANONICAL},SEN Primary Need\n{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,K,{written}\n")
    assert result.errors == ()
    assert result.rows[0].details["sen_primary_need"] == "ASD"


def test_a_bad_sen_need_names_the_codes_and_a_bad_nhs_number_is_refused():
    result = parse(f"{CANONICAL},SEN Primary Need,NHS Number,Interpreter\n"
                   f"{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,K,Dyslexia,943 476 5918,perhaps\n")
    reasons = {e.column: e.reason for e in result.errors}
    assert set(reasons) == {"SEN Primary Need", "NHS Number", "Interpreter"}
    assert "'Dyslexia'" in reasons["SEN Primary Need"] and "SpLD" in reasons["SEN Primary Need"]
    assert "NHS number is 10 digits" in reasons["NHS Number"]
    assert result.rows == ()
