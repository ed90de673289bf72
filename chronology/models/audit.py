"""The audit log: who did what to which record, when, from where. Append-only and hash-chained.

Each event carries `prev_hash` (the `hash` of the event before it, by id; GENESIS for the
first) and `hash`, the SHA-256 of a canonical serialisation of its own fields and prev_hash.
Altering, removing or reordering any event breaks the chain from that point on, which
`flask --app chronology audit-verify` reports.

The chain is extended at flush time (`_chain_new_events`, a before_flush hook), so services
only call `services.audit.record(...)` and commit as before. Two transactions appending at
once must not both read the same last hash (a fork):

* PostgreSQL: the hook takes a transaction-level advisory lock (pg_advisory_xact_lock) before
  reading the last event, held until commit or rollback, so appenders queue one behind another;
  the event's id comes from the table's sequence inside that lock, so id order is chain order.
* SQLite: the hook makes the transaction take SQLite's single write lock (BEGIN IMMEDIATE)
  before reading the last event, if no earlier write in the transaction already holds it.

Whatever happens, the unique index on prev_hash means the database itself refuses a second
event after the same predecessor: a fork is an error, never a silent branch.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, bindparam, event, func, inspect, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db
from .observation import RecordIsImmutable
from .types import UTCDateTime, utcnow

GENESIS = "0" * 64
# An arbitrary constant naming "the audit chain" among PostgreSQL advisory locks.
CHAIN_LOCK_KEY = 0x4348524F4E41  # "CHRONA"


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_child_at", "child_id", "at"),
        # At most one event follows any event: a forked chain is refused by the database.
        Index("ix_audit_events_prev_hash", "prev_hash", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id"), nullable=True)
    # e.g. "login", "login-failed", "chronology.view", "observation.create"
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32), default="")
    object_id: Mapped[int | None] = mapped_column(nullable=True)
    child_id: Mapped[int | None] = mapped_column(ForeignKey("children.id"), nullable=True)
    ip_address: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def computed_hash(self) -> str:
        return event_hash(chain_fields(self), self.prev_hash)


# --- The hash ---------------------------------------------------------------------------------

# The fields covered by the hash, in this order. Changing this list or the serialisation
# below invalidates every existing chain: don't, without a migration that re-chains.
HASHED_FIELDS = ("id", "at", "user_id", "school_id", "action", "object_type", "object_id",
                 "child_id", "ip_address", "detail")


def canonical_at(value: datetime) -> str:
    """A timestamp as UTC ISO 8601 with microseconds: the same on SQLite and PostgreSQL."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def chain_fields(row: Any) -> dict[str, Any]:
    """The hashed fields of an event (a model instance or a result row)."""
    return _hashed({name: getattr(row, name) for name in HASHED_FIELDS})


def _hashed(values: dict[str, Any]) -> dict[str, Any]:
    values = {name: values[name] for name in HASHED_FIELDS}
    values["at"] = canonical_at(values["at"])
    return values


