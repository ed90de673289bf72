"""The migrations build the whole schema from nothing, match the models, and have one head."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from chronology import PROJECT_ROOT, create_app
from chronology.extensions import db


def test_there_is_exactly_one_head():
    script = ScriptDirectory(str(PROJECT_ROOT / "migrations"))
    assert len(script.get_heads()) == 1


def test_models_and_migrations_agree(app):
    # `app` stands on a database built by `flask db upgrade` from empty, on SQLite and PostgreSQL.
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, db.metadata) == []


def test_upgrade_from_an_empty_sqlite_file(tmp_path):
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'new.sqlite'}",
                      "SECRET_KEY": "x"})
    with app.app_context():
        upgrade()
        assert "observation_versions" in db.inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_the_reviewed_marker_is_backfilled_from_the_earliest_review(app):
    """0008 on a database with history: each reviewed concern takes its first review's time; the rest queue."""
    from datetime import date, datetime, timezone

    from flask_migrate import downgrade
    from sqlalchemy import bindparam, select, text

    from chronology.models import Observation, School
    from chronology.models.types import UTCDateTime
    from chronology.services import casework, observations
    from tests.factories import make_child, make_school, make_user, record_concern

    school = make_school()
    teacher, dsl, child = make_user(school, "staff"), make_user(school, "dsl"), make_child(school)
    twice, never, once = (record_concern(school, child, teacher) for _ in range(3))
    twice_id, never_id, once_id = twice.id, never.id, once.id
    school_id, child_id, dsl_id = school.id, child.id, dsl.id
    casework.record_review(once, dsl, "monitor", "Seen.", date(2026, 3, 3), today=date(2026, 3, 3))
    once_reviewed = db.session.get(Observation, once_id).reviewed_at
    db.session.remove()

    early, late = (datetime(2026, 3, 3, 9, 0, tzinfo=timezone.utc), datetime(2026, 3, 5, 16, 45, tzinfo=timezone.utc))
    downgrade(revision="0007")
    try:
        insert = text(
            "INSERT INTO reviews (school_id, child_id, observation_id, decision, reason, decided_on, created_at, "
            "created_by_id) VALUES (:s, :c, :o, 'monitor', 'Seen.', :d, :at, :u)"
        ).bindparams(bindparam("at", type_=UTCDateTime()))
        with db.engine.begin() as connection:
            assert "reviewed_at" not in {c["name"] for c in db.inspect(connection).get_columns("observations")}
            for at in (late, early):  # the later one first: the earliest counts, not the first inserted
                connection.execute(insert, {"s": school_id, "c": child_id, "o": twice_id, "d": date(2026, 3, 3),
                                            "at": at, "u": dsl_id})
    finally:
        db.session.remove()
        upgrade()
    marked = dict(db.session.execute(select(Observation.id, Observation.reviewed_at)).all())
    assert marked == {twice_id: early, never_id: None, once_id: once_reviewed}
    school = db.session.get(School, school_id)
    assert [o.id for o in observations.unreviewed(school).items] == [never_id]


def test_versions_are_given_their_child_and_stay_guarded(app):
    """0009 on a database with history: every version takes its observation's child; the guards stay."""
    import pytest
    from flask_migrate import downgrade
    from sqlalchemy import select, text
    from sqlalchemy.exc import DatabaseError

    from chronology.models import ObservationVersion
    from tests.factories import make_child, make_school, make_user, record_concern

    school = make_school()
    teacher = make_user(school, "staff")
    ada, ben = make_child(school, "Ada", "Pupil"), make_child(school, "Ben", "Pupil")
    expected = {}
    for child in (ada, ben, ada):
        observation = record_concern(school, child, teacher)
        expected[observation.versions[0].id] = child.id
    db.session.remove()

    downgrade(revision="0008")
    try:
        with db.engine.connect() as connection:
            assert "child_id" not in {c["name"] for c in db.inspect(connection).get_columns("observation_versions")}
    finally:
        db.session.remove()
        upgrade()
    assert dict(db.session.execute(select(ObservationVersion.id, ObservationVersion.child_id)).all()) == expected
    with pytest.raises(DatabaseError, match="never changed"):
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE observation_versions SET description = 'poor home conditions'"))
    with pytest.raises(DatabaseError, match="never deleted"):
        with db.engine.begin() as connection:
            connection.execute(text("DELETE FROM observation_versions"))
