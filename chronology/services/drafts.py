"""Keeping what someone typed when their session ran out, and giving it back after they sign in."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update

from ..extensions import db
from ..models import SavedDraft, User
from ..models.types import utcnow
from . import audit

KEEP_FOR = timedelta(days=1)


def keep(user_id: int, values: dict[str, object]) -> None:
    db.session.add(SavedDraft(user_id=user_id, content=json.dumps(values)))
    audit.record("draft.kept", user_id=user_id, school_id=None)
    db.session.commit()


def waiting_for(user: User) -> dict[str, object] | None:
    """The newest unsent draft of this person from the last day. Reading it changes nothing:
    it stays until they send the concern, so closing the tab again loses nothing either."""
    draft = db.session.scalar(
        select(SavedDraft)
        .where(SavedDraft.user_id == user.id, SavedDraft.restored_at.is_(None),
               SavedDraft.created_at > utcnow() - KEEP_FOR)
        .order_by(SavedDraft.created_at.desc(), SavedDraft.id.desc())
    )
    return json.loads(draft.content) if draft is not None else None


def sent(user: User) -> None:
    """The concern has been written, so the drafts that led to it are done with."""
    db.session.execute(
        update(SavedDraft).where(SavedDraft.user_id == user.id, SavedDraft.restored_at.is_(None))
        .values(restored_at=utcnow())
    )
    db.session.commit()
