"""Referrals to other agencies and the life events that shape a child's story."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow
from .user import User


class Referral(db.Model):
    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    observation_id: Mapped[int | None] = mapped_column(ForeignKey("observations.id"), nullable=True)
    agency: Mapped[str] = mapped_column(String(32))
    agency_detail: Mapped[str] = mapped_column(String(200), default="")
    # "" for a referral about the concerns; "young-carers-assessment" asks for that assessment (E17).
    kind: Mapped[str] = mapped_column(String(32), default="", server_default="")
    referred_on: Mapped[date] = mapped_column(Date)
    their_reference: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(32), default="awaiting-response")
    outcome: Mapped[str] = mapped_column(Text, default="")
    outcome_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    follow_up_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    significant: Mapped[bool] = mapped_column(Boolean, default=True)
    # Consent and who knows, as a referral form asks: "yes" / "no" / "" (not answered).
    parents_told: Mapped[str] = mapped_column(String(3), default="", server_default="")
    why_not_told: Mapped[str] = mapped_column(Text, default="", server_default="")
    # "given", "refused", "not-needed" or "" (not answered).
    consent: Mapped[str] = mapped_column(String(16), default="", server_default="")
    consent_by: Mapped[str] = mapped_column(String(200), default="", server_default="")
    consent_covers: Mapped[str] = mapped_column(Text, default="", server_default="")
    consent_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    child_views: Mapped[str] = mapped_column(Text, default="", server_default="")
    level_of_need: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # A referral made by phone must be confirmed in writing within 24 hours: set when the written
    # referral is exported, and the DSL's home page shows the deadline until then.
    by_phone: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    confirmed_in_writing_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Moved from the school's old system or paper: when it was imported (it keeps its own dates).
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    created_by: Mapped[User] = relationship()


class LifeEvent(db.Model):
    __tablename__ = "life_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    occurred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    # In-school support (kind "school-support") runs from occurred_on to ended_on; `support` says
    # which (elsa, mentoring, counselling, school-nurse, other).
    ended_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    support: Mapped[str] = mapped_column(String(32), default="", server_default="")
    significant: Mapped[bool] = mapped_column(Boolean, default=True)
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    created_by: Mapped[User] = relationship()
