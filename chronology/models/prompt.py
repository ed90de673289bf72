"""Pattern prompts as stored for the DSL, and each school's settings for the rules.

A stored prompt is one rule for one child (unique per child and rule): when the rule keeps
firing, the same row is updated with its new evidence rather than a new prompt being added.
`status` is what the DSL did with it; `firing` is whether the rule still fired at the last
evaluation. A prompt is "open" (in front of the DSL) while it fires and the DSL has neither
actioned nor dismissed it.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .child import Child
from .referral import Referral
from .review import Review
from .types import UTCDateTime, utcnow
from .user import User

PROMPT_STATUSES: tuple[str, ...] = ("open", "acknowledged", "actioned", "dismissed")
# Statuses that still need the DSL: acknowledged means "seen", not "dealt with".
OPEN_STATUSES: frozenset[str] = frozenset({"open", "acknowledged"})
# The DSL's answers: such a prompt comes back only when evidence it had not seen arrives.
ANSWERED_STATUSES: frozenset[str] = frozenset({"actioned", "dismissed"})


def split_refs(text: str) -> list[str]:
    return [ref for ref in text.split() if ref]


def join_refs(refs) -> str:  # noqa: ANN001 (any iterable of ref strings)
    return " ".join(refs)


class Prompt(db.Model):
    __tablename__ = "prompts"
    __table_args__ = (
        UniqueConstraint("child_id", "rule"),
        Index("ix_prompts_school_status", "school_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id"))
    rule: Mapped[str] = mapped_column(String(8))  # "E1" .. "E19"
    title: Mapped[str] = mapped_column(String(300))
    explanation: Mapped[str] = mapped_column(Text)
    # Record refs such as "observation:12", space-separated, in the rule's order.
    evidence: Mapped[str] = mapped_column(Text, default="")
    # Every ref this prompt has ever shown: a dismissed prompt returns only on one not in here.
    seen_evidence: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    firing: Mapped[bool] = mapped_column(Boolean, default=True)
    raised_on: Mapped[date] = mapped_column(Date)  # the "as of" day it was raised (or raised again)
    evaluated_on: Mapped[date] = mapped_column(Date)  # the "as of" day of the last evaluation
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actioned_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    actioned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("reviews.id"), nullable=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), nullable=True)
    dismissed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    dismissed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    dismissed_reason: Mapped[str] = mapped_column(Text, default="")

    child: Mapped[Child] = relationship()
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])
    actioned_by: Mapped[User | None] = relationship(foreign_keys=[actioned_by_id])
    dismissed_by: Mapped[User | None] = relationship(foreign_keys=[dismissed_by_id])
    review: Mapped[Review | None] = relationship()
    referral: Mapped[Referral | None] = relationship()

    @property
    def evidence_refs(self) -> list[str]:
        return split_refs(self.evidence)

    @property
    def seen_refs(self) -> set[str]:
        return set(split_refs(self.seen_evidence))

    @property
    def is_open(self) -> bool:
        return self.firing and self.status in OPEN_STATUSES


class PromptSetting(db.Model):
    """A school's choices for one rule: on or off, and any thresholds changed from the defaults."""

    __tablename__ = "prompt_settings"
    __table_args__ = (UniqueConstraint("school_id", "rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    rule: Mapped[str] = mapped_column(String(8))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # JSON object of setting name to whole number, only the values that differ from the defaults.
    overrides: Mapped[str] = mapped_column(Text, default="{}")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    def override_values(self) -> dict[str, int]:
        try:
            values = json.loads(self.overrides or "{}")
        except ValueError:
            return {}
        return values if isinstance(values, dict) else {}
