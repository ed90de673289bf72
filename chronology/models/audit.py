"""The audit log: who did what to which record, when, from where. Append-only and hash-chained.

Each school has a chain of its own (events with no school, such as a command-line export, form the
system chain, 0), so one school's writers never queue behind another's. Within a chain each event
carries `seq` (1, 2, 3... with no gaps: a removed event leaves one), `prev_hash` (the `hash` of the
event before it in the chain; GENESIS for the first) and `hash`: an HMAC-SHA256, under a key kept
outside the database (the environment's AUDIT_KEY, or `instance/audit_key`), of a canonical
serialisation of its own fields and prev_hash. Altering, removing or reordering any event breaks
the chain from that point on, and without the key nobody can compute hashes that would hide it,
not even with this module's own code. `flask --app chronology audit-verify` reports what it finds.

The chain is extended at flush time (`_chain_new_events`, a before_flush hook), so services
only call `services.audit.record(...)` and commit as before. Two transactions appending to one
chain at once must not both read the same last event (a fork):

* PostgreSQL: the hook takes a transaction-level advisory lock for the chain
  (pg_advisory_xact_lock(key, chain)) before reading its last event, held until commit or
  rollback, so a school's appenders queue one behind another; ids come from the table's sequence.
* SQLite: the hook makes the transaction take SQLite's single write lock (BEGIN IMMEDIATE)
  before reading the last event, if no earlier write in the transaction already holds it.

Whatever happens, the unique index on (chain, seq) means the database itself refuses a second
event at the same place in a chain: a fork is an error, never a silent branch.

An event's time is taken under the chain's lock, so within a chain time never runs backwards;
`audit-verify` reports an event earlier than the one before it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timezone
from typing import Any

from flask import current_app
from sqlalchemy import ForeignKey, Index, Integer, String, Text, bindparam, event, func, inspect, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..extensions import db
from .observation import RecordIsImmutable
from .types import UTCDateTime, utcnow

GENESIS = "0" * 64
# An arbitrary constant naming "the audit chains" among PostgreSQL advisory locks; the second
# half of the lock's name is the chain.
CHAIN_LOCK_KEY = 0x4348524F  # "CHRO", within a 32-bit int for the two-key form of the lock
SYSTEM_CHAIN = 0


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_child_at", "child_id", "at"),
        # At most one event at each place in a chain: a forked chain is refused by the database.
        Index("ix_audit_events_chain_seq", "chain", "seq", unique=True),
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
    # The school's id, or SYSTEM_CHAIN for an event about no school; and the place in that chain.
    chain: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def computed_hash(self) -> str:
        return event_hash(chain_fields(self), self.prev_hash)


def chain_of(school_id: int | None) -> int:
    return SYSTEM_CHAIN if school_id is None else school_id


# --- The hash ---------------------------------------------------------------------------------

# The fields covered by the hash, in this order. Changing this list or the serialisation
# below invalidates every existing chain: don't, without a migration that re-chains.
HASHED_FIELDS = ("id", "at", "user_id", "school_id", "action", "object_type", "object_id",
                 "child_id", "ip_address", "detail", "chain", "seq")


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


def derived_key(purpose: str, master: str | None = None) -> bytes:
    """A key for one purpose ("chain", "checkpoint"), derived from the audit key.

    One secret to keep and back up; a key used for one purpose proves nothing for another.
    """
    if master is None:
        master = current_app.config["AUDIT_KEY"]
    return hmac.new(master.encode("utf-8"), f"chronology audit {purpose}".encode("ascii"), hashlib.sha256).digest()


def key_id(master: str | None = None) -> str:
    """A short public name for the audit key in use: says which key sealed a chain, reveals nothing."""
    return derived_key("key id", master).hex()[:12]


def event_hash(fields: dict[str, Any], prev_hash: str, key: bytes | None = None) -> str:
    payload = json.dumps({"v": 2, "prev_hash": prev_hash, **fields}, sort_keys=True,
                         separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key or derived_key("chain"), payload.encode("ascii"), hashlib.sha256).hexdigest()


# --- Extending the chain at flush time ----------------------------------------------------------


def lock_chain_on(connection, chain: int) -> None:  # noqa: ANN001 (a SQLAlchemy Connection)
    """Serialise a chain's appenders until this transaction ends (see the module docstring)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key, :chain)"),
                           {"key": CHAIN_LOCK_KEY, "chain": chain})
    elif connection.dialect.name == "sqlite":
        dbapi = connection.connection.dbapi_connection
        # pysqlite begins a transaction only before the first write; until then take the write
        # lock ourselves, so nobody can append between our read of the last hash and our insert.
        if dbapi is not None and not dbapi.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


