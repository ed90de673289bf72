"""keyed audit chains, one per school

Until now the audit log was one chain of plain SHA-256 hashes: anyone who could write to the
database could edit events and compute the hashes again with the product's own code. From here
each school has its own chain (events about no school form chain 0), numbered 1, 2, 3... by `seq`,
and each event's hash is an HMAC-SHA256 under the audit key, which lives outside the database
(AUDIT_KEY in the environment, or instance/audit_key).

The events already recorded are first checked under the old scheme, then chained again under the
key, once, in id order. The migration then records that it did, in an `audit.rechained` event that
keeps the old chain's head hash, its length and whether it was intact: re-sealing never launders an
earlier change, because the event says the old chain was already broken and where.

The guard on audit_events (0001's triggers) is lifted for the re-chaining only, as 0004 does:
PostgreSQL disables the UPDATE trigger inside the migration's transaction; SQLite drops both and
creates them again. The columns are added with plain ADD COLUMN, so SQLite does not rebuild the
table.

The hashes are computed with frozen copies of the two schemes (a migration must mean the same
thing forever); tests/web/test_audit_chain.py checks that a re-chained log passes `audit-verify`.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 09:30:00.000000

"""
import hashlib
import hmac
import json
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
from flask import current_app

import chronology.models.types  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0013'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
V1_FIELDS = ("id", "at", "user_id", "school_id", "action", "object_type", "object_id",
             "child_id", "ip_address", "detail")
V2_FIELDS = V1_FIELDS + ("chain", "seq")

_SQLITE_GUARDS = {
    "audit_events_no_update": ("UPDATE", "audit events are never changed"),
    "audit_events_no_delete": ("DELETE", "audit events are never deleted"),
}

EVENTS = sa.table(
    "audit_events",
    sa.column("id", sa.Integer), sa.column("at", chronology.models.types.UTCDateTime()),
    sa.column("user_id", sa.Integer), sa.column("school_id", sa.Integer),
    sa.column("action", sa.String), sa.column("object_type", sa.String),
    sa.column("object_id", sa.Integer), sa.column("child_id", sa.Integer),
    sa.column("ip_address", sa.String), sa.column("detail", sa.Text),
    sa.column("chain", sa.Integer), sa.column("seq", sa.Integer),
    sa.column("prev_hash", sa.String), sa.column("hash", sa.String),
)


