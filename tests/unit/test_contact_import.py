"""Reading the MIS contacts export: MIS headings, yes/no/unknown answers, and every bad row with its column."""

from __future__ import annotations

from datetime import date

import pytest

from chronology.domain.contact_import import parse_contacts
from chronology.domain.upn import synthetic_upn

TODAY = date(2026, 3, 27)
HEADER = "upn,name,relationship,date_of_birth,lives_with_child,parental_responsibility,phone,email,sibling_upn"
UPN1, UPN2 = synthetic_upn(21), synthetic_upn(22)


def parse(text: str):
    return parse_contacts(text, today=TODAY)


def errors_at(result) -> set[tuple[int | None, str]]:
    return {(e.line, e.column) for e in result.errors}


def test_a_good_file_gives_each_contact_with_only_what_the_file_knows():
    result = parse(f"{HEADER}\n"
                   f"{UPN1},Dana Roe,Mother,12/02/1990,Y,yes,0113 496 0000,dana@example.org,\n"
                   f"{UPN1},Lee Roe,Stepfather,,n,False,,,\n"
                   f"{UPN1},Mia Roe,Sister,2017-06-01,TRUE,,,,{UPN2}\n")
    assert result.errors == ()
    dana, lee, mia = result.rows
    assert dana.values == {"name": "Dana Roe", "relationship": "Mother", "date_of_birth": date(1990, 2, 12),
                           "lives_with_child": True, "parental_responsibility": True,
                           "phone": "0113 496 0000", "email": "dana@example.org"}
    assert dana.line == 2 and dana.upn == UPN1 and dana.sibling_upn is None
    # An empty cell is "not known", never "no": it is left out, so what the school knows stays.
    assert lee.values["lives_with_child"] is False and lee.values["parental_responsibility"] is False
    assert "date_of_birth" not in lee.values and "phone" not in lee.values
    assert "parental_responsibility" not in mia.values and mia.sibling_upn == UPN2


@pytest.mark.parametrize("header", [
    "UPN,Contact Name,Relationship to Pupil,Contact DOB,Lives With Pupil,Parental Responsibility,Telephone,"
    "Email Address,Sibling UPN",
    "upn , CONTACT_NAME,relationship to pupil,contact-dob,lives with pupil,PARENTAL RESPONSIBILITY,Mobile,"
    "E-mail,sibling upn",
])
def test_the_usual_mis_contact_headings_are_recognised_whatever_their_case(header):
    result = parse(f"{header}\n{UPN1},Dana Roe,Mother,12/02/1990,Y,Y,07700 900123,dana@example.org,{UPN2}\n")
    assert result.errors == ()
    values = result.rows[0].values
    assert (values["name"], values["relationship"], values["phone"]) == ("Dana Roe", "Mother", "07700 900123")
    assert values["lives_with_child"] is True and result.rows[0].sibling_upn == UPN2


def test_a_mobile_is_the_phone_and_a_different_landline_is_kept_in_the_note():
    result = parse("UPN,Contact Name,Relationship to Pupil,Telephone,Mobile\n"
                   f"{UPN1},Dana Roe,Mother,0113 496 0000,07700 900123\n"
                   f"{UPN2},Sam Roe,Father,0113 496 0001,\n")
    assert result.errors == ()
    dana, sam = result.rows
    assert dana.values["phone"] == "07700 900123" and dana.values["note"] == "Telephone: 0113 496 0000"
    assert sam.values["phone"] == "0113 496 0001" and "note" not in sam.values


def test_every_bad_row_is_reported_with_its_line_and_the_files_own_heading():
    bad_upn = ("B" if UPN1[0] != "B" else "C") + UPN1[1:]
    result = parse("UPN,Contact Name,Relationship to Pupil,Contact DOB,Lives With Pupil,Telephone,Email Address,"
                   "Sibling UPN\n"
                   f"{UPN1},Dana Roe,Mother,12/02/1990,Y,0113 496 0000,dana@example.org,\n"   # 2: fine
                   f"{bad_upn},Sam Roe,Father,,,,,\n"                                           # 3: bad UPN
                   f"{UPN1},Lee Roe,Stepfather,31/02/1990,,,,\n"                                # 4: bad date
                   f"{UPN1},Kim Roe,Aunt,,maybe,,,\n"                                           # 5: bad yes/no
                   f"{UPN1},Jo Roe,Uncle,,,call me,jo-at-example,\n"                            # 6: phone, email
                   f"{UPN1},Ann Roe,Sister,,,,,{UPN1}\n"                                        # 7: own UPN
                   f"{UPN1},DANA  ROE,Mother,,,,,\n"                                            # 8: duplicate
                   f"{UPN1},,Grandmother,,,,,\n"                                                # 9: no name
                   f"{UPN1},Baby Roe,Brother,01/01/2027,,,,\n")                                 # 10: future
    assert errors_at(result) == {
        (3, "UPN"), (4, "Contact DOB"), (5, "Lives With Pupil"), (6, "Telephone"), (6, "Email Address"),
        (7, "Sibling UPN"), (8, "Contact Name"), (9, "Contact Name"), (10, "Contact DOB"),
    }
    reasons = {(e.line, e.column): e.reason for e in result.errors}
    assert "is also on line 2" in reasons[(8, "Contact Name")]
    assert "own UPN" in reasons[(7, "Sibling UPN")]
    assert "not a real date" in reasons[(4, "Contact DOB")]
    assert [row.line for row in result.rows] == [2]


def test_the_heading_row_must_name_the_child_the_person_and_who_they_are():
    result = parse("UPN,Telephone\n" f"{UPN1},0113 496 0000\n")
    assert {e.column for e in result.errors} == {"name", "relationship"}
    assert result.rows == ()
