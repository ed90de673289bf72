"""The DSL's decision on an observation, with the reason for it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, event, false, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .observation import RecordIsImmutable
from .types import UTCDateTime, utcnow
from .user import User


class Review(db.Model):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    observation_id: Mapped[int] = mapped_column(ForeignKey("observations.id"), index=True)
    decision: Mapped[str] = mapped_column(String(32))
    # Statutory guidance asks for the reason behind a decision not to refer as much as one to refer.
    reason: Mapped[str] = mapped_column(Text)
    decided_on: Mapped[date] = mapped_column(Date)
    # A decision can itself be a significant event (a multi-agency chronology lists it); the one thing
    # about a review that may change afterwards (migration 0012 refuses any other change).
    significant: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Moved from the school's old system or paper: when it was imported (it keeps its own date).
    imported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    created_by: Mapped[User] = relationship()


_FIXED = ("school_id", "child_id", "observation_id", "decision", "reason", "decided_on", "imported_at",
          "created_at", "created_by_id")


@event.listens_for(Review, "before_update")
def _refuse_review_change(mapper, connection, target) -> None:  # noqa: ANN001
    """A decision stands as it was recorded; a later decision is a new review. Only its significant mark changes."""
    state = inspect(target)
    for name in _FIXED:
        if state.attrs[name].history.has_changes():
            raise RecordIsImmutable(f"a review's {name} is never changed: record a new decision")
