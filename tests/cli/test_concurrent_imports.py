"""Two `import-pupils` runs at once, as two real processes, on SQLite and PostgreSQL: they take turns,
every pupil is written once, and neither prints a traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from chronology.domain.upn import synthetic_upn
from chronology.extensions import db
from chronology.models import Child
from tests.factories import make_school

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
