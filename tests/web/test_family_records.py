"""A child's family, professionals, details and attendance are kept as versions, never rewritten."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from chronology.domain.family import AttendanceDraft, DetailsDraft, MemberDraft, ProfessionalDraft, nhs_number_ok
from chronology.extensions import db
from chronology.models import AuditEvent, FamilyMember, Professional, RecordIsImmutable
from chronology.services import family
from chronology.services.casework import InvalidRecord
from tests.factories import make_child, make_school, make_user

TODAY = date(2026, 3, 3)


def _setting():
    school = make_school()
    return school, make_user(school, "dsl"), make_child(school)


def test_a_change_is_a_new_version_with_who_and_why(app):
    school, dsl, child = _setting()
    first = family.save_member(child, dsl, MemberDraft(name="Dana Roe", relationship="mother",
                                                       lives_with_child=True, parental_responsibility=True),
                               today=TODAY)
    family.save_member(child, dsl, MemberDraft(name="Dana Roe", relationship="mother", lives_with_child=False,
                                               parental_responsibility=True, note="Moved out in February."),
                       today=TODAY, record_key=first.record_key, reason="Moved out")
    versions = family.history(FamilyMember, child, first.record_key)
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].lives_with_child is True and versions[1].lives_with_child is False
    assert versions[1].reason == "Moved out" and versions[1].recorded_by_id == dsl.id
    [now] = family.current(FamilyMember, child)
    assert now.note == "Moved out in February."
    events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.child_id == child.id)).all()
    assert events == ["family-member.create", "family-member.change"]


def test_a_change_needs_a_reason_and_a_removal_keeps_the_record(app):
    school, dsl, child = _setting()
    row = family.save_professional(child, dsl, ProfessionalDraft(name="Dr Ada Field", role="gp", agency="Elm Surgery"))
    with pytest.raises(InvalidRecord) as refused:
        family.save_professional(child, dsl, ProfessionalDraft(name="Dr Ada Field", role="gp", agency="Oak"),
                                 record_key=row.record_key)
    assert "reason" in refused.value.errors
    family.remove(Professional, child, dsl, row.record_key, "Family moved to another practice")
    assert family.current(Professional, child) == []
    assert len(family.history(Professional, child, row.record_key)) == 2


def test_the_database_refuses_to_rewrite_a_version(app):
    school, dsl, child = _setting()
    row = family.save_member(child, dsl, MemberDraft(name="Lee Roe", relationship="stepfather"), today=TODAY)
    row.name = "Someone else"
    with pytest.raises(RecordIsImmutable):
        db.session.commit()
    db.session.rollback()
    for statement in ("UPDATE family_members SET name = 'x'", "DELETE FROM family_members"):
        with pytest.raises(DatabaseError):
            db.session.execute(text(statement))
        db.session.rollback()


def test_siblings_are_linked_both_ways(app):
    school, dsl, child = _setting()
    sister = make_child(school, "Mia", "Roe")
    other_school_child = make_child(make_school())
    family.save_member(child, dsl, MemberDraft(name="Mia Roe", relationship="sister", sibling_child_id=sister.id),
                       today=TODAY)
    assert family.siblings_at_school(child) == [sister]
    assert family.siblings_at_school(sister) == [child]
    with pytest.raises(InvalidRecord) as refused:
        family.save_member(child, dsl, MemberDraft(name="X", relationship="brother",
                                                   sibling_child_id=other_school_child.id), today=TODAY)
    assert "sibling" in refused.value.errors


def test_details_attendance_and_checks(app):
    school, dsl, child = _setting()
    with pytest.raises(InvalidRecord) as refused:
        family.save_details(child, dsl, DetailsDraft(sen_primary_need="XYZ", nhs_number="123"))
    assert set(refused.value.errors) == {"sen_primary_need", "nhs_number"}
    family.save_details(child, dsl, DetailsDraft(first_language="Polish", interpreter_needed=True,
                                                 sen_primary_need="ASD", nhs_number="943 476 5919"))
    assert family.details_of(child).nhs_number == "9434765919"
    family.record_attendance(child, dsl, AttendanceDraft(date(2025, 9, 1), date(2025, 12, 19), 140, 119))
    assert family.attendance_of(child)[0].attendance_percent == 85.0
    assert nhs_number_ok("9434765919") and not nhs_number_ok("9434765918")


def test_a_record_is_marked_not_for_the_family_with_a_reason(app):
    school, dsl, child = _setting()
    member = family.save_member(child, dsl, MemberDraft(name="Sam Roe", relationship="father"), today=TODAY)
    with pytest.raises(InvalidRecord):
        family.mark_withheld(child, dsl, "family-member", member.id, True, "")
    family.mark_withheld(child, dsl, "family-member", member.id, True, "Father's new address: risk to mother")
    [mark] = family.withheld_marks(child)
    assert mark.reason.startswith("Father's new address")
    family.mark_withheld(child, dsl, "family-member", member.id, False, "Mother agreed")
    assert family.withheld_marks(child) == []


def test_a_baby_added_to_the_household_brings_the_childs_prompts_up_to_date(app):
    from chronology.models import Prompt
    from chronology.services import clock

    school, dsl, child = _setting()
    teacher = make_user(school, "staff")
    today = clock.today()
    from chronology.domain.observation_rules import ObservationDraft
    from chronology.services import observations

    draft = ObservationDraft(occurred_on=today, occurred_time=None, occurred_approx=False, location="Gate",
                             categories=("injury",), source="staff", first_hand=True,
                             description="A bruise on the cheek, seen at the gate.", child_voice="",
                             action_taken="Told the DSL.")
    observations.record_observation(school, child, teacher, draft, today=today)
    rules = lambda: {p.rule for p in db.session.scalars(select(Prompt).where(Prompt.child_id == child.id))}  # noqa: E731
    assert "E16" not in rules()
    family.save_member(child, dsl, MemberDraft(name="Baby Roe", relationship="baby brother",
                                               date_of_birth=today.replace(day=1) if today.day > 1 else today,
                                               lives_with_child=True), today=today)
    assert "E16" in rules()
