"""Records about children are never changed in place and never deleted, even by the database's own users."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from chronology.domain.observation_rules import ObservationDraft
from chronology.extensions import db
from chronology.models import AuditEvent, Observation, ObservationVersion, RecordIsImmutable
from chronology.services import observations
from tests.factories import make_child, make_school, make_user


def _observation():
    school = make_school()
    author = make_user(school, "staff")
    child = make_child(school)
    draft = ObservationDraft(occurred_on=date(2026, 3, 2), occurred_time=None, occurred_approx=True,
                             location="Playground", categories=("injury",), source="staff", first_hand=True,
                             description="A graze on the knee from a fall on the playground.",
                             child_voice="I tripped on the step.", action_taken="First aid given.")
    return observations.record_observation(school, child, author, draft, today=date(2026, 3, 3))


def test_the_orm_refuses_to_change_or_delete_a_version(app):
    version = _observation().current
    version.description = "softened words"
    with pytest.raises(RecordIsImmutable):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(RecordIsImmutable):
        db.session.delete(db.session.get(ObservationVersion, version.id))
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize("statement", [
    "UPDATE observation_versions SET description = 'poor home conditions'",
    "DELETE FROM observation_versions",
    "DELETE FROM observations",
    "UPDATE observations SET child_id = child_id",
    "UPDATE audit_events SET action = 'nothing'",
    "DELETE FROM audit_events",
])
def test_the_database_itself_refuses_to_change_or_delete_records(app, statement):
    _observation()
    with pytest.raises(DatabaseError):
        db.session.execute(text(statement))
        db.session.commit()
    db.session.rollback()
    assert db.session.scalars(select(ObservationVersion.description)).one().startswith("A graze")
    assert db.session.scalar(select(AuditEvent).limit(1)) is not None


def test_the_significant_mark_may_change(app):
    observation = _observation()
    db.session.execute(text("UPDATE observations SET significant = :yes"), {"yes": True})
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Observation, observation.id).significant


def test_a_new_version_is_always_about_its_observations_child(app):
    observation = _observation()
    from chronology.models import School

    other = make_child(db.session.get(School, observation.school_id), "Other", "Pupil")
    current = observation.current
    smuggled = ObservationVersion(
        observation_id=observation.id, child_id=other.id, number=current.number + 1,
        occurred_on=current.occurred_on, categories_text=current.categories_text, source=current.source,
        description="Moved onto another child's record.", recorded_by_id=current.recorded_by_id,
        reason="Trying to move it.")
    db.session.add(smuggled)
    with pytest.raises(RecordIsImmutable):
        db.session.commit()
    db.session.rollback()
    # Without a child given, the version takes its observation's child.
    honest = ObservationVersion(
        observation_id=observation.id, number=current.number + 1, occurred_on=current.occurred_on,
        categories_text=current.categories_text, source=current.source, description="Corrected.",
        recorded_by_id=current.recorded_by_id, reason="A correction.")
    db.session.add(honest)
    db.session.commit()
    assert honest.child_id == observation.child_id