# Kept in `session.info` for the rest of a transaction, forgotten whenever it or a savepoint ends
# (a rollback takes the events it wrote away with it): each chain's head as this transaction left
# it, {chain: (last seq, last hash, last time)}, and the chains whose lock it holds.
_HEAD = "audit_chain_head"
_LOCKED = "audit_chain_locked"


def _connection(session: Session):  # noqa: ANN202
    return session.connection(bind_arguments={"mapper": inspect(AuditEvent)})


def lock_chain_in(session: Session, chain: int) -> None:
    """Take a chain's lock for this session's transaction, unless it already holds it."""
    locked = session.info.setdefault(_LOCKED, set())
    if chain not in locked:
        lock_chain_on(_connection(session), chain)
        locked.add(chain)


_T = AuditEvent.__table__
# Built once: every write runs one of these, and building a statement costs more than running it.
_LAST_IN_CHAIN = (select(_T.c.seq, _T.c.hash, _T.c.at).where(_T.c.chain == bindparam("chain"))
                  .order_by(_T.c.seq.desc()).limit(1))
# PostgreSQL, in one round trip: the chain's newest event and ids for the new events.
_PG_LAST_AND_IDS = text("""
    SELECT last.seq, last.hash, last.at, nextval(pg_get_serial_sequence('audit_events', 'id')) AS id
    FROM generate_series(1, :count)
    LEFT JOIN (SELECT seq, hash, at FROM audit_events WHERE chain = :chain
               ORDER BY seq DESC LIMIT 1) AS last ON true
""").columns(seq=Integer, hash=String, at=UTCDateTime(), id=Integer)
_PG_IDS = text("SELECT nextval(pg_get_serial_sequence('audit_events', 'id')) AS id "
               "FROM generate_series(1, :count)").columns(id=Integer)
_SQLITE_LAST_ID = select(func.max(_T.c.id))


def _ids(connection, count: int) -> list[int]:  # noqa: ANN001
    if connection.dialect.name == "postgresql":
        # From the table's sequence, which every chain shares: ids are unique, not gap-free (a
        # rolled-back transaction uses some up). `seq` is what has no gaps.
        return sorted(connection.execute(_PG_IDS, {"count": count}).scalars())
    # SQLite: under the one write lock, the ids after the newest event of any chain.
    last = connection.execute(_SQLITE_LAST_ID).scalar() or 0
    return list(range(last + 1, last + 1 + count))


def _head(session: Session, chain: int) -> tuple[int, str, datetime | None] | None:
    """The chain's head as this transaction left it, if it has written to the chain.

    It has held the chain's lock since, so nobody else can have appended: no lock or read again.
    """
    return session.info.setdefault(_HEAD, {}).get(chain)


def _heads_and_ids(session: Session, counts: dict[int, int]) -> tuple[dict[int, tuple[int, str, datetime | None]], list[int]]:
    """Each chain's head (seq, hash, time), under its lock, and ids for all the new events."""
    connection = _connection(session)
    total = sum(counts.values())
    heads: dict[int, tuple[int, str, datetime | None]] = {}
    # Chains locked in a fixed order, so two transactions writing to the same two chains cannot
    # each hold one and wait for the other.
    for chain in sorted(counts):
        known = _head(session, chain)
        if known is not None:
            heads[chain] = known
            continue
        lock_chain_in(session, chain)
        if connection.dialect.name == "postgresql" and len(counts) == 1:
            # The usual case, one chain: its head and the ids in one round trip.
            rows = connection.execute(_PG_LAST_AND_IDS, {"count": total, "chain": chain}).all()
            first = rows[0]
            heads[chain] = (first.seq, first.hash, first.at) if first.seq is not None else (0, GENESIS, None)
            return heads, sorted(row.id for row in rows)
        last = connection.execute(_LAST_IN_CHAIN, {"chain": chain}).first()
        heads[chain] = (last.seq, last.hash, last.at) if last is not None else (0, GENESIS, None)
    return heads, _ids(connection, total)


