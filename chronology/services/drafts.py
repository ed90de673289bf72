"""Keeping what someone typed when their session ran out, and giving it back after they sign in."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import SavedDraft, User
from ..models.types import utcnow
from . import audit

KEEP_FOR = timedelta(days=1)


def keep(user_id: int, values: dict[str, object]) -> None:
    db.session.add(SavedDraft(user_id=user_id, content=json.dumps(values)))
    audit.record("draft.kept", user_id=user_id, school_id=None)
    db.session.commit()


def take_back(user: User) -> dict[str, object] | None:
    """The newest unsent draft of this person from the last day, handed back once."""
    draft = db.session.scalar(
        select(SavedDraft)
        .where(SavedDraft.user_id == user.id, SavedDraft.restored_at.is_(None),
               SavedDraft.created_at > utcnow() - KEEP_FOR)
        .order_by(SavedDraft.created_at.desc(), SavedDraft.id.desc())
    )
    if draft is None:
        return None
    draft.restored_at = utcnow()
    db.session.commit()
    return json.loads(draft.content)
