"""The audit log: who did what to which record, when, from where. Append-only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .observation import RecordIsImmutable
from .types import UTCDateTime, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_child_at", "child_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), nullable=True)
    # e.g. "login", "login-failed", "chronology.view", "observation.create"
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32), default="")
    object_id: Mapped[int | None] = mapped_column(nullable=True)
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id"), nullable=True)
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(Text, default="")


@event.listens_for(AuditEvent, "before_update")
def _refuse_audit_update(mapper, connection, target) -> None:  # noqa: ANN001
    raise RecordIsImmutable("audit events are never changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_audit_delete(mapper, connection, target) -> None:  # noqa: ANN001
    raise RecordIsImmutable("audit events are never deleted")