def event_hash(fields: dict[str, Any], prev_hash: str) -> str:
    payload = json.dumps({"v": 1, "prev_hash": prev_hash, **fields}, sort_keys=True,
                         separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


# --- Extending the chain at flush time ----------------------------------------------------------


def lock_chain_on(connection) -> None:  # noqa: ANN001 (a SQLAlchemy Connection)
    """Serialise appenders until this transaction ends (see the module docstring)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    elif connection.dialect.name == "sqlite":
        dbapi = connection.connection.dbapi_connection
        # pysqlite begins a transaction only before the first write; until then take the write
        # lock ourselves, so nobody can append between our read of the last hash and our insert.
        if dbapi is not None and not dbapi.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


# Kept in `session.info` for the rest of a transaction, forgotten whenever it or a savepoint ends
# (a rollback takes the events it wrote away with it): the chain's head as this transaction left
# it, (last id, last hash), and whether it holds the chain's lock.
_HEAD = "audit_chain_head"
_LOCKED = "audit_chain_locked"


def _next_audit_id():  # noqa: ANN202 (a SQL expression)
    return func.nextval(func.pg_get_serial_sequence("audit_events", "id"))


def lock_chain_in(session: Session) -> None:
    """Take the chain's lock for this session's transaction, unless it already holds it."""
    if not session.info.get(_LOCKED):
        lock_chain_on(session.connection(bind_arguments={"mapper": inspect(AuditEvent)}))
        session.info[_LOCKED] = True


# Built once: every write runs one of these, and building a statement costs more than running it.
_COUNT = bindparam("count", type_=Integer)
_LAST = select(AuditEvent.__table__.c.id, AuditEvent.__table__.c.hash).order_by(AuditEvent.__table__.c.id.desc()).limit(1)
_LAST_HASH_AND_IDS = select(_LAST.with_only_columns(AuditEvent.__table__.c.hash).scalar_subquery(),
                            _next_audit_id()).select_from(func.generate_series(1, _COUNT))
_IDS = select(_next_audit_id()).select_from(func.generate_series(1, _COUNT))


def _last_hash_and_next_ids(connection, count: int) -> tuple[str, list[int]]:  # noqa: ANN001
    """Under the chain lock: the newest event's hash, and ids for the new events, in one query."""
    if connection.dialect.name == "postgresql":
        # The lock was taken by the statement before, so this statement's snapshot sees every
        # event committed before it; ids come from the sequence, inside the lock.
        rows = connection.execute(_LAST_HASH_AND_IDS, {"count": count}).all()
        return (rows[0][0] or GENESIS), sorted(row[1] for row in rows)
    # SQLite: under the write lock, the ids after the last event's.
    last = connection.execute(_LAST).first()
    if last is None:
        return GENESIS, list(range(1, count + 1))
    return last.hash, list(range(last.id + 1, last.id + 1 + count))


def _next_links(session: Session, count: int) -> tuple[str, list[int]]:
    """The hash the next event follows, and ids for `count` new events, under the chain's lock."""
    connection = session.connection(bind_arguments={"mapper": inspect(AuditEvent)})
    head = session.info.get(_HEAD)
    if head is None:
        lock_chain_in(session)
        return _last_hash_and_next_ids(connection, count)
    # This transaction wrote the newest events and has held the lock since: nobody else can
    # have appended, so the head is the one it wrote (no lock or read again).
    last_id, prev = head
    return prev, _ids_after(connection, last_id, count)


_INSERT_EVENTS = AuditEvent.__table__.insert()


def append_events(session: Session, events: list[dict[str, Any]]) -> None:
    """Chain events given as column values and write them with one INSERT, in order, now.

    The same chain as `_chain_new_events` makes at flush, without the unit of work: for the writes
    every member of staff makes. Each event needs `action`; the other columns default as the
    model's do.
    """
    if not events:
        return
    prev, new_ids = _next_links(session, len(events))
    rows = []
    for values, new_id in zip(events, new_ids, strict=True):
        row = {"id": new_id, "at": values.get("at") or utcnow(), "user_id": values.get("user_id"),
               "school_id": values.get("school_id"), "action": values["action"],
               "object_type": values.get("object_type") or "", "object_id": values.get("object_id"),
               "child_id": values.get("child_id"), "ip_address": values.get("ip_address") or "",
               "detail": values.get("detail") or "", "prev_hash": prev}
        row["hash"] = prev = event_hash(_hashed(row), prev)
        rows.append(row)
    session.connection(bind_arguments={"mapper": inspect(AuditEvent)}).execute(_INSERT_EVENTS, rows)
    session.info[_HEAD] = (new_ids[-1], prev)


@event.listens_for(Session, "before_flush")
def _chain_new_events(session: Session, flush_context, instances) -> None:  # noqa: ANN001
    new = [obj for obj in session.new if isinstance(obj, AuditEvent) and obj.hash is None]
    if not new:
        return
    new.sort(key=lambda obj: inspect(obj).insert_order)
    prev, new_ids = _next_links(session, len(new))
    for obj, new_id in zip(new, new_ids, strict=True):
        obj.id = new_id
        obj.at = obj.at or utcnow()
        obj.object_type = obj.object_type or ""
        obj.ip_address = obj.ip_address or ""
        obj.detail = obj.detail or ""
        obj.prev_hash = prev
        obj.hash = obj.computed_hash()
        prev = obj.hash
    session.info[_HEAD] = (new_ids[-1], prev)


@event.listens_for(Session, "after_transaction_end")
def _forget_head(session: Session, transaction) -> None:  # noqa: ANN001
    # Not for the inner transaction each flush runs in: only the real one, or a savepoint.
    if transaction.nested or transaction.parent is None:
        session.info.pop(_HEAD, None)
        session.info.pop(_LOCKED, None)


def _ids_after(connection, last_id: int, count: int) -> list[int]:  # noqa: ANN001
    if connection.dialect.name == "postgresql":
        # Ids still come from the sequence, which other writers use too once the lock is free.
        return sorted(connection.execute(_IDS, {"count": count}).scalars())
    return list(range(last_id + 1, last_id + 1 + count))


@event.listens_for(AuditEvent, "before_update")
def _refuse_audit_update(mapper, connection, target) -> None:  # noqa: ANN001
    raise RecordIsImmutable("audit events are never changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_audit_delete(mapper, connection, target) -> None:  # noqa: ANN001
    raise RecordIsImmutable("audit events are never deleted")
