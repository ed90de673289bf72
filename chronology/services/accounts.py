"""Schools, staff accounts and signing in."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from ..domain.vocabulary import ROLES
from ..extensions import db
from ..models import Membership, Organisation, School, User
from ..models.types import utcnow
from . import ServiceError, audit
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
        problem = password_problem(password)
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
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        audit.record("login-failed", user_id=user.id if user else None, school_id=None,
                     detail={"email": address[:254]})
        db.session.commit()
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    school_ids = user.school_ids()
    audit.record("login", user_id=user.id, school_id=school_ids[0] if school_ids else None)
    db.session.commit()
    return user


def record_logout(user: User, school_id: int | None) -> None:
    audit.record("logout", user_id=user.id, school_id=school_id)
    db.session.commit()


def staff_of(school: School) -> list[User]:
    stmt = (
        select(User).join(Membership).where(Membership.school_id == school.id)
        .distinct().order_by(User.name)
    )
    return list(db.session.scalars(stmt))
