"""Writing to the audit log: every login, view of a chronology, export, change and denied access.

Reading it back: checking the hash chain (`verify_chain`) and listing events for a subject
access request or an investigation (`events`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator

from flask import has_request_context, request
from sqlalchemy import select

from ..extensions import db
from ..models import AuditEvent, Child, User
from ..models.audit import GENESIS, append_events, canonical_at, chain_fields, event_hash, lock_chain_in


def record(action: str, **fields: Any) -> AuditEvent:
    """Add an audit event to the session; the calling service commits it with its change.

    The fields are those of `values`. The event joins the hash chain when the session flushes
    (see models/audit.py).
    """
    event = AuditEvent(**values(action, **fields))
    db.session.add(event)
    return event


def values(
    action: str,
    *,
    user_id: int | None,
    school_id: int | None,
    object_type: str = "",
    object_id: int | None = None,
    child_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An audit event as column values: for `write`, and what `record` builds its event from."""
    return dict(action=action, user_id=user_id, school_id=school_id, object_type=object_type,
                object_id=object_id, child_id=child_id, ip_address=_client_address(),
                detail=json.dumps(detail, sort_keys=True, default=str) if detail else "")


def write(events: list[dict[str, Any]]) -> None:
    """Write events (from `values`) now, in this order, with one INSERT; the caller commits.

    Events recorded with `record` and not yet flushed are written first, so the chain keeps the
    order in which things were recorded.
    """
    session = db.session()
    if any(isinstance(obj, AuditEvent) for obj in session.new):
        session.flush()
    append_events(session, events)


def lock_chain() -> None:
    """Take the audit chain's lock now, for the rest of this transaction.

    Writing an audit event takes it anyway (at flush); a service that will update rows other
    writers also update takes it first, so every transaction takes the lock before the rows and
    none can wait for another in the opposite order.
    """
    lock_chain_in(db.session())


def record_denial(
    status: int,
    *,
    school_id: int | None,
    user_id: int | None = None,
    object_type: str = "",
    object_id: int | None = None,
    child_id: int | None = None,
    reason: str = "",
    extra: dict[str, Any] | None = None,
) -> None:
    """Record a refused request (403, or a 404 for another school's record) and commit it now.

    The request is about to end in an error page, so nothing else would commit the event.
    Anything else pending in the session is rolled back first: a refused request changes nothing.
    """
    detail: dict[str, Any] = {"status": status}
    if reason:
        detail["reason"] = reason
    detail.update(extra or {})
    if object_id is not None and not -2**31 <= object_id < 2**31:
        # An id typed into a URL can be any size; keep it, but not in an INTEGER column.
        detail["requested_id"] = str(object_id)
        object_id = None
    if has_request_context():
        detail.update(method=request.method, path=request.path, endpoint=request.endpoint or "")
        if user_id is None:
            from flask_login import current_user

            if current_user.is_authenticated:
                user_id = current_user.id
    db.session.rollback()
    record("access-denied", user_id=user_id, school_id=school_id, object_type=object_type,
           object_id=object_id, child_id=child_id, detail=detail)
    db.session.commit()


def _client_address() -> str:
    if not has_request_context():
        return "cli"
    return request.remote_addr or ""


# --- Checking the chain -------------------------------------------------------------------------


@dataclass(frozen=True)
class BadEvent:
    id: int
    action: str
    at: datetime
    problem: str

    def describe(self) -> str:
        return f"event {self.id} ({self.action}, at {canonical_at(self.at)}): {self.problem}"


@dataclass(frozen=True)
class ChainReport:
    count: int
    head: str  # the hash of the last event; note it down to detect later removal of the tail
    first_bad: BadEvent | None
    last_id: int | None = None

    @property
    def intact(self) -> bool:
        return self.first_bad is None


def verify_chain() -> ChainReport:
    """Walk the audit log in id order; report the first event whose hash or link is wrong.

    An altered event no longer matches its hash. A removed event leaves the next one pointing
    at a hash that is not the one before it; reordered events do both. Removal of the newest
    events leaves a shorter chain that is still intact: compare `head` with one noted earlier.
    """
    expected_prev = GENESIS
    count = 0
    last_id = None
    table = AuditEvent.__table__
    # Plain rows, not ORM objects: a copy of an event already in the session must not stand in
    # for what the database holds now. Streamed, so a long log is not held in memory at once.
    stmt = select(table).order_by(table.c.id).execution_options(yield_per=1000)
    with db.session.execute(stmt) as rows:
        for row in rows:
            count += 1
            matches = event_hash(chain_fields(row), row.prev_hash or "") == row.hash
            problem = ""
            if row.prev_hash != expected_prev:
                problem = ("it does not follow the event before it: an event before it was removed, "
                           "or events were reordered or inserted")
                if not matches:
                    problem = "its contents do not match its hash: it was altered, or events were reordered"
            elif not matches:
                problem = "its contents do not match its hash: it was altered"
            if problem:
                return ChainReport(count, expected_prev, BadEvent(row.id, row.action, row.at, problem), last_id)
            expected_prev = row.hash
            last_id = row.id
    return ChainReport(count, expected_prev, None, last_id)


# --- Listing events -----------------------------------------------------------------------------


class UnknownFilter(ValueError):
    pass


def events(*, upn: str | None = None, email: str | None = None,
           since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Events as plain dicts, oldest first, filtered by child (UPN), user (email) and start time."""
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if upn is not None:
        child_ids = list(db.session.scalars(select(Child.id).where(Child.upn == upn.strip().upper())))
        if not child_ids:
            raise UnknownFilter(f"--upn: no child has the UPN {upn!r}.")
        stmt = stmt.where(AuditEvent.child_id.in_(child_ids))
    if email is not None:
        user_id = db.session.scalar(select(User.id).where(User.email == email.strip().lower()))
        if user_id is None:
            raise UnknownFilter(f"--user: no user has the email address {email!r}.")
        stmt = stmt.where(AuditEvent.user_id == user_id)
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    emails: dict[int, str] = {}
    upns: dict[int, str] = {}
    for event in db.session.scalars(stmt):
        if event.user_id is not None and event.user_id not in emails:
            emails[event.user_id] = db.session.get(User, event.user_id).email
        if event.child_id is not None and event.child_id not in upns:
            upns[event.child_id] = db.session.get(Child, event.child_id).upn
        yield {
            "id": event.id,
            "at": canonical_at(event.at),
            "user": emails.get(event.user_id) if event.user_id is not None else None,
            "action": event.action,
            "object_type": event.object_type or None,
            "object_id": event.object_id,
            "child_upn": upns.get(event.child_id) if event.child_id is not None else None,
            "ip_address": event.ip_address,
            "detail": _detail(event.detail),
        }


def _detail(raw: str) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw
