"""The second factor for DSLs and administrators: TOTP, and single-use recovery codes."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

import pyotp
import segno
from flask import current_app
from sqlalchemy import func, or_, select, update

from ..extensions import db
from ..models import AuditEvent, RecoveryCode, User
from ..models.types import utcnow
from . import ServiceError, audit
from .passwords import hash_password, verify_password

ISSUER = "Chronology"
RECOVERY_CODES = 10
STEP_SECONDS = 30


def new_secret() -> str:
    """A candidate secret for one enrolment attempt; it is stored only once a code from it is given."""
    return pyotp.random_base32()


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code drawn here, as SVG markup: the secret never goes to a third-party QR service."""
    return segno.make(uri, error="m").svg_inline(scale=5, title="QR code for your authenticator app")


def _accept_totp(user: User, code: str, secret: str | None = None) -> bool:
    """A current code (one step either side for clock drift) that has not been used before."""
    code = "".join(code.split())
    secret = secret or user.totp_secret
    if not (code.isdigit() and len(code) == 6) or not secret:
        return False
    totp = pyotp.TOTP(secret)
    now_step = int(time.time()) // STEP_SECONDS
    for step in (now_step - 1, now_step, now_step + 1):
        if secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            # One conditional write, so two requests racing with the same code cannot both pass.
            taken = db.session.execute(
                update(User).where(User.id == user.id,
                                   or_(User.totp_last_step.is_(None), User.totp_last_step < step))
                .values(totp_last_step=step)
            ).rowcount
            db.session.refresh(user)
            return taken == 1
    return False


def confirm_enrolment(user: User, secret: str, code: str) -> list[str]:
    """Checks the first code and returns ten recovery codes, shown once and stored only as hashes."""
    if user.totp_enrolled_at is not None:
        raise ServiceError("This account already has an authenticator.")
    if not _accept_totp(user, code, secret):
        raise ServiceError("That code is not right. Enter the 6-digit code your app shows now.", field="code")
    user.totp_secret = secret
    user.totp_enrolled_at = utcnow()
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    for recovery in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=hash_password(recovery)))
    audit.record("second-factor.enrolled", user_id=user.id, school_id=None, object_type="user", object_id=user.id)
    db.session.commit()
    return codes


def verify(user: User, code: str) -> str | None:
    """How the second factor was given ('totp' or 'recovery-code'), or None when it was not."""
    if user.totp_enrolled_at is None or is_locked(user):
        return None
    if _accept_totp(user, code):
        db.session.commit()
        return "totp"
    cleaned = code.strip().lower()
    if len(cleaned) == 13 and cleaned[6] == "-":
        unused = db.session.scalars(
            select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        ).all()
        for recovery in unused:
            if verify_password(recovery.code_hash, cleaned):
                recovery.used_at = utcnow()
                audit.record("recovery-code.used", user_id=user.id, school_id=None, object_type="user",
                             object_id=user.id, detail={"left": len(unused) - 1})
                db.session.commit()
                return "recovery-code"
    # Wrong codes are counted on their own, from the audit log since the person last signed in
    # in full: giving the right password again resets the password's count, never this one, so
    # password, four wrong codes, password, four wrong codes... locks as surely as nine in a row.
    now = utcnow()
    wrong = _wrong_codes_since_last_sign_in(user) + 1
    over = wrong - current_app.config["LOGIN_LOCK_AFTER"]
    if over >= 0:
        user.locked_until = now + timedelta(minutes=min(60, 2 ** over))
    audit.record("second-factor-failed", user_id=user.id, school_id=None, detail={"wrong_codes": wrong})
    db.session.commit()
    return None


def _wrong_codes_since_last_sign_in(user: User) -> int:
    last_sign_in = (select(func.coalesce(func.max(AuditEvent.id), 0))
                    .where(AuditEvent.user_id == user.id, AuditEvent.action == "login").scalar_subquery())
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.user_id == user.id, AuditEvent.action == "second-factor-failed", AuditEvent.id > last_sign_in)) or 0


def is_locked(user: User) -> bool:
    return user.locked_until is not None and user.locked_until > utcnow()
