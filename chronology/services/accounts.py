"""Schools, staff accounts and signing in."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

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
    """Create an account, or grant an existing one more roles at this school."""
    email = normalise_email(email)
    name = name.strip()
    if not name:
        raise ServiceError("The person's name is required.", field="name")
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise ServiceError(f"The role must be one of {', '.join(ROLES)}.", field="role")
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        problem = password_problem(password, email=email)
        if problem:
            raise ServiceError(problem, field="password")
        user = User(email=email, name=name, password_hash=hash_password(password))
        db.session.add(user)
        db.session.flush()
        audit.record("user.create", user_id=by.id if by else None, school_id=school.id,
                     object_type="user", object_id=user.id, detail={"email": email})
    for role in roles:
        if role not in user.roles_at(school.id):
            user.memberships.append(Membership(school_id=school.id, role=role))
            audit.record("user.grant-role", user_id=by.id if by else None, school_id=school.id,
                         object_type="user", object_id=user.id, detail={"role": role})
    db.session.commit()
    return user


def set_active(user: User, active: bool, *, by: User, school: School) -> None:
    if user.id == by.id and not active:
        raise ServiceError("You cannot deactivate your own account.")
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
            _count_failure(user, now)
        audit.record("login-failed", user_id=user.id if user else None, school_id=None,
                     detail={"email": address[:254], "reason": reason})
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


def _count_failure(user: User, now) -> None:
    """After repeated failures the account waits, twice as long each time, up to an hour."""
    from datetime import timedelta

    from flask import current_app

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
    user.password_hash = hash_password(new_password)
    user.failed_logins = 0
    user.locked_until = None
    sessions.end_all_for(user, "password-changed")
    audit.record("user.password-change", user_id=by.id if by else None, school_id=None,
                 object_type="user", object_id=user.id)
    db.session.commit()
