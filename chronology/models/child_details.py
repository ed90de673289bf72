"""What a referral asks about a child beyond the roll: details, attendance, and what the family must not see."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .versioned import Versioned


class ChildDetails(Versioned, db.Model):
    """One record per child (record_key "details-<child id>"); every field optional."""

    __tablename__ = "child_details"

    address: Mapped[str] = mapped_column(Text, default="")
    ethnicity: Mapped[str] = mapped_column(String(100), default="")
    religion: Mapped[str] = mapped_column(String(100), default="")
    first_language: Mapped[str] = mapped_column(String(100), default="")
    interpreter_needed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    # The MIS code (SpLD, MLD, ... NSA), or empty.
    sen_primary_need: Mapped[str] = mapped_column(String(8), default="")
    communication_needs: Mapped[str] = mapped_column(Text, default="")
    nhs_number: Mapped[str] = mapped_column(String(10), default="")


class AttendancePeriod(Versioned, db.Model):
    """Attendance for a term or half-term (record_key "attendance-<child id>-<start>-<end>")."""

    __tablename__ = "attendance_periods"

    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    possible_sessions: Mapped[int | None] = mapped_column(Integer, nullable=True)
    attended_sessions: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Given by the MIS, or worked out from the sessions.
    attendance_percent: Mapped[float] = mapped_column(Float)


class WithheldFromFamily(Versioned, db.Model):
    """A DSL's mark that a record must not be shared with the family (record_key "withheld-<type>-<id>")."""

    __tablename__ = "withheld_from_family"

    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int] = mapped_column(Integer)
    # True while the mark stands; a later version with False lifts it. Each version's `reason`
    # says why (on the first, why the family must not see it).
    withheld: Mapped[bool] = mapped_column(Boolean, default=True)
