"""import-contacts, import-attendance and the details columns of import-pupils, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from chronology.domain.upn import synthetic_upn
from chronology.extensions import db
from chronology.models import AttendancePeriod, AuditEvent, ChildDetails, FamilyMember
from chronology.services import family
from chronology.domain.family import MemberDraft
from tests.factories import make_child, make_school, make_user

UPN1, UPN2, UPN3 = synthetic_upn(601), synthetic_upn(602), synthetic_upn(603)
MIS_CONTACTS = ("UPN,Contact Name,Relationship to Pupil,Contact DOB,Lives With Pupil,Parental Responsibility,"
                "Telephone,Email Address,Sibling UPN")


def write(tmp_path: Path, text: str, name: str = "export.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return str(path)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def imports(runner, command: str, path: str, school) -> object:
    return runner.invoke(args=[command, path, "--school", school.urn])


def _school():
    school = make_school()
    zoe = make_child(school, "Zoë", "Roe", upn=UPN1, date_of_birth=date(2015, 5, 4))
    mia = make_child(school, "Mia", "Roe", upn=UPN2, date_of_birth=date(2017, 6, 1))
    return school, zoe, mia


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


# --- contacts ------------------------------------------------------------------------------------


def test_import_contacts_builds_each_family_and_links_siblings_both_ways(runner, tmp_path):
    school, zoe, mia = _school()
    path = write(tmp_path, f"{MIS_CONTACTS}\r\n"
                           f"{UPN1},Dana Roe,Mother,12/02/1990,Y,Y,0113 496 0000,dana@example.org,\r\n"
                           f"{UPN1},Lee Roe,Stepfather,,Y,N,,,\r\n"
                           f"{UPN1},Mia Roe,Sister,01/06/2017,Y,,,,{UPN2}\r\n"
                           f"{UPN2},Dana Roe,Mother,12/02/1990,Y,Y,0113 496 0000,dana@example.org,\r\n")
    result = imports(runner, "import-contacts", path, school)
    assert result.exit_code == 0, result.output
    assert "4 contacts added, 0 updated, 0 unchanged" in result.output
    members = {m.name: m for m in family.current(FamilyMember, zoe)}
    assert set(members) == {"Dana Roe", "Lee Roe", "Mia Roe"}
    dana = members["Dana Roe"]
    assert (dana.relationship_to_child, dana.date_of_birth, dana.lives_with_child, dana.parental_responsibility,
            dana.phone, dana.email, dana.source) == ("Mother", date(1990, 2, 12), True, True, "0113 496 0000",
                                                     "dana@example.org", "import")
    assert members["Lee Roe"].parental_responsibility is False
    # Empty means not known, never "no".
    assert members["Mia Roe"].parental_responsibility is None
    assert family.siblings_at_school(zoe) == [mia] and family.siblings_at_school(mia) == [zoe]
    assert len(events("contacts.import")) == 1 and '"created": 4' in events("contacts.import")[0].detail


def test_reimporting_contacts_updates_by_name_adds_a_version_only_for_a_change_and_never_duplicates(runner, tmp_path):
    school, zoe, mia = _school()
    dsl = make_user(school, "dsl")
    first = write(tmp_path, f"{MIS_CONTACTS}\n{UPN1},Dana Roe,Mother,,Y,Y,0113 496 0000,,\n"
                            f"{UPN1},Lee Roe,Stepfather,,Y,,,,\n", name="first.csv")
    assert imports(runner, "import-contacts", first, school).exit_code == 0
    # The DSL adds what the MIS does not know; a later import must keep it.
    [lee] = [m for m in family.current(FamilyMember, zoe) if m.name == "Lee Roe"]
    family.save_member(zoe, dsl, MemberDraft(name="Lee Roe", relationship="Stepfather", lives_with_child=True,
                                             parental_responsibility=False, note="Works nights."),
                       today=date(2026, 3, 3), record_key=lee.record_key, reason="Told by mother")

    again = imports(runner, "import-contacts", first, school)
    assert again.exit_code == 0, again.output
    assert "0 contacts added, 0 updated, 2 unchanged" in again.output

    second = write(tmp_path, f"{MIS_CONTACTS}\n{UPN1},DANA ROE,Mother,,N,Y,07700 900123,,\n"
                             f"{UPN1},Lee Roe,Stepfather,,Y,,,,\n", name="second.csv")
    result = imports(runner, "import-contacts", second, school)
    assert result.exit_code == 0, result.output
    assert "0 contacts added, 1 updated, 1 unchanged" in result.output
    members = {m.name: m for m in family.current(FamilyMember, zoe)}
    assert set(members) == {"Dana Roe", "Lee Roe"}  # matched by folded name, spelling kept
    assert members["Dana Roe"].lives_with_child is False and members["Dana Roe"].phone == "07700 900123"
    assert members["Dana Roe"].number == 2 and members["Dana Roe"].reason == "updated by a later import"
    assert members["Lee Roe"].note == "Works nights." and members["Lee Roe"].parental_responsibility is False
    assert count(FamilyMember) == 4  # Dana twice, Lee twice


def test_every_bad_contact_row_is_refused_whole_with_line_and_column(runner, tmp_path):
    school, zoe, mia = _school()
    make_child(make_school("Elm Grove Academy"), "Kim", "Elsewhere", upn=UPN3)
    bad_upn = ("B" if UPN1[0] != "B" else "C") + UPN1[1:]
    path = write(tmp_path, "\n".join([
        MIS_CONTACTS,
        f"{UPN1},Dana Roe,Mother,12/02/1990,Y,Y,,,",            # 2: fine
        f"{bad_upn},Sam Roe,Father,,,,,,",                       # 3: bad UPN
        f"{UPN3},Sam Roe,Father,,,,,,",                          # 4: another school's child
        f"{UPN1},Ann Roe,Sister,,,,,,{UPN3}",                    # 5: sibling not on this roll
        f"{UPN1},Jo Roe,Brother,,,,,,{UPN1}",                    # 6: own UPN
        f"{UPN1},dana roe,Mother,,,,,,",                         # 7: same person twice
        f"{UPN1},Kim Roe,Aunt,30/02/1980,,,,,",                  # 8: bad date
        f"{UPN1},Pat Roe,Uncle,,sometimes,,,,",                  # 9: bad yes/no
        f"{UPN1},Sue Roe,Gran,,,,ring me,sue at home,",          # 10: bad phone and email
    ]) + "\n")
    result = imports(runner, "import-contacts", path, school)
    assert result.exit_code != 0
    for expected in ("line 3, column UPN:", "line 4, column UPN:", "line 5, column Sibling UPN:",
                     "line 6, column Sibling UPN:", "line 7, column Contact Name:", "line 8, column Contact DOB:",
                     "line 9, column Lives With Pupil:", "line 10, column Telephone:",
                     "line 10, column Email Address:"):
        assert expected in result.output
    assert "line 2," not in result.output and "Nothing was imported" in result.output
    assert count(FamilyMember) == 0 and events("contacts.import") == []


# --- attendance ----------------------------------------------------------------------------------


def test_import_attendance_with_sessions_or_percent_and_reimport_updates(runner, tmp_path):
    school, zoe, mia = _school()
    first = write(tmp_path, "UPN,Start Date,End Date,Possible Sessions,Attended\n"
                            f"{UPN1},01/09/2025,19/12/2025,140,119\n{UPN2},01/09/2025,19/12/2025,140,140\n",
                  name="first.csv")
    result = imports(runner, "import-attendance", first, school)
    assert result.exit_code == 0, result.output
    assert "2 attendance periods added, 0 updated, 0 unchanged" in result.output
    [period] = family.attendance_of(zoe)
    assert (period.attendance_percent, period.source, period.reason) == (85.0, "import", "")

    second = write(tmp_path, "upn,period_start,period_end,attendance_percent\n"
                             f"{UPN1},2025-09-01,2025-12-19,86.4\n{UPN1},2026-01-05,2026-03-27,79.0\n"
                             f"{UPN2},2025-09-01,2025-12-19,100\n", name="second.csv")
    result = imports(runner, "import-attendance", second, school)
    assert result.exit_code == 0, result.output
    assert "1 attendance period added, 1 updated, 1 unchanged" in result.output
    autumn, spring = family.attendance_of(zoe)
    assert (autumn.attendance_percent, autumn.number, autumn.reason) == (86.4, 2, "updated by a later import")
    assert spring.attendance_percent == 79.0
    assert count(AttendancePeriod) == 4


def test_bad_attendance_rows_are_refused_whole(runner, tmp_path):
    school, zoe, mia = _school()
    path = write(tmp_path, "UPN,Start Date,End Date,Possible Sessions,Attended\n"
                           f"{UPN1},01/09/2025,19/12/2025,140,119\n"
                           f"{UPN3},01/09/2025,19/12/2025,140,119\n"
                           f"{UPN2},01/09/2025,19/12/2025,140,141\n"
                           f"{UPN2},01/09/2025,99/12/2025,140,100\n"
                           f"{UPN1},01/09/2025,19/12/2025,140,119\n")
    result = imports(runner, "import-attendance", path, school)
    assert result.exit_code != 0
    for expected in ("line 3, column UPN: No child with the UPN", "line 4, column Attended:",
                     "line 5, column End Date:", "line 6, column Start Date:"):
        assert expected in result.output
    assert count(AttendancePeriod) == 0


# --- the child's details on the pupil import -----------------------------------------------------

PUPILS = "UPN,Legal Forename,Legal Surname,DOB,Gender,Year Group"


def test_import_pupils_keeps_details_as_the_childs_details_not_on_the_roll(runner, tmp_path):
    school = make_school()
    path = write(tmp_path, f'{PUPILS},Address,First Language,Interpreter Needed,SEN Primary Need,NHS Number\n'
                           f'{UPN1},Zoë,Roe,04/05/2015,F,5,"1 Elm Road\nLeeds LS1 1AA",Polish,Y,slcn,943 476 5919\n'
                           f'{UPN2},Mia,Roe,01/06/2017,F,3,,,,,\n')
    result = imports(runner, "import-pupils", path, school)
    assert result.exit_code == 0, result.output
    assert "2 pupils added" in result.output
    from chronology.models import Child

    zoe = db.session.scalar(select(Child).where(Child.upn == UPN1))
    details = family.details_of(zoe)
    assert (details.address, details.first_language, details.interpreter_needed, details.sen_primary_need,
            details.nhs_number, details.source) == ("1 Elm Road\nLeeds LS1 1AA", "Polish", True, "SLCN",
                                                    "9434765919", "import")
    mia = db.session.scalar(select(Child).where(Child.upn == UPN2))
    assert family.details_of(mia) is None  # nothing known: no empty record

    # The same file again changes nothing; a new language is a new version, and an empty cell keeps the address.
    again = imports(runner, "import-pupils", path, school)
    assert "0 pupils added, 0 updated, 2 unchanged" in again.output
    changed = write(tmp_path, f"{PUPILS},Address,First Language\n{UPN1},Zoë,Roe,04/05/2015,F,5,,English\n",
                    name="changed.csv")
    result = imports(runner, "import-pupils", changed, school)
    assert "0 pupils added, 1 updated, 0 unchanged" in result.output, result.output
    details = family.details_of(zoe)
    assert (details.number, details.first_language, details.address) == (2, "English", "1 Elm Road\nLeeds LS1 1AA")
    assert count(ChildDetails) == 2


def test_bad_details_refuse_the_pupil_file_naming_the_allowed_sen_codes(runner, tmp_path):
    school = make_school()
    path = write(tmp_path, f"{PUPILS},SEN Primary Need,NHS Number\n"
                           f"{UPN1},Zoë,Roe,04/05/2015,F,5,Autism,\n{UPN2},Mia,Roe,01/06/2017,F,3,,123 456 7890\n")
    result = imports(runner, "import-pupils", path, school)
    assert result.exit_code != 0
    assert "line 2, column SEN Primary Need: 'Autism' is not valid. Use one of the MIS codes: ASD," in result.output
    assert "line 3, column NHS Number:" in result.output
    assert count(ChildDetails) == 0


def test_new_commands_have_help_listing_their_columns(runner):
    for command, columns in (("import-contacts", ("sibling_upn", "parental_responsibility", "Contact Name")),
                             ("import-attendance", ("possible_sessions", "attendance_percent")),
                             ("import-casework", ("record", "recorded_by", "consent_by", "level_of_need")),
                             ("import-pupils", ("sen_primary_need", "nhs_number"))):
        result = runner.invoke(args=[command, "--help"])
        assert result.exit_code == 0
        text = " ".join(result.output.split())
        assert "--school URN" in text and "All or nothing" in text
        for column in columns:
            assert column in text, (command, column)
