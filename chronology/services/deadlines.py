"""Referrals made by phone that still need their written form: the DSL's home page lists them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..domain.deadlines import confirm_in_writing_by, is_overdue
from ..extensions import db
from ..models import Child, Referral, School
from ..models.types import utcnow
from .clock import UK


@dataclass(frozen=True)
class PhoneReferral:
    referral: Referral
    child: Child
    deadline: datetime
    overdue: bool


def awaiting_written_confirmation(school: School, now: datetime | None = None) -> list[PhoneReferral]:
    """The school's phone referrals not yet confirmed in writing, the nearest deadline first.

    A referral's written form is confirmed when it is exported (exports set confirmed_in_writing_at).
    """
    now = now or utcnow()
    rows = db.session.execute(
        select(Referral, Child).join(Child, Child.id == Referral.child_id)
        .where(Referral.school_id == school.id, Referral.by_phone.is_(True),
               Referral.confirmed_in_writing_at.is_(None), Referral.imported_at.is_(None))
        .options(selectinload(Referral.created_by))
    ).all()
    found = []
    for referral, child in rows:
        deadline = confirm_in_writing_by(referral.referred_on, referral.created_at, UK)
        found.append(PhoneReferral(referral, child, deadline, is_overdue(deadline, now)))
    return sorted(found, key=lambda p: (p.deadline, p.referral.id))
