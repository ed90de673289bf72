"""Staff accounts and the roles they hold at each school."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .crypto import EncryptedText
from .school import School
from .types import UTCDateTime, utcnow


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Failed sign-ins in a row, and until when the account waits before the next try.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Second factor (TOTP): the secret is encrypted at rest; the last accepted time step is kept
    # so that one code can never be used twice.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedText(), nullable=True)
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Set when an administrator chose the first password: the person must choose their own.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # The contact a referral prints for its referrer; the secure email defaults to the sign-in address.
    job_title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    phone: Mapped[str] = mapped_column(String(50), default="", server_default="")
    secure_email: Mapped[str] = mapped_column(String(254), default="", server_default="")

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Membership.id"
    )

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive users
        return self.active

    @property
    def needs_second_factor(self) -> bool:
        """DSLs and administrators reach children's records or accounts, so they need a second factor."""
        return any(m.role in ("dsl", "admin") for m in self.memberships)

    def roles_at(self, school_id: int) -> frozenset[str]:
        return frozenset(m.role for m in self.memberships if m.school_id == school_id)

    def school_ids(self) -> list[int]:
        seen: list[int] = []
        for m in self.memberships:
            if m.school_id not in seen:
                seen.append(m.school_id)
        return seen


class Membership(db.Model):
    """A role held at a school; a DSL may be granted more than one school."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "school_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    school: Mapped[School] = relationship()


class RecoveryCode(db.Model):
    """A single-use code for when the authenticator is lost; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
