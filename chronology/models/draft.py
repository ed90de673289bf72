"""What a writer had typed when their session ran out, kept until they sign in again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .crypto import EncryptedText
from .types import UTCDateTime, utcnow


class SavedDraft(db.Model):
    __tablename__ = "saved_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The typed form as JSON, encrypted: it may already hold what a child said.
    content: Mapped[str] = mapped_column(EncryptedText())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    restored_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
