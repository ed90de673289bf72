"""Observations: one concern about a child, kept as append-only versions."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    Boolean, Date, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint, event, inspect, select, text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.orm.base import NO_VALUE

from ..extensions import db
from .child import Child
from .types import UTCDateTime, utcnow
from .user import User


class RecordIsImmutable(Exception):
    """Raised when code tries to change or delete what was written about a child."""


# The DSL's queue: logged concerns no review has answered yet. A partial index holds only those
# few rows, so the queue is read from it rather than by checking every concern for a review.
QUEUED = "reviewed_at IS NULL AND origin = 'logged'"


class Observation(db.Model):
    """The stable identity of one concern; what it says lives in its versions."""

    __tablename__ = "observations"
    __table_args__ = (
        Index("ix_observations_school_child", "school_id", "child_id"),
        Index("ix_observations_queue", "school_id", "urgent", "created_at", "id",
              sqlite_where=text(QUEUED), postgresql_where=text(QUEUED)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # How it reached us: typed in by staff, or moved from paper or another system.
    origin: Mapped[str] = mapped_column(String(16), default="logged")
    # The form's one-time key: a second press of Send, or the back button, finds this and adds nothing.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True, index=True, nullable=True)
    # The one thing a DSL may change on the head: whether it is a significant event.
    significant: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the first review of this concern was recorded: set once, in the same transaction as that
    # review, and never cleared or changed (the database refuses too). NULL means it still queues.
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, active_history=True)

    child: Mapped[Child] = relationship()
    created_by: Mapped[User] = relationship()
    versions: Mapped[list[ObservationVersion]] = relationship(
        back_populates="observation", order_by="ObservationVersion.number"
    )

    @property
    def current(self) -> ObservationVersion:
        return self.versions[-1]

    @property
    def first(self) -> ObservationVersion:
        return self.versions[0]


class ObservationVersion(db.Model):
    """What was written, exactly as written; a correction adds a new version."""

    __tablename__ = "observation_versions"
    __table_args__ = (
        UniqueConstraint("observation_id", "number"),
        # A child's concerns by the day they happened, without going through every observation.
        Index("ix_observation_versions_child_day", "child_id", "occurred_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    observation_id: Mapped[int] = mapped_column(ForeignKey("observations.id"), index=True)
    # The observation's child, copied so a child's versions can be read by date; it cannot drift,
    # since an observation's child never changes. Filled in from the observation when saved.
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"))
    number: Mapped[int] = mapped_column(Integer)
    occurred_on: Mapped[date] = mapped_column(Date)
    occurred_time: Mapped[time | None] = mapped_column(Time, nullable=True)
    occurred_approx: Mapped[bool] = mapped_column(Boolean, default=False)
    location: Mapped[str] = mapped_column(String(200), default="")
    categories_text: Mapped[str] = mapped_column("categories", String(1000))
    source: Mapped[str] = mapped_column(String(32))
    first_hand: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(Text)
    child_voice: Mapped[str] = mapped_column(Text, default="")
    action_taken: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Why this version replaced the one before; empty on the first version.
    reason: Mapped[str] = mapped_column(Text, default="")

    observation: Mapped[Observation] = relationship(back_populates="versions")
    recorded_by: Mapped[User] = relationship()

    @property
    def categories(self) -> list[str]:
        return [c for c in self.categories_text.split(";") if c]

    @staticmethod
    def join_categories(slugs: list[str]) -> str:
        return ";".join(dict.fromkeys(slugs))


@event.listens_for(ObservationVersion, "before_insert")
def _copy_the_child(mapper, connection, target) -> None:  # noqa: ANN001
    """A version is about its observation's child, whatever the caller passed."""
    observation = inspect(target).attrs.observation.loaded_value
    if observation is NO_VALUE or observation is None or observation.child_id is None:
        child_id = connection.scalar(select(Observation.child_id).where(Observation.id == target.observation_id))
    else:
        child_id = observation.child_id
    if target.child_id is not None and target.child_id != child_id:
        raise RecordIsImmutable("a version belongs to its observation's child")
    target.child_id = child_id


@event.listens_for(ObservationVersion, "before_update")
def _refuse_version_update(mapper, connection, target) -> None:  # noqa: ANN001
    raise RecordIsImmutable("an observation version is never changed: add a new version")


@event.listens_for(ObservationVersion, "before_delete")
def _refuse_version_delete(mapper, connection, target) -> None:  # noqa: ANN001
    raise RecordIsImmutable("an observation version is never deleted")


# What the database's own guards (migrations 0001 and 0008) protect on the head, refused here first.
_FIXED_ON_THE_HEAD = ("school_id", "child_id", "created_by_id", "created_at", "urgent", "origin")


@event.listens_for(Observation, "before_update")
def _refuse_observation_change(mapper, connection, target) -> None:  # noqa: ANN001
    """On the head only the significant mark may change, and the review time may be set once."""
    state = inspect(target)
    for name in _FIXED_ON_THE_HEAD:
        if state.attrs[name].history.has_changes():
            raise RecordIsImmutable(f"an observation's {name} is never changed")
    reviewed = state.attrs.reviewed_at.history  # the old value is loaded first (active_history)
    if reviewed.has_changes() and (any(old is not None for old in reviewed.deleted)
                                   or not reviewed.added or reviewed.added[0] is None):
        raise RecordIsImmutable("an observation's review time is set once, never cleared or changed")


@event.listens_for(Observation, "before_delete")
def _refuse_observation_delete(mapper, connection, target) -> None:  # noqa: ANN001
    raise RecordIsImmutable("an observation is never deleted")
