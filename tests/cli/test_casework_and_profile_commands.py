"""import-casework (past reviews, referrals, life events) and set-profile, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from chronology.domain.upn import synthetic_upn
from chronology.extensions import db
from chronology.models import AuditEvent, LifeEvent, Referral, Review, User
from chronology.services.observations import unreviewed
from tests.factories import make_child, make_school, make_user, record_concern

UPN1, UPN2, UPN3 = synthetic_upn(801), synthetic_upn(802), synthetic_upn(803)
HEADER = "upn,record,date,kind,agency,status,outcome,outcome_on,follow_up_on,note,recorded_by"
CONSENT = "parents_told,why_not_told,consent,consent_by,consent_reason,child_views,level_of_need"
DSL = "dsl@school.example.org"


def write(tmp_path: Path, lines: list[str], name: str = "casework.csv") -> str:
    path = tmp_path / name
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return str(path)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _setting():
    school = make_school()
    dsl = make_user(school, ["dsl"], email=DSL)
    zoe = make_child(school, "Zoë", "Roe", upn=UPN1, date_of_birth=date(2015, 5, 4))
    concern = record_concern(school, zoe, dsl, occurred_on=date(2025, 11, 3), today=date(2025, 11, 3))
    return school, dsl, zoe, concern


def run(runner, path: str, school):
    return runner.invoke(args=["import-casework", path, "--school", school.urn])


def test_import_casework_adds_each_kind_of_record_marked_imported_with_its_own_date(runner, tmp_path):
    school, dsl, zoe, concern = _setting()
    assert [o.id for o in unreviewed(school).items] == [concern.id]
    path = write(tmp_path, [
        f"{HEADER},{CONSENT}",
        f"{UPN1},review,03/11/2025,refer-social-care,,,,,,Hunger three weeks running,{DSL},,,,,,,",
        f"{UPN1},referral,04/11/2025,,social-care,accepted,Assessment opened,10/11/2025,,,{DSL},"
        f"yes,,given,Mother,,Wants to stay at home,level 3",
        f"{UPN1},life-event,2025-11-20,moved-house,,,,,,To her aunt's,{DSL},,,,,,,",
    ])
    result = run(runner, path, school)
    assert result.exit_code == 0, result.output
    assert "3 records imported" in result.output
    [review] = db.session.scalars(select(Review)).all()
    assert (review.observation_id, review.decision, review.decided_on, review.created_by_id) == (
        concern.id, "refer-social-care", date(2025, 11, 3), dsl.id)
    assert review.imported_at is not None
    [referral] = db.session.scalars(select(Referral)).all()
    assert (referral.agency, referral.status, referral.referred_on, referral.outcome_on) == (
        "social-care", "accepted", date(2025, 11, 4), date(2025, 11, 10))
    assert (referral.parents_told, referral.consent, referral.consent_by, referral.child_views,
            referral.level_of_need) == ("yes", "given", "Mother", "Wants to stay at home", "Level 3")
    assert referral.imported_at is not None and referral.by_phone is False
    [event] = db.session.scalars(select(LifeEvent)).all()
    assert (event.kind, event.occurred_on, event.note, event.imported_at is not None) == (
        "moved-house", date(2025, 11, 20), "To her aunt's", True)
    # The imported review answers the concern, so it leaves the DSL's queue.
    db.session.expire_all()
    assert unreviewed(school).items == []
    [audited] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "casework.import")).all()
    assert '"created": 3' in audited.detail
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "prompts.evaluate")).first()


def test_running_the_same_casework_file_twice_does_not_double_it(runner, tmp_path):
    school, dsl, zoe, concern = _setting()
    lines = [HEADER, f"{UPN1},review,03/11/2025,monitor,,,,,,Watch,{DSL}",
             f"{UPN1},referral,04/11/2025,,early-help,awaiting-response,,,,,{DSL}",
             f"{UPN1},life-event,05/11/2025,bereavement,,,,,,Grandad died,{DSL}"]
    first = write(tmp_path, lines, name="first.csv")
    assert run(runner, first, school).exit_code == 0
    # Since the first run the referral's outcome was brought up to date on the child's page.
    referral = db.session.scalars(select(Referral)).one()
    referral.status, referral.outcome = "accepted", "Family support worker allocated"
    db.session.commit()
    lines.append(f"{UPN1},life-event,06/11/2025,exclusion,,,,,,Fixed term,{DSL}")
    result = run(runner, write(tmp_path, lines, name="second.csv"), school)
    assert result.exit_code == 0, result.output
    assert "1 record imported" in result.output and "Skipped 3 records imported by an earlier run" in result.output
    assert (count(Review), count(Referral), count(LifeEvent)) == (1, 1, 2)


def test_every_bad_casework_row_is_refused_whole_with_line_and_column(runner, tmp_path):
    school, dsl, zoe, concern = _setting()
    other = make_school("Elm Grove Academy")
    make_user(other, "dsl", email="elsewhere@school.example.org")
    make_child(other, "Kim", "Elsewhere", upn=UPN3)
    path = write(tmp_path, [
        f"{HEADER},{CONSENT}",
        f"{UPN1},review,03/11/2025,monitor,,,,,,Watch,{DSL},,,,,,,",                          # 2: fine
        f"{UPN3},life-event,03/11/2025,moved-house,,,,,,,{DSL},,,,,,,",                        # 3: not on roll
        f"{UPN1},life-event,03/11/2025,moved-house,,,,,,,elsewhere@school.example.org,,,,,,,",  # 4: not staff
        f"{UPN1},review,04/11/2025,monitor,,,,,,No concern that day,{DSL},,,,,,,",            # 5: no concern
        f"{UPN1},referral,04/11/2025,,social-services,,,,,,{DSL},,,,,,,",                       # 6: bad slugs
        f"{UPN1},referral,04/11/2025,,police,closed,,,,,{DSL},no,,given,,,,Level 9",            # 7: consent
        f"{UPN1},life-event,01/01/2010,moved-house,,,,,,,{DSL},,,,,,,",                         # 8: before birth
        f"{UPN1},life-event,31/13/2025,moved-house,,,,,,,{DSL},,,,,,,",                         # 9: bad date
        f"{UPN1},life-event,03/11/2025,moved-house,,,,,,,{DSL},,,,,,,",                         # 10: fine
    ])
    result = run(runner, path, school)
    assert result.exit_code != 0
    output = result.output
    for expected in ("line 3, column upn: No child with the UPN", "line 4, column recorded_by:",
                     "line 5, column date: No concern about this child is recorded on 04/11/2025",
                     "line 6, column agency: 'social-services' is not a referral agency; use one of: early-help",
                     "line 6, column status: The referral status is missing",
                     "line 7, column why_not_told:", "line 7, column consent_by:",
                     "line 7, column level_of_need: Choose one of the levels of need: Level 1",
                     "line 8, column date: 01/01/2010 is before the child's date of birth",
                     "line 9, column date:"):
        assert expected in output, expected
    assert "line 2," not in output and "line 10," not in output
    assert (count(Review), count(Referral), count(LifeEvent)) == (0, 0, 0)
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "casework.import")).first() is None


def test_a_review_can_name_the_date_of_the_concern_it_answers(runner, tmp_path):
    school, dsl, zoe, concern = _setting()
    path = write(tmp_path, ["upn,record,date,concern_date,kind,note,recorded_by",
                            f"{UPN1},review,10/11/2025,03/11/2025,speak-to-parent,Rang mum,{DSL}"])
    result = run(runner, path, school)
    assert result.exit_code == 0, result.output
    review = db.session.scalars(select(Review)).one()
    assert (review.observation_id, review.decided_on) == (concern.id, date(2025, 11, 10))


def test_in_school_support_is_imported_with_which_support_it_is(runner, tmp_path):
    school, dsl, zoe, concern = _setting()
    path = write(tmp_path, ["upn,record,date,kind,support,ended_on,note,recorded_by",
                            f"{UPN1},life-event,01/09/2025,school-support,ELSA,,Weekly sessions,{DSL}"])
    result = run(runner, path, school)
    assert result.exit_code == 0, result.output
    event = db.session.scalars(select(LifeEvent)).one()
    assert (event.kind, event.support, event.ended_on) == ("school-support", "elsa", None)


# --- set-profile ---------------------------------------------------------------------------------


def test_set_profile_sets_the_contact_a_referral_prints(runner):
    school = make_school()
    make_user(school, "dsl", email="dsl@school.example.org")
    result = runner.invoke(args=["set-profile", "--email", "DSL@School.Example.org", "--phone", "0113 496 0000",
                                 "--job-title", "Designated Safeguarding Lead", "--secure-email",
                                 "dsl@school.sch.uk"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    user = db.session.scalars(select(User).where(User.email == "dsl@school.example.org")).one()
    assert (user.phone, user.job_title, user.secure_email) == ("0113 496 0000", "Designated Safeguarding Lead",
                                                              "dsl@school.sch.uk")
    assert db.session.scalars(select(AuditEvent).where(AuditEvent.action == "profile.change")).first()
    # What is not given stays as it is.
    assert runner.invoke(args=["set-profile", "--email", "dsl@school.example.org", "--phone", "0113 496 0001"]
                         ).exit_code == 0
    db.session.expire_all()
    assert (user.phone, user.job_title) == ("0113 496 0001", "Designated Safeguarding Lead")


def test_set_profile_bad_input_is_a_clear_message_not_a_traceback(runner):
    school = make_school()
    make_user(school, "dsl", email="dsl@school.example.org")
    cases = [
        (["--email", "nobody@school.example.org", "--phone", "0113 496 0000"], "no user has the email address"),
        (["--email", "not an email", "--phone", "0113 496 0000"], "--email:"),
        (["--email", "dsl@school.example.org", "--phone", "call reception"], "--phone: Enter a phone number"),
        (["--email", "dsl@school.example.org", "--secure-email", "dsl at school"], "--secure-email:"),
        (["--email", "dsl@school.example.org", "--job-title", "x" * 201], "--job-title:"),
        (["--email", "dsl@school.example.org"], "Give at least one of"),
    ]
    for args, message in cases:
        result = runner.invoke(args=["set-profile", *args])
        assert result.exit_code != 0, args
        assert message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    db.session.expire_all()
    assert db.session.scalars(select(User.phone).where(User.email == "dsl@school.example.org")).one() == ""
