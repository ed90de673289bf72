"""The people in a child's life: family and household members, and the professionals involved."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Boolean, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .versioned import Versioned


class FamilyMember(Versioned, db.Model):
    """A parent, carer, sibling, baby at home or anyone else in the child's household or family."""

    __tablename__ = "family_members"

    name: Mapped[str] = mapped_column(String(200))
    relationship_to_child: Mapped[str] = mapped_column("relationship", String(100))
    date_of_birth: Mapped[date | None] = mapped_column(Date, nullable=True)
    # When the date of birth is not known ("about 30"), or an unborn baby's due date.
    approximate_age: Mapped[str] = mapped_column(String(50), default="")
    due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # None where the school does not know.
    lives_with_child: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    parental_responsibility: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    phone: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    # Another child of the same school: the two chronologies link to each other.
    sibling_child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id"), nullable=True)


class Professional(Versioned, db.Model):
    """A GP, health visitor, social worker or other professional working with the child or family."""

    __tablename__ = "professionals"

    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    role_detail: Mapped[str] = mapped_column(String(200), default="")
    agency: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    from_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    to_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
