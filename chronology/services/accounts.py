"""Schools, staff accounts and signing in."""

from __future__ import annotations

from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select

from ..domain.family import phone_problem
from ..domain.vocabulary import ROLES
from ..extensions import db
from ..models import Membership, Organisation, School, User
from ..models.types import utcnow
from . import ServiceError, audit, sessions
from .passwords import hash_password, needs_rehash, password_problem, verify_password


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise ServiceError(f"The email address is not valid: {error}", field="email") from None


def create_school(name: str, urn: str, organisation_name: str | None = None) -> School:
    name, urn = name.strip(), urn.strip()
    if not name:
        raise ServiceError("The school needs a name.", field="name")
    if not (urn.isdigit() and 6 <= len(urn) <= 8):
        raise ServiceError(f"The URN must be 6 to 8 digits; got {urn!r}.", field="urn")
    if db.session.scalar(select(School).where(School.urn == urn)):
        raise ServiceError(f"A school with the URN {urn} already exists.", field="urn")
    org_name = (organisation_name or name).strip()
    organisation = db.session.scalar(select(Organisation).where(Organisation.name == org_name))
    if organisation is None:
        organisation = Organisation(name=org_name)
        db.session.add(organisation)
    school = School(name=name, urn=urn, organisation=organisation)
    db.session.add(school)
    db.session.flush()
    audit.record("school.create", user_id=None, school_id=school.id, object_type="school", object_id=school.id)
    db.session.commit()
    return school


def create_user(
    school: School, email: str, name: str, roles: list[str], password: str, *, by: User | None = None
) -> User:
    """Create an account, or grant an existing one more roles at this school.

    `by` is the administrator doing it in the app (None from the command line, which only the
    people running the server can use). In the app, nobody changes their own roles, only a DSL
    can make someone a DSL, and an account at another school is not touched from here.
    """
    email = normalise_email(email)
    name = name.strip()
    if not name:
        raise ServiceError("The person's name is required.", field="name")
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ServiceError(f"The role must be one of {', '.join(ROLES)}.", field="role")
    if by is not None and "dsl" in roles and "dsl" not in by.roles_at(school.id):
        raise ServiceError("Only a DSL can give someone the DSL role, because it opens every concern about "
                           "every child. Ask your DSL to do it.", field="role")
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None and by is not None:
        if user.id == by.id:
            raise ServiceError("You cannot change your own roles. Ask another administrator.", field="role")
        if school.id not in user.school_ids():
            # Never say why: that the address has an account at another school is not this
            # school's to learn.
            raise ServiceError("That email address cannot be used here. Check it, or ask your trust's "
                               "administrator.", field="email")
    if user is None:
        problem = password_problem(password, email=email)
        if problem:
            raise ServiceError(problem, field="password")
        # Someone else chose this first password, so its owner must choose their own at first sign-in.
        user = User(email=email, name=name, password_hash=hash_password(password),
                    must_change_password=by is not None)
        db.session.add(user)
        db.session.flush()
        audit.record("user.create", user_id=by.id if by else None, school_id=school.id,
                     object_type="user", object_id=user.id, detail={"email": email})
    granted = []
    for role in roles:
        if role not in user.roles_at(school.id):
            user.memberships.append(Membership(school_id=school.id, role=role))
            granted.append(role)
            audit.record("user.grant-role", user_id=by.id if by else None, school_id=school.id,
                         object_type="user", object_id=user.id, detail={"role": role})
    if {"dsl", "admin"} & set(granted):
        # A role that needs a second factor must not ride on a session that never gave one.
        sessions.end_all_for(user, "roles-changed")
    db.session.commit()
    return user