def _now_after(previous: datetime | None, given: datetime | None = None) -> datetime:
    # Taken under the chain's lock, so events are in time order; a clock stepped back (a
    # correction of the server's time) must not make a true chain look reordered. An event given
    # its own time (an export's, printed on the document) keeps it unless that would reorder.
    # Both are timezone-aware: UTCDateTime reads them back so, and utcnow() makes them so.
    now = given or utcnow()
    return previous if previous is not None and now < previous else now


def _seal(session: Session, rows: list[dict[str, Any]]) -> None:
    """Give each event (a dict of column values with `school_id`) its id, chain, place, time and hash.

    Ids follow the order the events were recorded in, whichever chains they join.
    """
    counts: dict[int, int] = {}
    for row in rows:
        row["chain"] = chain_of(row.get("school_id"))
        counts[row["chain"]] = counts.get(row["chain"], 0) + 1
    heads, ids = _heads_and_ids(session, counts)
    key = derived_key("chain")
    for row, new_id in zip(rows, ids, strict=True):
        seq, prev, at = heads[row["chain"]]
        at = _now_after(at, row.pop("given_at", None))
        row.update(id=new_id, seq=seq + 1, at=at, prev_hash=prev)
        row["hash"] = event_hash(_hashed(row), prev, key)
        heads[row["chain"]] = (seq + 1, row["hash"], at)
    session.info[_HEAD].update(heads)


_INSERT_EVENTS = AuditEvent.__table__.insert()


def append_events(session: Session, events: list[dict[str, Any]]) -> None:
    """Chain events given as column values and write them with one INSERT, in order, now.

    The same chain as `_chain_new_events` makes at flush, without the unit of work: for the writes
    every member of staff makes. Each event needs `action`; the other columns default as the
    model's do.
    """
    if not events:
        return
    rows = [{"user_id": values.get("user_id"), "school_id": values.get("school_id"), "action": values["action"],
             "object_type": values.get("object_type") or "", "object_id": values.get("object_id"),
             "child_id": values.get("child_id"), "ip_address": values.get("ip_address") or "",
             "detail": values.get("detail") or ""} for values in events]
    _seal(session, rows)
    _connection(session).execute(_INSERT_EVENTS, rows)


@event.listens_for(Session, "before_flush")
def _chain_new_events(session: Session, flush_context, instances) -> None:  # noqa: ANN001
    new = [obj for obj in session.new if isinstance(obj, AuditEvent) and obj.hash is None]
    if not new:
        return
    new.sort(key=lambda obj: inspect(obj).insert_order)
    rows = [{"user_id": obj.user_id, "school_id": obj.school_id, "action": obj.action,
             "object_type": obj.object_type or "", "object_id": obj.object_id, "child_id": obj.child_id,
             "ip_address": obj.ip_address or "", "detail": obj.detail or "", "given_at": obj.at} for obj in new]
    _seal(session, rows)
    for obj, row in zip(new, rows, strict=True):
        for name, value in row.items():
            setattr(obj, name, value)


@event.listens_for(Session, "after_transaction_end")
def _forget_head(session: Session, transaction) -> None:  # noqa: ANN001
    # Not for the inner transaction each flush runs in: only the real one, or a savepoint.
    if transaction.nested or transaction.parent is None:
        session.info.pop(_HEAD, None)
        session.info.pop(_LOCKED, None)


@event.listens_for(AuditEvent, "before_update")
def _refuse_audit_update(mapper, connection, target) -> None:  # noqa: ANN001
    raise RecordIsImmutable("audit events are never changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_audit_delete(mapper, connection, target) -> None:  # noqa: ANN001
    raise RecordIsImmutable("audit events are never deleted")
