"""Server-side sessions: a fresh one at each sign-in, ended by sign-out, idleness, age or deactivation."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, has_request_context, request
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Membership, User, UserSession
from ..models.types import utcnow

# Writing last_seen_at on every request would make every page view a write; a minute is precise enough.
TOUCH_EVERY = timedelta(seconds=60)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User) -> str:
    """A new session for this user; the token goes in the signed cookie, only its hash is stored."""
    token = secrets.token_urlsafe(32)
    ip = request.remote_addr or "" if has_request_context() else "cli"
    db.session.add(UserSession(token_hash=_hash(token), user_id=user.id, ip_address=ip))
    db.session.commit()
    return token


def _limits() -> tuple[timedelta, timedelta]:
    config = current_app.config
    return (timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
            timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]))


def find_live(token: str | None, user_id: int, now: datetime | None = None) -> UserSession | None:
    """The live session for this token and user, or None once it has ended, idled out or grown too old."""
    if not token:
        return None
    live = db.session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))
    return _still_live(live, user_id, now)


def live_user(token: str | None, user_id: int) -> User | None:
    """The user behind a live session, with their roles and schools, read with the session in one
    query: every request asks for roles and the school acted for."""
    if not token:
        return None
    found = db.session.execute(_LIVE_USER, {"token_hash": _hash(token)}).unique().first()
    if found is None or _still_live(found[0], user_id) is None:
        return None
    return found[1]


# Built once: every request runs it, and building it costs more than running it.
_LIVE_USER = (select(UserSession, User).join(User, User.id == UserSession.user_id)
              .where(UserSession.token_hash == bindparam("token_hash"))
              .options(joinedload(User.memberships).joinedload(Membership.school)))


def _still_live(live: UserSession | None, user_id: int, now: datetime | None = None) -> UserSession | None:
    if live is None or live.user_id != user_id or live.ended_at is not None:
        return None
    now = now or utcnow()
    idle, absolute = _limits()
    if now - live.last_seen_at > idle:
        _end(live, "idle", now)
        return None
    if now - live.created_at > absolute:
        _end(live, "expired", now)
        return None
    if now - live.last_seen_at > TOUCH_EVERY:
        live.last_seen_at = now
        db.session.commit()
    return live


def _end(live: UserSession, why: str, now: datetime) -> None:
    live.ended_at = now
    live.ended_why = why
    db.session.commit()


def end(token: str | None, why: str = "signed-out") -> None:
    if not token:
        return
    live = db.session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))
    if live is not None and live.ended_at is None:
        _end(live, why, utcnow())


def end_all_for(user: User, why: str) -> None:
    """Ends every session of this user; the caller commits with its own change."""
    db.session.execute(
        update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow(), ended_why=why)
    )


def ended_by_time(token: str | None, user_id: int) -> bool:
    """Whether this cookie's session ran out by idleness or age (not signed out, not revoked)."""
    if not token:
        return False
    ended = db.session.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))
    if ended is None or ended.user_id != user_id:
        return False
    if ended.ended_at is None:
        # It may have timed out just now, before anything marked it.
        return find_live(token, user_id) is None and ended.ended_why in ("idle", "expired")
    return ended.ended_why in ("idle", "expired")
