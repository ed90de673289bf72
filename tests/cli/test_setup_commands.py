"""create-school, create-user and seed-demo, as an administrator would run them."""

from __future__ import annotations

from sqlalchemy import func, select

from chronology.extensions import db
from chronology.models import Child, Observation, School, User
from chronology.services.passwords import verify_password


def test_create_school_then_user_with_password_on_stdin(runner):
    made = runner.invoke(args=["create-school", "--name", "Ysgol Gymraeg Aberdâr", "--urn", "401234"])
    assert made.exit_code == 0, made.output
    assert "Ysgol Gymraeg Aberdâr" in made.output
    user = runner.invoke(args=["create-user", "--school", "401234", "--email", "Nguyen.Lan@school.example.org",
                               "--name", "Nguyễn Lan", "--role", "dsl", "--role", "staff", "--password-stdin"],
                         input="a sufficiently long password\n")
    assert user.exit_code == 0, user.output
    stored = db.session.scalars(select(User)).one()
    assert stored.email == "nguyen.lan@school.example.org" and stored.name == "Nguyễn Lan"
    school = db.session.scalars(select(School)).one()
    assert stored.roles_at(school.id) == {"dsl", "staff"}
    assert verify_password(stored.password_hash, "a sufficiently long password")


def test_password_shorter_than_twelve_characters_is_refused(runner):
    runner.invoke(args=["create-school", "--name", "Oak", "--urn", "401235"])
    result = runner.invoke(args=["create-user", "--school", "401235", "--email", "a@school.example.org",
                                 "--name", "A Person", "--role", "staff", "--password-stdin"], input="elevenchars\n")
    assert result.exit_code != 0
    assert "at least 12 characters" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_bad_input_names_what_is_wrong_and_exits_non_zero(runner):
    assert "URN must be 6 to 8 digits" in runner.invoke(args=["create-school", "--name", "X", "--urn", "12ab"]).output
    runner.invoke(args=["create-school", "--name", "Oak", "--urn", "401236"])
    duplicate = runner.invoke(args=["create-school", "--name", "Oak again", "--urn", "401236"])
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    unknown = runner.invoke(args=["create-user", "--school", "999999", "--email", "a@school.example.org",
                                  "--name", "A", "--role", "staff", "--password-stdin"], input="long enough password\n")
    assert unknown.exit_code != 0 and "no school has the URN '999999'" in unknown.output
    role = runner.invoke(args=["create-user", "--school", "401236", "--email", "a@school.example.org",
                               "--name", "A", "--role", "headteacher", "--password-stdin"], input="long enough password\n")
    assert role.exit_code != 0 and "headteacher" in role.output
    email = runner.invoke(args=["create-user", "--school", "401236", "--email", "not-an-email",
                                "--name", "A", "--role", "staff", "--password-stdin"], input="long enough password\n")
    assert email.exit_code != 0 and "email address is not valid" in email.output


def test_every_command_has_help(runner):
    for command in ("create-school", "create-user", "seed-demo", "import-pupils", "import-observations"):
        result = runner.invoke(args=[command, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output, command


def test_seed_demo_prints_logins_and_running_it_again_changes_nothing(runner):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    assert "dsl@demo.example.org" in first.output and "password:" in first.output
    counts = (db.session.scalar(select(func.count(Child.id))), db.session.scalar(select(func.count(Observation.id))))
    assert counts[0] >= 20 and counts[1] >= 10
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "Already there" in again.output
    assert counts == (db.session.scalar(select(func.count(Child.id))),
                      db.session.scalar(select(func.count(Observation.id))))


def test_the_demo_school_has_families_professionals_attendance_and_a_referral(runner):
    from chronology.models import AttendancePeriod, FamilyMember, Professional, Referral
    from chronology.services import family

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    children = db.session.scalars(select(Child).order_by(Child.id)).all()
    for child in children:
        assert family.current(FamilyMember, child), child.upn
        assert family.current(Professional, child) and family.details_of(child) is not None
    assert db.session.scalar(select(func.count(AttendancePeriod.id))) >= len(children)
    assert family.siblings_at_school(children[1]) == [children[0]]
    referral = db.session.scalars(select(Referral)).one()
    assert referral.by_phone and referral.consent == "given" and referral.level_of_need == "Level 3"
    dsl = db.session.scalars(select(User).where(User.email == "dsl@demo.example.org")).one()
    assert dsl.phone and dsl.job_title and dsl.secure_email
