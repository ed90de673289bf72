"""Writing to the audit log: every login, view of a chronology, export, change and denied access.

Reading it back: checking the hash chain (`verify_chain`) and listing events for a subject
access request or an investigation (`events`).
"""

from __future__ import annotations

import json
import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator

from flask import has_request_context, request
from sqlalchemy import select

from ..extensions import db
from ..models import AuditEvent, Child, School, User
from ..models.audit import (GENESIS, SYSTEM_CHAIN, append_events, canonical_at, chain_fields, chain_of, derived_key,
                            event_hash, key_id, lock_chain_in)
from ..models.types import utcnow


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


def lock_chain(school_id: int | None) -> None:
    """Take the school's audit chain lock now, for the rest of this transaction.

    Writing an audit event takes it anyway (at flush); a service that will update rows other
    writers also update takes it first, so every transaction takes the lock before the rows and
    none can wait for another in the opposite order. Each school has its own: one school's
    writers never wait for another's.
    """
    lock_chain_in(db.session(), chain_of(school_id))


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


# --- Checking the chains ------------------------------------------------------------------------


@dataclass(frozen=True)
class BadEvent:
    id: int
    action: str
    at: datetime
    problem: str

    def describe(self) -> str:
        return f"event {self.id} ({self.action}, at {canonical_at(self.at)}): {self.problem}"


# Enough to see what happened; a chain re-sealed wholesale would otherwise list every event.
PROBLEMS_SHOWN = 20


@dataclass
class ChainReport:
    """One chain, walked in order: how many events, its head, and what was wrong."""

    chain: int
    name: str
    count: int = 0
    head: str = GENESIS  # the hash of the last event
    last_id: int | None = None
    last_seq: int = 0
    last_at: datetime | None = None
    problems: list[BadEvent] = field(default_factory=list)
    more_problems: int = 0

    @property
    def intact(self) -> bool:
        return not self.problems

    def note(self, bad: BadEvent) -> None:
        if len(self.problems) < PROBLEMS_SHOWN:
            self.problems.append(bad)
        else:
            self.more_problems += 1


@dataclass(frozen=True)
class AuditReport:
    chains: list[ChainReport]
    key_id: str

    @property
    def intact(self) -> bool:
        return all(chain.intact for chain in self.chains)

    @property
    def count(self) -> int:
        return sum(chain.count for chain in self.chains)

    @property
    def first_bad(self) -> BadEvent | None:
        for chain in self.chains:
            if chain.problems:
                return chain.problems[0]
        return None

    def chain(self, chain: int) -> ChainReport | None:
        return next((c for c in self.chains if c.chain == chain), None)


def chain_names() -> dict[int, str]:
    names = {SYSTEM_CHAIN: "Events about no school"}
    for school_id, name, urn in db.session.execute(select(School.id, School.name, School.urn)):
        names[school_id] = f"{name} (URN {urn})"
    return names


def verify_chain() -> AuditReport:
    """Walk each school's chain in order; report every event that is wrong, and how.

    An altered event, or one sealed without the audit key, no longer matches its hash. A removed
    event leaves a gap in the chain's numbers; reordered or inserted events do not follow the one
    before them; an event earlier than the one before it is out of time order. After a problem
    the walk carries on from that event, so one removal is reported once, not for every event
    after it. Removal of a chain's newest events leaves a shorter chain that is still intact:
    `verify_checkpoint` against a checkpoint kept outside the database catches that.
    """
    key = derived_key("chain")
    names = chain_names()
    reports: list[ChainReport] = []
    report: ChainReport | None = None
    table = AuditEvent.__table__
    # Plain rows, not ORM objects: a copy of an event already in the session must not stand in
    # for what the database holds now. Streamed, so a long log is not held in memory at once.
    stmt = select(table).order_by(table.c.chain, table.c.seq).execution_options(yield_per=1000)
    with db.session.execute(stmt) as rows:
        for row in rows:
            if report is None or row.chain != report.chain:
                report = ChainReport(row.chain, names.get(row.chain, f"A school no longer here (chain {row.chain})"))
                reports.append(report)
            _check(report, row, key)
    walked = {r.chain for r in reports}
    reports.extend(ChainReport(chain, name) for chain, name in names.items()
                   if chain != SYSTEM_CHAIN and chain not in walked)
    reports.sort(key=lambda r: (r.chain == SYSTEM_CHAIN, r.name))
    return AuditReport(reports, key_id())


