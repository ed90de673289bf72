"""Organisations (trusts, local authorities) and the schools in them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow

DEFAULT_NEED_LEVELS = ("Level 1", "Level 2", "Level 3", "Level 4")


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    schools: Mapped[list[School]] = relationship(back_populates="organisation")


class School(db.Model):
    __tablename__ = "schools"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # The URN is the Department for Education's unique reference number for a school.
    urn: Mapped[str] = mapped_column(String(8), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Changes, to a new random value, whenever the school's prompt rule settings are saved; empty
    # while it has never changed one. Lets a server process keep the settings it has read.
    rules_version: Mapped[str] = mapped_column(String(32), default="", server_default="")
    # The names of the local threshold document's levels of need, one per line; empty means
    # DEFAULT_NEED_LEVELS.
    need_levels: Mapped[str] = mapped_column(Text, default="", server_default="")

    @property
    def need_level_names(self) -> list[str]:
        names = [line.strip() for line in self.need_levels.splitlines() if line.strip()]
        return names or list(DEFAULT_NEED_LEVELS)

    organisation: Mapped[Organisation] = relationship(back_populates="schools")
