"""A form's one-time key, kept beside the record the form wrote, so a second send finds the first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .observation import RecordIsImmutable
from .types import UTCDateTime, utcnow


class SubmissionKey(db.Model):
    """Written in the same transaction as its record; the unique constraint is what refuses a second
    copy when two sends of one form arrive at once (a read first could not: both would find nothing)."""

    __tablename__ = "submission_keys"
    # A key means something only to the user whose form carried it, and only for that kind of form.
    __table_args__ = (UniqueConstraint("user_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # What the form wrote: "review", "referral", "life-event", "information-shared"...
    kind: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


@event.listens_for(SubmissionKey, "before_update")
def _refuse_key_change(mapper, connection, target) -> None:  # noqa: ANN001
    """A key points at the record its form wrote, for ever: pointing it elsewhere would hand that record out."""
    raise RecordIsImmutable("a submission key is never changed")
