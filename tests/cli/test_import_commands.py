"""The import-pupils and import-observations commands, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from chronology.domain.upn import synthetic_upn
from chronology.extensions import db
from chronology.models import AuditEvent, Child, Observation, ObservationVersion
from tests.factories import make_child, make_school, make_user

PUPIL_HEADER = "UPN,Legal Forename,Preferred Forename,Legal Surname,DOB,Gender,Year Group,SEN Status"
OBS_HEADER = "upn,occurred_on,categories,source,description,child_voice,action_taken,recorded_by"
UPN1, UPN2, UPN3 = synthetic_upn(501), synthetic_upn(502), synthetic_upn(503)


def write(tmp_path: Path, text: str, encoding: str = "utf-8", name: str = "export.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def children_of(school) -> dict[str, Child]:
    db.session.expire_all()
    return {c.upn: c for c in db.session.scalars(select(Child).where(Child.school_id == school.id))}


def test_import_pupils_adds_every_pupil_and_prints_a_summary(runner, tmp_path):
    school = make_school()
    path = write(tmp_path, (
        f"{PUPIL_HEADER},CLA\r\n"
        f"{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,K,Y\r\n"
        f"{UPN2},Siobhán,Shiv,O'Neill,2014-09-30,M,6,N,N\r\n"
    ), encoding="utf-8-sig")
    result = runner.invoke(args=["import-pupils", path, "--school", school.urn])
    assert result.exit_code == 0, result.output
    assert "2 pupils added" in result.output
    children = children_of(school)
    assert set(children) == {UPN1, UPN2}
    zoe = children[UPN1]
    assert (zoe.legal_forename, zoe.legal_surname, zoe.date_of_birth) == ("Zoë", "Nguyễn", date(2015, 5, 4))
    assert zoe.send is True and zoe.looked_after is True and zoe.gender == "female"
    assert children[UPN2].display_name == "Shiv O'Neill"
    # The search key is set, so staff can find the child by typing without accents.
    assert "zoe" in zoe.search_key and "nguyen" in zoe.search_key
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "pupils.import")))
    assert len(events) == 1 and '"created": 2' in events[0].detail


def test_import_pupils_reads_excels_windows_1252_export(runner, tmp_path):
    school = make_school()
    path = write(tmp_path, f"{PUPIL_HEADER}\r\n{UPN1},Siobhán,,O’Neill,04/05/2015,F,5,N\r\n", encoding="cp1252")
    result = runner.invoke(args=["import-pupils", path, "--school", school.urn])
    assert result.exit_code == 0, result.output
    assert children_of(school)[UPN1].legal_surname == "O’Neill"


def test_import_pupils_reads_a_utf16_export_with_its_bom(runner, tmp_path):
    school = make_school()
    path = write(tmp_path, f"{PUPIL_HEADER}\r\n{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,N\r\n", encoding="utf-16")
    result = runner.invoke(args=["import-pupils", path, "--school", school.urn])
    assert result.exit_code == 0, result.output
    assert children_of(school)[UPN1].legal_surname == "Nguyễn"


def test_one_bad_row_means_nothing_is_written_and_every_problem_is_listed(runner, tmp_path):
    school = make_school()
    bad_upn = ("B" if UPN3[0] != "B" else "C") + UPN3[1:]
    path = write(tmp_path, (
        f"{PUPIL_HEADER}\n"
        f"{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,N\n"
        f"{UPN2},Siobhán,,O'Neill,31/02/2015,F,5,N\n"
        f"{bad_upn},Ann,,Lee,04/05/2015,F,5,N\n"
    ))
    result = runner.invoke(args=["import-pupils", path, "--school", school.urn])
    assert result.exit_code != 0
    assert "line 3, column DOB:" in result.output
    assert "line 4, column UPN:" in result.output
    assert "Nothing was imported" in result.output
    assert children_of(school) == {}
    assert count(AuditEvent) == db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action != "pupils.import"))


def test_reimport_updates_pupils_by_upn_and_never_duplicates_them(runner, tmp_path):
    school = make_school()
    other = make_school("Elm Grove Academy")
    # The same UPN at another school is that school's child and must not be touched.
    elsewhere = make_child(other, "Zoë", "Elsewhere", upn=UPN1)
    first = write(tmp_path, (
        f"{PUPIL_HEADER},eal\n"
        f"{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,N,Y\n"
        f"{UPN2},Siobhán,,O'Neill,04/05/2015,F,5,N,N\n"
    ), name="first.csv")
    assert runner.invoke(args=["import-pupils", first, "--school", school.urn]).exit_code == 0

    # The second export has no eal column, a new surname, a new year group and a new pupil.
    second = write(tmp_path, (
        f"{PUPIL_HEADER}\n"
        f"{UPN1},Zoë,,Nguyễn-Smith,04/05/2015,F,6,E\n"
        f"{UPN2},Siobhán,,O'Neill,04/05/2015,F,5,N\n"
        f"{UPN3},Ann,,Lee,01/01/2016,F,4,N\n"
    ), name="second.csv")
    result = runner.invoke(args=["import-pupils", second, "--school", school.urn])
    assert result.exit_code == 0, result.output
    assert "1 pupil added, 1 updated, 1 unchanged" in result.output
    children = children_of(school)
    assert set(children) == {UPN1, UPN2, UPN3}
    assert count(Child) == 4
    zoe = children[UPN1]
    assert (zoe.legal_surname, zoe.year_group, zoe.send) == ("Nguyễn-Smith", "6", True)
    assert zoe.eal is True  # no column in the second file: left as it was
    assert "smith" in zoe.search_key
    db.session.refresh(elsewhere)
    assert elsewhere.legal_surname == "Elsewhere"


def test_unknown_school_and_missing_file_are_clear_errors(runner, tmp_path):
    path = write(tmp_path, f"{PUPIL_HEADER}\n{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,N\n")
    result = runner.invoke(args=["import-pupils", path, "--school", "999999"])
    assert result.exit_code != 0
    assert "no school has the URN '999999'" in result.output
    school = make_school()
    result = runner.invoke(args=["import-pupils", str(tmp_path / "missing.csv"), "--school", school.urn])
    assert result.exit_code != 0
    assert "does not exist" in result.output
    assert count(Child) == 0


def test_a_workbook_instead_of_csv_is_refused(runner, tmp_path):
    school = make_school()
    path = tmp_path / "pupils.xlsx"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)))
    result = runner.invoke(args=["import-pupils", str(path), "--school", school.urn])
    assert result.exit_code != 0
    assert "Excel workbook" in result.output


def test_a_utf8_export_with_one_windows_1252_byte_is_refused_naming_the_line_and_byte(runner, tmp_path):
    school = make_school()
    path = tmp_path / "pupils.csv"
    path.write_bytes(f"{PUPIL_HEADER}\r\n{UPN1},Zoë,,Nguyễn,04/05/2015,F,5,N\r\n".encode("utf-8")
                     + f"{UPN2},Zo".encode() + b"\xeb,,Roe,04/05/2015,F,5,N\r\n")
    result = runner.invoke(args=["import-pupils", str(path), "--school", school.urn])
    assert result.exit_code == 1
    assert f"line 3, byte {len(UPN2) + 4} is 0xEB" in result.output
    assert "CSV UTF-8 (Comma delimited)" in result.output and "Nothing was imported" in result.output
    assert "Traceback" not in result.output
    assert children_of(school) == {}


def test_import_pupils_refuses_implausible_dates_of_birth_and_names_and_writes_nothing(runner, tmp_path):
    school = make_school()
    path = write(tmp_path, (
        f"{PUPIL_HEADER}\r\n"
        f"{UPN1},Zoë,,Nguyễn,01/01/0001,F,5,N\r\n"
        f"{UPN2},Siobhán,=HYPERLINK(\"http://x\"),O'Neill,30/09/2014,F,6,N\r\n"
        f"{UPN3},Ann,,Lee\u202e,{date.today():%d/%m/%Y},F,N1,N\r\n"
    ))
    result = runner.invoke(args=["import-pupils", path, "--school", school.urn])
    assert result.exit_code == 1
    assert "line 2, column DOB: The date of birth 01/01/0001 makes this pupil over 25 years old today." in result.output
    assert "line 3, column Preferred Forename: A name cannot start with '='" in result.output
    assert "line 4, column Legal Surname: This name has a hidden character" in result.output
    assert "line 4, column DOB: The date of birth" in result.output and "under 2 years old" in result.output
    assert "Nothing was imported: 4 problems found on 3 lines." in result.output
    assert "Traceback" not in result.output
    assert children_of(school) == {}


def test_commands_have_help(runner):
    for command in ("import-pupils", "import-observations"):
        result = runner.invoke(args=[command, "--help"])
        assert result.exit_code == 0
        text = " ".join(result.output.split())  # click re-wraps the help text
        assert "--school URN" in text and "All or nothing" in text


# --- observations --------------------------------------------------------------------------------


def _school_with_children():
    school = make_school()
    teacher = make_user(school, "staff", email="teacher@school.example.org")
    zoe = make_child(school, "Zoë", "Nguyễn", upn=UPN1, date_of_birth=date(2015, 5, 4))
    siobhan = make_child(school, "Siobhán", "O'Neill", upn=UPN2, date_of_birth=date(2014, 9, 30))
    return school, teacher, zoe, siobhan


def test_import_observations_adds_imported_records_kept_as_written(runner, tmp_path):
    school, teacher, zoe, siobhan = _school_with_children()
    path = write(tmp_path, (
        f"{OBS_HEADER}\r\n"
        f'{UPN1},2025-11-03,hunger;hygiene,staff,"Came in hungry.\r\nAte two breakfasts.",'
        f'"I didn\'t have tea",Gave toast,Teacher@School.Example.org\r\n'
        f"{UPN2},2025-12-01,disclosure,child,Said she was scared at home,,Told the DSL,teacher@school.example.org\r\n"
    ))
    result = runner.invoke(args=["import-observations", path, "--school", school.urn])
    assert result.exit_code == 0, result.output
    assert "2 records imported" in result.output
    observations = list(db.session.scalars(select(Observation).order_by(Observation.id)))
    assert [o.origin for o in observations] == ["imported", "imported"]
    first = observations[0]
    assert first.child_id == zoe.id and first.created_by_id == teacher.id
    version = first.current
    assert version.number == 1 and version.occurred_on == date(2025, 11, 3)
    assert version.categories == ["hunger", "hygiene"]
    assert version.description == "Came in hungry.\r\nAte two breakfasts."
    assert version.child_voice == "I didn't have tea"
    assert version.recorded_by_id == teacher.id and version.first_hand is True
    assert observations[1].child_id == siobhan.id and observations[1].current.first_hand is False
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "observations.import")))
    assert len(events) == 1


def test_history_with_a_child_s_words_in_two_encodings_is_refused_not_garbled(runner, tmp_path):
    school, _teacher, _zoe, _siobhan = _school_with_children()
    path = tmp_path / "history.csv"
    path.write_bytes(f"{OBS_HEADER}\r\n{UPN1},2025-11-03,hunger,staff,Hungry,Zoë said “no tea”,,"
                     "teacher@school.example.org\r\n".encode("utf-8")
                     + f"{UPN2},2025-11-04,hunger,staff,Hungry,I".encode() + b"\x92m hungry,,"
                     b"teacher@school.example.org\r\n")
    result = runner.invoke(args=["import-observations", str(path), "--school", school.urn])
    assert result.exit_code == 1
    assert "line 3, byte" in result.output and "is 0x92" in result.output
    assert "Traceback" not in result.output
    assert count(Observation) == 0


def test_import_observations_is_all_or_nothing_with_every_row_error(runner, tmp_path):
    school, teacher, zoe, siobhan = _school_with_children()
    stranger_school = make_school("Elm Grove Academy")
    make_user(stranger_school, "staff", email="elsewhere@school.example.org")
    future = date.today().replace(year=date.today().year + 1).isoformat()
    path = write(tmp_path, "\n".join([
        OBS_HEADER,
        f"{UPN1},2025-11-03,hunger,staff,Hungry,,,teacher@school.example.org",            # line 2: fine
        f"{UPN3},2025-11-03,hunger,staff,Hungry,,,teacher@school.example.org",            # 3: not on roll
        f"{UPN1},2025-11-03,hunger,staff,Tired,,,elsewhere@school.example.org",           # 4: other school's user
        f"{UPN1},{future},hunger,staff,Hungry,,,teacher@school.example.org",              # 5: future
        f"{UPN2},2010-01-01,hunger,staff,Hungry,,,teacher@school.example.org",            # 6: before birth
        f"{UPN2},03/11/2025,hunger,staff,Hungry,,,teacher@school.example.org",            # 7: not YYYY-MM-DD
    ]) + "\n")
    result = runner.invoke(args=["import-observations", path, "--school", school.urn])
    assert result.exit_code != 0
    for expected in ("line 3, column upn:", "line 4, column recorded_by:", "line 5, column occurred_on:",
                     "line 6, column occurred_on:", "line 7, column occurred_on:"):
        assert expected in result.output
    assert "line 2" not in result.output
    assert count(Observation) == 0 and count(ObservationVersion) == 0


def test_running_the_same_observation_file_twice_does_not_double_the_history(runner, tmp_path):
    school, teacher, zoe, siobhan = _school_with_children()
    rows = [OBS_HEADER, f"{UPN1},2025-11-03,hunger,staff,Hungry,,,teacher@school.example.org"]
    first = write(tmp_path, "\n".join(rows) + "\n", name="first.csv")
    assert runner.invoke(args=["import-observations", first, "--school", school.urn]).exit_code == 0
    rows.append(f"{UPN2},2025-11-04,tiredness,staff,Asleep in class,,,teacher@school.example.org")
    second = write(tmp_path, "\n".join(rows) + "\n", name="second.csv")
    result = runner.invoke(args=["import-observations", second, "--school", school.urn])
    assert result.exit_code == 0, result.output
    assert "1 record imported" in result.output and "Skipped 1 record imported by an earlier run" in result.output
    assert count(Observation) == 2


def test_import_observations_for_unknown_school_fails(runner, tmp_path):
    path = write(tmp_path, f"{OBS_HEADER}\n")
    result = runner.invoke(args=["import-observations", path, "--school", "999999"])
    assert result.exit_code != 0
    assert "no school has the URN" in result.output


def test_imported_history_raises_prompts_at_once_and_does_not_flood_the_review_queue(runner, tmp_path):
    from datetime import timedelta

    from chronology.models import Prompt
    from chronology.services.observations import unreviewed

    school, _teacher, zoe, _siobhan = _school_with_children()
    today = date.today()
    rows = "".join(
        f"{UPN1},{(today - timedelta(days=d)).isoformat()},hunger,staff,Came in hungry and asked for food {d},"
        f",Gave toast,teacher@school.example.org\r\n"
        for d in (3, 10, 20)
    )
    result = runner.invoke(args=["import-observations", write(tmp_path, f"{OBS_HEADER}\r\n{rows}"),
                                 "--school", school.urn])
    assert result.exit_code == 0, result.output
    rules = set(db.session.scalars(select(Prompt.rule).where(Prompt.child_id == zoe.id)))
    assert {"E1", "E4"} <= rules
    assert unreviewed(school).items == []
