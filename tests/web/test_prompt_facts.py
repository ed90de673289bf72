"""What the rules read from the database (services.prompts.records_for): version 2's facts, the current
version of each record only, for many children in a fixed number of queries."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import event

from chronology.domain.family import AttendanceDraft, DetailsDraft, MemberDraft
from chronology.domain.observation_rules import ObservationDraft
from chronology.domain.prompts import AttendanceFact, HouseholdMemberFact
from chronology.extensions import db
from chronology.models import FamilyMember
from chronology.services import casework, clock, family, observations as observation_service
from chronology.services import prompts as prompt_service
from tests.factories import make_child, make_school, make_user

TODAY = clock.today()


def observe(school, child, author, *, days_ago=5, categories=("hunger",), source="staff",
            description="Came in hungry.", child_voice=""):
    draft = ObservationDraft(
        occurred_on=TODAY - timedelta(days=days_ago), occurred_time=None, occurred_approx=False,
        location="Classroom", categories=tuple(categories), source=source, first_hand=True,
        description=description, child_voice=child_voice, action_taken="Told the DSL.",
    )
    return observation_service.record_observation(school, child, author, draft, today=TODAY)


def test_the_facts_version_2_reads(app):
    school = make_school()
    dsl = make_user(school, "dsl")
    child = make_child(school)
    told = observe(school, child, dsl, source="child", description='She said "there is no food at home".')
    plain = observe(school, child, dsl, source="child", description="She didn't want to talk; it's her birthday.")
    neighbour = observe(school, child, dsl, source="community", description="A neighbour rang.")
    unanswered = observe(school, child, dsl, source="wider-family", description="Her aunt rang.")
    casework.record_review(neighbour, dsl, "monitor", "Watching.", TODAY - timedelta(days=1), today=TODAY)
    casework.record_life_event(child, dsl, "school-support", TODAY - timedelta(days=30), "", False, today=TODAY,
                               ended_on=TODAY + timedelta(days=30), support="elsa")
    referral = casework.ReferralDraft(agency="young-carers", agency_detail="", referred_on=TODAY, their_reference="",
                                      status="awaiting-response", outcome="", outcome_on=None, follow_up_on=None,
                                      kind="young-carers-assessment")
    casework.record_referral(child, dsl, referral, today=TODAY)
    baby = family.save_member(child, dsl, MemberDraft(name="Baby Nguyen", relationship="sister",
                                                      date_of_birth=TODAY - timedelta(days=90), lives_with_child=True),
                              today=TODAY)
    family.save_member(child, dsl, MemberDraft(name="Unborn", relationship="brother",
                                               due_date=TODAY + timedelta(days=40)), today=TODAY)
    family.save_member(child, dsl, MemberDraft(name="Mum", relationship="mother"), today=TODAY)  # no dates: not read
    moved = family.save_member(child, dsl, MemberDraft(name="Cousin", relationship="cousin",
                                                       date_of_birth=date(2024, 1, 1)), today=TODAY)
    family.remove(FamilyMember, child, dsl, moved.record_key, "Moved away.")
    family.save_details(child, dsl, DetailsDraft(sen_primary_need="SLCN", communication_needs="Uses Makaton."))
    family.save_details(child, dsl, DetailsDraft(sen_primary_need="ASD", communication_needs=""),
                        reason="Diagnosis confirmed.")
    family.record_attendance(child, dsl, AttendanceDraft(date(2025, 9, 1), date(2025, 12, 19),
                                                         attendance_percent=87.5))

    records = prompt_service.records_for([child])[child.id]
    by_id = {o.id: o for o in records.observations}
    assert by_id[told.id].quotes_child and by_id[told.id].records_child_voice
    assert not by_id[plain.id].quotes_child
    assert by_id[neighbour.id].answered_on == TODAY - timedelta(days=1)
    assert by_id[unanswered.id].answered_on is None
    [elsa] = [e for e in records.life_events if e.kind == "school-support"]
    assert (elsa.support, elsa.ended_on) == ("elsa", TODAY + timedelta(days=30))
    [carers] = records.referrals
    assert (carers.kind, carers.agency) == ("young-carers-assessment", "young-carers")
    assert set(records.household) == {HouseholdMemberFact(TODAY - timedelta(days=90), None, True),
                                      HouseholdMemberFact(None, TODAY + timedelta(days=40), None)}
    assert baby is not None
    # The current details only: the second version replaced the first.
    assert (records.sen_primary_need, records.communication_needs) == ("ASD", False)
    assert records.attendance == (AttendanceFact(date(2025, 9, 1), date(2025, 12, 19), 87.5),)


def test_records_for_many_children_is_the_same_few_queries_as_for_one(app):
    school = make_school()
    dsl = make_user(school, "dsl")

    def queries(children) -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
            seen.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            prompt_service.records_for(children, since=TODAY - timedelta(days=365))
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(seen)

    children = []
    for n in range(6):
        c = make_child(school, f"Pupil{n}", "Test")
        observe(school, c, dsl, days_ago=n + 1)
        family.save_member(c, dsl, MemberDraft(name="Baby", relationship="brother",
                                               date_of_birth=TODAY - timedelta(days=30)), today=TODAY)
        family.record_attendance(c, dsl, AttendanceDraft(date(2025, 9, 1), date(2025, 12, 19),
                                                         attendance_percent=95.0))
        children.append(c)
    db.session.commit()
    for c in children:
        db.session.refresh(c)  # loading the children themselves is not the loader's cost
    assert queries(children[:1]) == queries(children) == 3
    assert all(len(r.household) == 1 for r in prompt_service.records_for(children).values())
