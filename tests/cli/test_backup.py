"""Backups round trip: every record and every audit event come back."""

from __future__ import annotations

from datetime import date

from sqlalchemy import create_engine, text

from chronology.domain.observation_rules import ObservationDraft
from chronology.extensions import db
from chronology.services import observations
from tests.factories import make_child, make_school, make_user


def _tables_snapshot(engine) -> dict[str, list]:
    snapshot = {}
    with engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            rows = connection.execute(text(f"SELECT * FROM {table.name} ORDER BY 1")).all()
            snapshot[table.name] = [tuple(row) for row in rows]
    return snapshot


def _some_records():
    school = make_school()
    teacher = make_user(school, "staff")
    child = make_child(school, "Siobhán", "O'Neill")
    draft = ObservationDraft(occurred_on=date(2026, 3, 2), occurred_time=None, occurred_approx=False,
                             location="Hall", categories=("hunger",), source="staff", first_hand=True,
                             description="Asked for food twice before 9 o'clock.", child_voice="I'm starving.")
    observations.record_observation(school, child, teacher, draft, today=date(2026, 3, 3))


def test_backup_and_restore_round_trip(app, runner, tmp_path, request):
    _some_records()
    before = _tables_snapshot(db.engine)
    out = tmp_path / "chronology.backup"
    result = runner.invoke(args=["backup", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0
    after_backup = _tables_snapshot(db.engine)  # the backup itself is audited, after the copy point
    if db.engine.url.get_backend_name() == "sqlite":
        restored = create_engine(f"sqlite:///{out}")
    else:
        from chronology.services.backup import restore_postgres

        admin = create_engine(db.engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS chronology_restored"))
            connection.execute(text("CREATE DATABASE chronology_restored"))
        admin.dispose()
        target = db.engine.url.set(database="chronology_restored")
        restore_postgres(out, target.render_as_string(hide_password=False))
        restored = create_engine(target)
    got = _tables_snapshot(restored)
    restored.dispose()
    for table, rows in before.items():
        if table == "audit_events":
            assert rows == got[table][: len(rows)]
            assert len(got[table]) in (len(rows), len(after_backup[table]))
        else:
            assert rows == got[table], table
    assert any("Asked for food twice" in str(row) for row in got["observation_versions"])


def test_backup_refuses_to_overwrite_a_file(runner, tmp_path):
    out = tmp_path / "exists.backup"
    out.write_text("an older backup")
    result = runner.invoke(args=["backup", "--out", str(out)])
    assert result.exit_code != 0 and "already exists" in result.output
    assert out.read_text() == "an older backup"
