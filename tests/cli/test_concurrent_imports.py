"""Imports run at once, as real processes, on SQLite and PostgreSQL: they take turns, every pupil and
every row of history is written once, and none prints a traceback."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from chronology.domain.upn import synthetic_upn
from chronology.extensions import db
from chronology.models import Child, Observation
from tests.factories import make_child, make_school, make_user

HEADER = "UPN,Legal Forename,Preferred Forename,Legal Surname,DOB,Gender,Year Group,SEN Status"
PUPILS = 1500  # enough rows that two runs overlap


def _roll(path: Path) -> None:
    rows = [HEADER] + [f"{synthetic_upn(7000 + n)},Pupil{n},,Surname{n % 97},04/05/2016,F,5,N"
                       for n in range(PUPILS)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def test_two_pupil_imports_at_once_take_turns_and_write_each_pupil_once(app, database_url, tmp_path, instance_dir):
    school_id = make_school("Concurrent Primary", urn="654321").id
    roll = tmp_path / "roll.csv"
    _roll(roll)
    db.session.remove()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key",
           "CHRONOLOGY_INSTANCE": str(instance_dir)}
    command = [str(Path(sys.executable).parent / "flask"), "--app", "chronology", "import-pupils", str(roll),
               "--school", "654321"]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _ in range(2)]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    for run, output in zip(runs, outputs):
        assert "Traceback" not in output and "IntegrityError" not in output, output
        assert run.returncode == 0, output
    # One run created the roll; the other, waiting its turn, found it there.
    assert sorted(o.split(": ", 1)[-1].strip() for o in outputs) == [
        "0 pupils added, 0 updated, 1500 unchanged.", "1500 pupils added, 0 updated, 0 unchanged."], outputs
    assert db.session.scalar(select(func.count()).select_from(Child).where(Child.school_id == school_id)) == PUPILS


def test_an_import_that_cannot_wait_any_longer_for_sqlites_lock_says_so_and_writes_nothing(
        app, database_url, tmp_path, instance_dir):
    if not database_url.startswith("sqlite:///"):
        pytest.skip("PostgreSQL's lock waits for as long as it takes: only SQLite gives up")
    school_id = make_school("Busy Primary", urn="654322").id
    roll = tmp_path / "roll.csv"
    _roll(roll)
    db.session.remove()
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock past the busy timeout
    try:
        env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key",
               "CHRONOLOGY_INSTANCE": str(instance_dir)}
        run = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "chronology", "import-pupils",
                              str(roll), "--school", "654322"], env=env, capture_output=True, text=True, timeout=120)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert run.returncode == 1
    assert "Traceback" not in run.stderr + run.stdout
    assert "Another import for this school was running" in run.stderr
    assert "Nothing was imported" in run.stderr
    assert db.session.scalar(select(func.count()).select_from(Child).where(Child.school_id == school_id)) == 0


OBS_HEADER = "upn,occurred_on,categories,source,description,child_voice,action_taken,recorded_by"
COPIES = 4  # processes importing the same history file at once


def test_the_same_history_file_imported_by_several_processes_at_once_is_stored_once(
        app, database_url, tmp_path, instance_dir):
    school = make_school("History Primary", urn="654323")
    make_user(school, "staff", email="teacher@history.example.org")
    upns = [synthetic_upn(8000 + n) for n in range(20)]
    for n, upn in enumerate(upns):
        make_child(school, f"Child{n}", "History", upn=upn)
    school_id = school.id
    rows = [OBS_HEADER] + [f"{upns[n % 20]},2025-{1 + n % 12:02d}-{1 + n % 27:02d},hunger,staff,"
                           f"Asked for food (entry {n}),,Gave breakfast,teacher@history.example.org"
                           for n in range(300)]
    history = tmp_path / "history.csv"
    history.write_text("\n".join(rows) + "\n", encoding="utf-8")
    db.session.remove()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key",
           "CHRONOLOGY_INSTANCE": str(instance_dir)}
    command = [str(Path(sys.executable).parent / "flask"), "--app", "chronology", "import-observations",
               str(history), "--school", "654323"]
    runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _ in range(COPIES)]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    for run, output in zip(runs, outputs):
        assert run.returncode == 0 and "Traceback" not in output, output
    said = sorted(o.split(": ", 1)[-1].strip() for o in outputs)
    assert said[0] == "300 records imported.", outputs
    for later in said[1:]:
        assert re.fullmatch(r"Already imported on \d\d/\d\d/\d{4} at \d\d:\d\d by a command-line import: "
                            r"nothing new in this file, so nothing was added\.", later), outputs
    stored = db.session.scalar(select(func.count()).select_from(Observation).where(Observation.school_id == school_id))
    assert stored == 300


def test_the_database_refuses_a_second_copy_of_an_imported_row(app, runner, tmp_path):
    school = make_school("Key Primary", urn="654324")
    make_user(school, "staff", email="teacher@key.example.org")
    child = make_child(school, "Ada", "Key", upn=synthetic_upn(8100))
    path = tmp_path / "one.csv"
    path.write_text(f"{OBS_HEADER}\n{child.upn},2025-11-03,hunger,staff,Hungry,,,teacher@key.example.org\n",
                    encoding="utf-8")
    assert runner.invoke(args=["import-observations", str(path), "--school", "654324"]).exit_code == 0
    first = db.session.scalars(select(Observation).where(Observation.child_id == child.id)).one()
    assert first.submission_key and len(first.submission_key) == 64
    # Written around the service, as a second process racing the first would write it.
    with pytest.raises(IntegrityError):
        db.session.execute(insert(Observation).values(
            school_id=school.id, child_id=child.id, created_by_id=first.created_by_id, created_at=first.created_at,
            urgent=False, origin="imported", significant=False, submission_key=first.submission_key))
        db.session.flush()
    db.session.rollback()