def set_active(user: User, active: bool, *, by: User, school: School) -> None:
    if user.id == by.id and not active:
        raise ServiceError("You cannot deactivate your own account.")
    if any(sid != school.id for sid in user.school_ids()):
        raise ServiceError(f"{user.name} also works at another school, so their account is managed by "
                           "your trust's administrator.")
    user.active = active
    if not active:
        sessions.end_all_for(user, "deactivated")
    audit.record("user.activate" if active else "user.deactivate", user_id=by.id, school_id=school.id,
                 object_type="user", object_id=user.id)
    db.session.commit()


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None; either way the attempt is audited."""
    try:
        address = normalise_email(email)
    except ServiceError:
        address = email.strip().lower()
    user = db.session.scalar(select(User).where(User.email == address))
    now = utcnow()
    # The hash is checked even for a locked or unknown account, so every refusal takes the same time.
    ok = verify_password(user.password_hash if user else None, password)
    locked = user is not None and user.locked_until is not None and user.locked_until > now
    if not ok or user is None or not user.active or locked:
        reason = "locked" if locked else ("unknown-email" if user is None else
                                          "inactive" if not user.active else "wrong-password")
        if user is not None and not locked and not ok:
            count_failure(user, now)
        # What was typed is kept only when it is an email address: people sometimes type a
        # password into the email box, and the audit log must not become a list of passwords.
        typed = address[:254] if "@" in address and " " not in address else "(not an email address)"
        audit.record("login-failed", user_id=user.id if user else None, school_id=None,
                     detail={"email": typed, "reason": reason})
        db.session.commit()
        return None
    user.failed_logins = 0
    user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if user.needs_second_factor:
        audit.record("login-password-accepted", user_id=user.id, school_id=None)
    else:
        _record_login(user, "password")
    db.session.commit()
    return user


def _record_login(user: User, method: str) -> None:
    user.last_login_at = utcnow()
    school_ids = user.school_ids()
    audit.record("login", user_id=user.id, school_id=school_ids[0] if school_ids else None,
                 detail={"method": method})


def complete_second_factor_login(user: User, method: str) -> None:
    """Sign-in is complete only once the second factor has been given."""
    _record_login(user, method)
    db.session.commit()


def count_failure(user: User, now) -> None:
    """After repeated failures the account waits, twice as long each time, up to an hour."""
    user.failed_logins = (user.failed_logins or 0) + 1
    over = user.failed_logins - current_app.config["LOGIN_LOCK_AFTER"]
    if over >= 0:
        user.locked_until = now + timedelta(minutes=min(60, 2 ** over))


def record_logout(user: User, school_id: int | None) -> None:
    audit.record("logout", user_id=user.id, school_id=school_id)
    db.session.commit()


def staff_of(school: School) -> list[User]:
    stmt = (
        select(User).join(Membership).where(Membership.school_id == school.id)
        .distinct().order_by(User.name)
    )
    return list(db.session.scalars(stmt))


def change_password(user: User, new_password: str, *, by: User | None) -> None:
    """A new password ends every session the person had, wherever they were signed in."""
    problem = password_problem(new_password, email=user.email)
    if problem:
        raise ServiceError(problem, field="password")
    if verify_password(user.password_hash, new_password):
        raise ServiceError("Choose a password different from the one you have now.", field="password")
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.failed_logins = 0
    user.locked_until = None
    sessions.end_all_for(user, "password-changed")
    audit.record("user.password-change", user_id=by.id if by else None, school_id=None,
                 object_type="user", object_id=user.id)
    db.session.commit()


def change_own_password(user: User, current: str, new_password: str, confirm: str) -> None:
    """The person changing their own password proves they know the present one."""
    if not verify_password(user.password_hash, current):
        raise ServiceError("Your present password is not right.", field="current")
    if new_password != confirm:
        raise ServiceError("The two new passwords are not the same.", field="confirm")
    change_password(user, new_password, by=user)


def set_profile(user: User, *, job_title: str | None = None, phone: str | None = None,
                secure_email: str | None = None, by: User | None = None) -> None:
    """The contact a referral prints for its referrer; a value left as None is kept as it is."""
    errors: dict[str, str] = {}
    if secure_email is not None and secure_email.strip():
        try:
            secure_email = normalise_email(secure_email)
        except ServiceError:
            errors["secure_email"] = "Enter a secure email address like dsl@school.sch.uk."
    if phone is not None:
        if problem := phone_problem(phone):
            errors["phone"] = problem
    if job_title is not None and len(job_title.strip()) > 200:
        errors["job_title"] = "Keep the job title under 200 characters."
    if errors:
        from .casework import InvalidRecord
        raise InvalidRecord(errors)
    changed = []
    for name, value in (("job_title", job_title), ("phone", phone), ("secure_email", secure_email)):
        if value is not None and getattr(user, name) != value.strip():
            setattr(user, name, value.strip())
            changed.append(name)
    audit.record("profile.change", user_id=(by or user).id, object_type="user", object_id=user.id,
                 school_id=None, detail={"fields": changed})
    db.session.commit()
