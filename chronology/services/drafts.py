"""Keeping what someone typed when their session ran out, and giving it back after they sign in."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update

from ..extensions import db
from ..models import SavedDraft, User
from ..models.types import utcnow
from . import audit, sessions

KEEP_FOR = timedelta(days=1)


MAX_DRAFT = 100_000  # characters: several long accounts, far more than the form's own limits allow to send


def keep(user_id: int, token: str | None, values: dict[str, object]) -> bool:
    """Keep the words only for the person whose session ran out while they wrote, and only the newest."""
    user = db.session.get(User, user_id)
    if user is None or not user.active or not sessions.ended_by_time(token, user_id):
        return False
    content = json.dumps(values)
    if len(content) > MAX_DRAFT:
        return False
    sent(user)  # one waiting draft per person: the newest words replace older ones
    db.session.add(SavedDraft(user_id=user_id, content=content))
    audit.record("draft.kept", user_id=user_id, school_id=None)
    db.session.commit()
    return True


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
    """The concern has been written, so the drafts that led to it are done with. The caller
    commits, with the concern itself."""
    drafts = SavedDraft.__table__
    # A plain UPDATE on the table: no draft is loaded in this session to keep in step, and the
    # ORM's bulk-update path costs a millisecond on every concern sent.
    db.session.execute(
        update(drafts).where(drafts.c.user_id == user.id, drafts.c.restored_at.is_(None))
        .values(restored_at=utcnow())
    )
