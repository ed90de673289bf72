"""Information a DSL shared with another agency outside a referral: with whom, what, when and how."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .observation import RecordIsImmutable
from .types import UTCDateTime, utcnow
from .user import User


class InformationShared(db.Model):
    """Written once and never changed (the database refuses too, migration 0012); only the DSL's
    significant mark may change, as on an observation."""

    __tablename__ = "information_shared"

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    shared_on: Mapped[date] = mapped_column(Date)
    # Who it was shared with: the person's name (optional) and their agency or organisation.
    with_name: Mapped[str] = mapped_column(String(200), default="")
    with_agency: Mapped[str] = mapped_column(String(200))
    # phone, email, secure-email, meeting, letter (vocabulary.SHARING_METHODS).
    method: Mapped[str] = mapped_column(String(32))
    what: Mapped[str] = mapped_column(Text)
    significant: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    created_by: Mapped[User] = relationship()


# What the database's guards (migration 0012) protect, refused here first.
FIXED = ("school_id", "child_id", "shared_on", "with_name", "with_agency", "method", "what", "created_at",
         "created_by_id")


@event.listens_for(InformationShared, "before_update")
def _refuse_change(mapper, connection, target) -> None:  # noqa: ANN001
    state = inspect(target)
    for name in FIXED:
        if state.attrs[name].history.has_changes():
            raise RecordIsImmutable(f"information shared is never changed ({name}): record it again")


@event.listens_for(InformationShared, "before_delete")
def _refuse_delete(mapper, connection, target) -> None:  # noqa: ANN001
    raise RecordIsImmutable("information shared is never deleted")
