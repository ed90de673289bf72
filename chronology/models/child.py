"""A child on the school roll, as imported from the school's MIS."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.names import display_name as shown_name, search_key as fold_name
from ..extensions import db
from .types import UTCDateTime, utcnow

# Flags that change how a concern is read; the CSV column names match these attributes.
CONTEXT_FLAGS: tuple[tuple[str, str], ...] = (
    ("send", "Special educational needs or communication needs"),
    ("disability", "Disability"),
    ("eal", "English as an additional language"),
    ("looked_after", "Looked after by the local authority"),
    ("child_in_need", "Child in need"),
    ("early_help_plan", "Early help plan"),
    ("young_carer", "Young carer"),
)


class Child(db.Model):
    __tablename__ = "children"
    __table_args__ = (UniqueConstraint("school_id", "upn"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    upn: Mapped[str] = mapped_column(String(13))
    legal_forename: Mapped[str] = mapped_column(String(100))
    preferred_forename: Mapped[str | None] = mapped_column(String(100), nullable=True)
    legal_surname: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(20))
    year_group: Mapped[str] = mapped_column(String(20))
    send: Mapped[bool] = mapped_column(Boolean, default=False)
    disability: Mapped[bool] = mapped_column(Boolean, default=False)
    eal: Mapped[bool] = mapped_column(Boolean, default=False)
    looked_after: Mapped[bool] = mapped_column(Boolean, default=False)
    child_in_need: Mapped[bool] = mapped_column(Boolean, default=False)
    early_help_plan: Mapped[bool] = mapped_column(Boolean, default=False)
    young_carer: Mapped[bool] = mapped_column(Boolean, default=False)
    # none, current or past: a past plan still changes how a new worry is read.
    cp_plan: Mapped[str] = mapped_column(String(10), default="none")
    # Folded names (see domain.names.search_key) so a search ignores accents and case.
    search_key: Mapped[str] = mapped_column(String(400), default="")
    joined_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    left_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def refresh_search_key(self) -> None:
        self.search_key = fold_name(
            self.legal_forename, self.preferred_forename, self.legal_surname
        )

    @property
    def display_name(self) -> str:
        return shown_name(self.legal_forename, self.preferred_forename, self.legal_surname)

    @property
    def full_legal_name(self) -> str:
        return f"{self.legal_forename} {self.legal_surname}"

    def flags(self) -> list[str]:
        """Labels of the context flags that are set, for display."""
        labels = [label for attr, label in CONTEXT_FLAGS if getattr(self, attr)]
        if self.cp_plan == "current":
            labels.append("Child protection plan (current)")
        elif self.cp_plan == "past":
            labels.append("Child protection plan (past)")
        return labels
