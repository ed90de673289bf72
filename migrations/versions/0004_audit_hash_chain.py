"""audit hash chain

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 11:55:24.092743

Adds `prev_hash` and `hash` to audit_events and chains the events already there, in id order.

The database refuses UPDATE on audit_events (triggers from 0001), so existing rows cannot
simply be updated. This migration lifts the guard for the backfill only, inside the
migration's transaction, and puts it back before it ends:

* PostgreSQL: ALTER TABLE ... DISABLE TRIGGER audit_events_no_update, backfill, ENABLE again.
  DDL is transactional there, so a failure leaves the guard as it was.
* SQLite: both audit_events triggers are dropped, because making the new columns NOT NULL
  rebuilds the table (batch mode) and a rebuild loses triggers anyway; after the backfill and
  the rebuild they are created again exactly as 0001 made them.

The hash is computed here with a frozen copy of the serialisation in chronology/models/audit.py
(a migration must mean the same thing forever); tests/web/test_audit_chain.py checks that a
backfilled chain passes `audit-verify`.
"""
import hashlib
import json
from datetime import timezone

from alembic import op
import sqlalchemy as sa

import chronology.models.types  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
FIELDS = ("id", "at", "user_id", "school_id", "action", "object_type", "object_id",
          "child_id", "ip_address", "detail")

_SQLITE_GUARDS = {
    "audit_events_no_update": ("UPDATE", "audit events are never changed"),
    "audit_events_no_delete": ("DELETE", "audit events are never deleted"),
}


def _drop_sqlite_guards():
    for name in _SQLITE_GUARDS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")


def _create_sqlite_guards():
    for name, (action, message) in _SQLITE_GUARDS.items():
        op.execute(f"CREATE TRIGGER {name} BEFORE {action} ON audit_events "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def _hash(row, prev_hash):
    fields = {name: getattr(row, name) for name in FIELDS}
    at = fields["at"]
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    fields["at"] = at.astimezone(timezone.utc).isoformat(timespec="microseconds")
    payload = json.dumps({"v": 1, "prev_hash": prev_hash, **fields}, sort_keys=True,
                         separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(payload.encode("ascii")).hexdigest()


def _backfill():
    events = sa.table(
        "audit_events",
        sa.column("id", sa.Integer), sa.column("at", chronology.models.types.UTCDateTime()),
        sa.column("user_id", sa.Integer), sa.column("school_id", sa.Integer),
        sa.column("action", sa.String), sa.column("object_type", sa.String),
        sa.column("object_id", sa.Integer), sa.column("child_id", sa.Integer),
        sa.column("ip_address", sa.String), sa.column("detail", sa.Text),
        sa.column("prev_hash", sa.String), sa.column("hash", sa.String),
    )
    bind = op.get_bind()
    prev = GENESIS
    for row in bind.execute(sa.select(events).order_by(events.c.id)).all():
        digest = _hash(row, prev)
        bind.execute(events.update().where(events.c.id == row.id).values(prev_hash=prev, hash=digest))
        prev = digest


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _drop_sqlite_guards()
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))

    if dialect == "postgresql":
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update")
    _backfill()
    if dialect == "postgresql":
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update")

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index('ix_audit_events_prev_hash', ['prev_hash'], unique=True)
    if dialect == "sqlite":
        _create_sqlite_guards()


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _drop_sqlite_guards()
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_prev_hash')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
    if dialect == "sqlite":
        _create_sqlite_guards()
