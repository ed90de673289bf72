"""Records kept as append-only versions in one table: a change adds a row, nothing is rewritten."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from .observation import RecordIsImmutable
from .types import UTCDateTime, utcnow
from .user import User


class Versioned:
    """One row per version of a record about a child; `record_key` ties a record's versions together.

    The newest version is the record as it stands. Taking a record off the child's page is a
    version too (`removed`), so nothing is ever deleted, and every version says who made it,
    when and why. The database refuses UPDATE and DELETE of these rows (migration 0011).
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    # A random key for a record typed in; a key made from what identifies it for a record
    # that has one by nature (a child's details, an attendance period).
    record_key: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    # Why this version replaced the one before; empty on the first.
    reason: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # "" when typed in on the child's page; "import" when it came from the school's MIS export.
    source: Mapped[str] = mapped_column(String(32), default="")

    @declared_attr
    def school_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("schools.id"))

    @declared_attr
    def child_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("children.id"))

    @declared_attr
    def recorded_by_id(cls) -> Mapped[int | None]:
        # An import run from the command line has no person behind it.
        return mapped_column(ForeignKey("users.id"), nullable=True)

    @declared_attr
    def recorded_by(cls) -> Mapped[User | None]:
        return relationship(User)

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        return (UniqueConstraint("record_key", "number"),
                Index(f"ix_{cls.__tablename__}_child_id", "child_id"))


@event.listens_for(Versioned, "before_update", propagate=True)
def _refuse_update(mapper, connection, target) -> None:  # noqa: ANN001
    raise RecordIsImmutable(f"a version in {mapper.local_table.name} is never changed: add a new version")


@event.listens_for(Versioned, "before_delete", propagate=True)
def _refuse_delete(mapper, connection, target) -> None:  # noqa: ANN001
    raise RecordIsImmutable(f"a version in {mapper.local_table.name} is never deleted")
