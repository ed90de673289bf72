"""A form sent twice writes once: the second send finds what the first wrote, through its key."""

from __future__ import annotations

from typing import Callable, TypeVar

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import SubmissionKey, User
from ..models.types import utcnow

Record = TypeVar("Record")


def once(model: type[Record], kind: str, key: str | None, by: User, write: Callable[[], Record],
         same: Callable[[Record], bool] = lambda record: True) -> Record:
    """Run `write` (which records and commits, calling `claim` before its commit); if this key was
    already claimed by this user for this kind of form, give back that record instead.

    The database's unique constraint says when the form was sent before, even by two requests at
    once: nothing is asked first. `same` checks that the earlier record answers the same thing
    (the same concern, the same child); a key carried to another form is not honoured.
    """
    by_id = by.id
    try:
        return write()
    except IntegrityError:
        db.session.rollback()
        earlier = _claimed(model, kind, key, by_id) if key else None
        if earlier is None or not same(earlier):
            raise
        return earlier


def claim(key: str | None, by: User, kind: str, record_id: int) -> None:
    """Write the key beside its record now, in the record's transaction: a second claim of it fails
    here (or waits here for the first to commit, then fails), before anything else is done."""
    if not key:
        return
    db.session.execute(insert(SubmissionKey).values(key=key, user_id=by.id, kind=kind, record_id=record_id,
                                                    created_at=utcnow()))


def earlier(model: type[Record], kind: str, key: str | None, by: User) -> Record | None:
    """The record this user's form already wrote with this key, if any: for a form whose checks would
    refuse a second send before it could write (a period already held needs a reason to change)."""
    return _claimed(model, kind, key, by.id) if key else None


def _claimed(model: type[Record], kind: str, key: str, user_id: int) -> Record | None:
    record_id = db.session.scalar(select(SubmissionKey.record_id).where(
        SubmissionKey.user_id == user_id, SubmissionKey.kind == kind, SubmissionKey.key == key))
    return db.session.get(model, record_id) if record_id is not None else None