def _check(report: ChainReport, row, key: bytes) -> None:  # noqa: ANN001 (a result row)
    report.count += 1
    problem = ""
    if row.seq != report.last_seq + 1:
        first, last = report.last_seq + 1, row.seq - 1
        missing = f"event {first} of this chain is" if first == last else f"events {first} to {last} of this chain are"
        problem = f"{missing} missing before it: removed from the database"
    elif row.prev_hash != report.head:
        problem = ("it does not follow the event before it: an event before it was removed, "
                   "or events were reordered or inserted")
    if event_hash(chain_fields(row), row.prev_hash or "", key) != row.hash:
        altered = ("its contents do not match its hash: it was altered, or sealed without this "
                   "installation's audit key")
        problem = f"{problem}; and {altered}" if problem else altered
    if report.last_at is not None and row.at < report.last_at:
        earlier = "it is earlier than the event before it: events out of time order"
        problem = f"{problem}; and {earlier}" if problem else earlier
    if problem:
        report.note(BadEvent(row.id, row.action, row.at, problem))
    report.head, report.last_id, report.last_seq, report.last_at = row.hash, row.id, row.seq, row.at


# --- Checkpoints: each chain's head, kept outside the database ----------------------------------

CHECKPOINT_KIND = "chronology-audit-checkpoint"


class BadCheckpoint(ValueError):
    """The checkpoint file cannot be read, or was not made with this installation's audit key."""


def checkpoint(now: datetime | None = None) -> dict[str, Any]:
    """Each chain's head (id, place, hash, time), signed with the audit key.

    Kept where the database's users cannot reach it (printed, or mailed to the head teacher), it
    proves later that nothing in a chain up to its head was removed or changed: the chain's later
    events each name the one before, back to the head noted here.
    """
    report = verify_chain()
    body = {
        "kind": CHECKPOINT_KIND, "version": 1, "made_at": canonical_at(now or utcnow()), "key_id": report.key_id,
        "chains": [{"chain": c.chain, "name": c.name, "events": c.count, "seq": c.last_seq, "id": c.last_id,
                    "hash": c.head, "at": canonical_at(c.last_at) if c.last_at else None,
                    "intact": c.intact} for c in report.chains if c.count],
    }
    return {**body, "signature": _sign(body)}


def _sign(body: dict[str, Any]) -> str:
    payload = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(derived_key("checkpoint"), payload.encode("ascii"), hashlib.sha256).hexdigest()


def read_checkpoint(content: str) -> dict[str, Any]:
    try:
        data = json.loads(content)
    except ValueError:
        raise BadCheckpoint("The checkpoint file is not JSON: it is not a file `audit-checkpoint` wrote.") from None
    if not isinstance(data, dict) or data.get("kind") != CHECKPOINT_KIND or not isinstance(data.get("chains"), list):
        raise BadCheckpoint("The file is not an audit checkpoint: it is not a file `audit-checkpoint` wrote.")
    body = {k: v for k, v in data.items() if k != "signature"}
    if not hmac.compare_digest(str(data.get("signature", "")), _sign(body)):
        if data.get("key_id") != key_id():
            raise BadCheckpoint(
                f"The checkpoint was signed with another audit key (key id {data.get('key_id')}, this installation's "
                f"is {key_id()}): restore the audit key it was made under, then check again.")
        raise BadCheckpoint("The checkpoint's signature does not match its contents: the file was changed "
                            "after it was made.")
    return data


def verify_checkpoint(data: dict[str, Any]) -> list[str]:
    """What no longer stands of a checkpoint's heads: each one must still be in its chain, unchanged."""
    table = AuditEvent.__table__
    problems: list[str] = []
    for noted in data["chains"]:
        if not isinstance(noted, dict) or not noted.get("seq"):
            continue
        row = db.session.execute(select(table.c.id, table.c.hash)
                                 .where(table.c.chain == noted["chain"], table.c.seq == noted["seq"])).first()
        where = f"{noted.get('name', 'chain ' + str(noted['chain']))}: event {noted['id']}, number {noted['seq']} in its chain"
        if row is None:
            problems.append(f"{where}, noted in the checkpoint of {data.get('made_at')}, is no longer there: "
                            "events up to it were removed.")
        elif row.id != noted["id"] or row.hash != noted["hash"]:
            problems.append(f"{where}, noted in the checkpoint of {data.get('made_at')}, has changed: "
                            "events up to it were altered or the chain re-sealed.")
    return problems


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
