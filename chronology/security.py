"""Who the user is, which school they act for, and what their roles let them do."""

from __future__ import annotations

from .domain.ids import record_id

from functools import wraps
from typing import Callable, TypeVar

from flask import abort, g, session
from flask_login import current_user

from .extensions import db
from .models import School, User

F = TypeVar("F", bound=Callable)


def load_user(user_id: str) -> User | None:
    """The signed-in user, only while their server-side session is live."""
    from .services import sessions

    if record_id(user_id) is None:
        return None
    # One query, which also loads the schools `current_school` then finds already in the session.
    user = sessions.live_user(session.get("sid"), int(user_id))
    if user is None or not user.active:
        return None
    if user.needs_second_factor and not session.get("second_factor_at"):
        # A session that never gave a second factor cannot carry a role that needs one.
        return None
    return user


def current_school() -> School | None:
    """The school the signed-in user is acting for in this session."""
    if "current_school" in g:
        return g.current_school
    school = None
    if current_user.is_authenticated:
        school_ids = current_user.school_ids()
        wanted = session.get("school_id")
        chosen = wanted if wanted in school_ids else (school_ids[0] if school_ids else None)
        school = db.session.get(School, chosen) if chosen is not None else None
    g.current_school = school
    return school


def current_roles() -> frozenset[str]:
    school = current_school()
    if school is None or not current_user.is_authenticated:
        return frozenset()
    return current_user.roles_at(school.id)


def has_role(*roles: str) -> bool:
    return bool(current_roles() & set(roles))


def roles_required(*roles: str) -> Callable[[F], F]:
    """Deny by default: a view runs only for a signed-in user holding one of these roles.

    A signed-in user without the role gets 403, and the refusal is audited ("access-denied").
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from .extensions import login_manager

                return login_manager.unauthorized()
            if not has_role(*roles):
                from .services import audit

                school = current_school()
                audit.record_denial(403, user_id=current_user.id, school_id=school.id if school else None,
                                    reason="role", extra={"required_roles": sorted(roles)})
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = frozenset(roles)  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator
