"""Rows written by hand (`services.rows.insert_loaded`) behave as rows the ORM wrote: loaded with
what the database holds, nothing pending, and gone from the session when their transaction is
rolled back, so the id the database gives next can be used again."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from chronology.extensions import db
from chronology.models import Observation, ObservationVersion
from chronology.services.rows import insert_loaded
from tests.factories import make_child, make_school, make_user


def _observation(school, child, author, key: str) -> Observation:
    return insert_loaded(Observation, dict(school_id=school.id, child_id=child.id, created_by_id=author.id,
                                           submission_key=key))


def _count() -> int:
    return db.session.scalar(select(func.count(Observation.id)))


def _setup():
    school = make_school()
    return school, make_child(school), make_user(school, "staff")


def test_a_row_written_by_hand_is_loaded_with_its_defaults_and_reads_no_sql(app):
    school, child, author = _setup()
    db.session.commit()
    assert school.id and child.id and author.id  # loaded again after the commit, before counting
    statements: list[str] = []

    def seen(*args) -> None:  # noqa: ANN002
        statements.append(args[2])

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        observation = _observation(school, child, author, "k1")
        assert len(statements) == 1 and statements[0].lstrip().upper().startswith("INSERT")
        # Defaults were filled in by the INSERT and brought back: reading them costs nothing.
        assert (observation.origin, observation.urgent, observation.significant) == ("logged", False, False)
        assert observation.created_at is not None and observation.reviewed_at is None
        assert observation.child is child and observation.created_by is author  # from the identity map
        assert len(statements) == 1
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert observation in db.session and not db.session.new and not db.session.dirty
    assert db.session.get(Observation, observation.id) is observation
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Observation, observation.id).submission_key == "k1"


def test_a_rollback_takes_the_object_away_and_its_id_can_be_given_again(app):
    school, child, author = _setup()
    db.session.commit()
    gone = _observation(school, child, author, "k1")
    db.session.rollback()
    assert gone not in db.session and _count() == 0
    # The database may give the same id again (SQLite does): the new row joins the session.
    again = _observation(school, child, author, "k2")
    db.session.commit()
    assert again in db.session and _count() == 1


def test_a_savepoint_rolled_back_takes_only_its_own_rows(app):
    school, child, author = _setup()
    db.session.commit()
    kept = _observation(school, child, author, "k1")
    savepoint = db.session.begin_nested()
    dropped = _observation(school, child, author, "k2")
    savepoint.rollback()
    assert dropped not in db.session and kept in db.session
    db.session.commit()
    assert _count() == 1 and kept in db.session


def test_a_committed_savepoints_rows_go_with_a_later_rollback(app):
    school, child, author = _setup()
    db.session.commit()
    outer = _observation(school, child, author, "k0")  # the real transaction has begun (pysqlite)
    with db.session.begin_nested():
        inner = _observation(school, child, author, "k1")
    db.session.rollback()
    assert outer not in db.session and inner not in db.session and _count() == 0


def test_a_model_with_insert_listeners_is_refused_unless_the_caller_does_their_work(app):
    school, child, author = _setup()
    db.session.commit()
    observation = _observation(school, child, author, "k1")
    other = make_child(school)
    db.session.commit()
    version = dict(observation_id=observation.id, child_id=other.id, number=1, occurred_on=date(2026, 1, 5),
                   categories_text="hunger", source="staff", description="Synthetic words.",
                   recorded_by_id=author.id)
    # The guard that keeps a version on its observation's child would be skipped: refused.
    with pytest.raises(TypeError, match="insert listeners"):
        insert_loaded(ObservationVersion, version)
    assert db.session.scalar(select(func.count(ObservationVersion.id))) == 0


def test_a_closed_session_lets_go_of_what_it_wrote_and_rolled_back(app):
    school, child, author = _setup()
    db.session.commit()
    session = db.session()
    gone = _observation(school, child, author, "k1")
    session.close()
    assert gone not in session and not session.info.get("rows_inserted_by_hand")
    assert _count() == 0