def _at(value):
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _payload(version, fields, row, prev_hash):
    values = {name: row[name] for name in fields}
    values["at"] = _at(values["at"])
    return json.dumps({"v": version, "prev_hash": prev_hash, **values}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _v1_hash(row, prev_hash):
    return hashlib.sha256(_payload(1, V1_FIELDS, row, prev_hash)).hexdigest()


def _v2_key(master):
    return hmac.new(master.encode("utf-8"), b"chronology audit chain", hashlib.sha256).digest()


def _v2_key_id(master):
    return hmac.new(master.encode("utf-8"), b"chronology audit key id", hashlib.sha256).hexdigest()[:12]


def _v2_hash(key, row, prev_hash):
    return hmac.new(key, _payload(2, V2_FIELDS, row, prev_hash), hashlib.sha256).hexdigest()


def _guards_off(dialect):
    if dialect == "postgresql":
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update")
    else:
        for name in _SQLITE_GUARDS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def _guards_on(dialect):
    if dialect == "postgresql":
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update")
    else:
        for name, (action, message) in _SQLITE_GUARDS.items():
            op.execute(f"CREATE TRIGGER {name} BEFORE {action} ON audit_events "
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def _rows(bind):
    return [dict(row._mapping) for row in bind.execute(sa.select(EVENTS).order_by(EVENTS.c.id))]


def _old_chain(rows):
    """The old single chain as it stands: its head, and the first event that breaks it, if any."""
    prev, first_bad = GENESIS, None
    for row in rows:
        if first_bad is None and (row["prev_hash"] != prev or _v1_hash(row, row["prev_hash"]) != row["hash"]):
            first_bad = row["id"]
        prev = row["hash"]
    return prev, first_bad


def _rechain(bind, rows, master):
    key = _v2_key(master)
    heads = {}
    for row in rows:
        chain = row["school_id"] if row["school_id"] is not None else 0
        seq, prev = heads.get(chain, (0, GENESIS))
        row.update(chain=chain, seq=seq + 1, prev_hash=prev)
        row["hash"] = _v2_hash(key, row, prev)
        heads[chain] = (seq + 1, row["hash"])
        bind.execute(EVENTS.update().where(EVENTS.c.id == row["id"])
                     .values(chain=chain, seq=row["seq"], prev_hash=prev, hash=row["hash"]))
    return heads


def _record_rechaining(bind, dialect, rows, heads, old_head, first_bad, master):
    if dialect == "postgresql":
        new_id = bind.execute(sa.text("SELECT nextval(pg_get_serial_sequence('audit_events', 'id'))")).scalar()
    else:
        new_id = rows[-1]["id"] + 1
    seq, prev = heads.get(0, (0, GENESIS))
    last_at = max((row["at"] for row in rows if row["chain"] == 0), default=None)
    now = datetime.now(timezone.utc)
    if last_at is not None:  # UTCDateTime reads times back timezone-aware
        now = max(now, last_at)
    detail = json.dumps({"old_scheme": "one chain of SHA-256 hashes, without a key", "old_events": len(rows),
                         "old_head": old_head, "old_chain_intact": first_bad is None,
                         "old_first_bad_event": first_bad, "key_id": _v2_key_id(master)}, sort_keys=True)
    row = {"id": new_id, "at": now, "user_id": None, "school_id": None, "action": "audit.rechained",
           "object_type": "", "object_id": None, "child_id": None, "ip_address": "migration", "detail": detail,
           "chain": 0, "seq": seq + 1}
    row["prev_hash"], row["hash"] = prev, _v2_hash(_v2_key(master), row, prev)
    bind.execute(EVENTS.insert().values(**row))


def upgrade():
    bind = op.get_bind()
    dialect = bind.dialect.name
    _guards_off(dialect)
    op.add_column('audit_events', sa.Column('chain', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('audit_events', sa.Column('seq', sa.Integer(), nullable=False, server_default='0'))
    op.drop_index('ix_audit_events_prev_hash', table_name='audit_events')
    rows = _rows(bind)
    if rows:
        master = current_app.config["AUDIT_KEY"]
        old_head, first_bad = _old_chain(rows)
        heads = _rechain(bind, rows, master)
        _record_rechaining(bind, dialect, rows, heads, old_head, first_bad, master)
    op.create_index('ix_audit_events_chain_seq', 'audit_events', ['chain', 'seq'], unique=True)
    if dialect == "postgresql":
        # Every event is given its chain and place by the app: a row without them is refused.
        op.alter_column('audit_events', 'chain', server_default=None)
        op.alter_column('audit_events', 'seq', server_default=None)
    _guards_on(dialect)


def downgrade():
    """Back to one chain of plain SHA-256 hashes in id order, as 0004 made it."""
    bind = op.get_bind()
    dialect = bind.dialect.name
    _guards_off(dialect)
    op.drop_index('ix_audit_events_chain_seq', table_name='audit_events')
    prev = GENESIS
    for row in _rows(bind):
        digest = _v1_hash(row, prev)
        bind.execute(EVENTS.update().where(EVENTS.c.id == row["id"]).values(prev_hash=prev, hash=digest))
        prev = digest
    op.drop_column('audit_events', 'seq')
    op.drop_column('audit_events', 'chain')
    op.create_index('ix_audit_events_prev_hash', 'audit_events', ['prev_hash'], unique=True)
    _guards_on(dialect)
