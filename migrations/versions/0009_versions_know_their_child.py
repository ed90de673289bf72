"""each observation version carries its child, indexed with the day it happened

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 14:00:00.000000

Reading one child's concerns by date (the pattern prompts after every write, the chronology)
went through `observations` to reach the versions, which hold the date. PostgreSQL answered that
by reading every version of every child (a sequential scan and a hash join): a few milliseconds in
one school, far more in a trust's database. `observation_versions.child_id` with an index on
(child_id, occurred_on) makes it an index range scan of that child's rows.

The child of an observation never changes (0001's `observations_no_update` guard), so the copy on
each version cannot drift. Versions are never changed: 0001's `observation_versions_no_update`
guard is lifted only while this migration fills the new column, and put back as it was. On SQLite
the column is made NOT NULL by rebuilding the table, which drops its triggers, so both of 0001's
guards on the table are created again afterwards.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

TABLE = "observation_versions"
# 0001's guards on this table, exactly as it made them.
GUARDS = {
    "observation_versions_no_update": ("UPDATE", "observation versions are never changed"),
    "observation_versions_no_delete": ("DELETE", "observation versions are never deleted"),
}
FK = "fk_observation_versions_child_id_children"
INDEX = "ix_observation_versions_child_day"


def _sqlite_guards(create: bool) -> None:
    for name, (action, message) in GUARDS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        if create:
            op.execute(f"CREATE TRIGGER {name} BEFORE {action} ON {TABLE} "
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.add_column(TABLE, sa.Column('child_id', sa.Integer(), nullable=True))
    fill = (f"UPDATE {TABLE} SET child_id = (SELECT observations.child_id FROM observations "
            f"WHERE observations.id = {TABLE}.observation_id)")
    if postgresql:
        # Inside the migration's transaction: if anything fails, the guard was never off.
        op.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER observation_versions_no_update")
        op.execute(fill)
        op.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER observation_versions_no_update")
        op.alter_column(TABLE, 'child_id', existing_type=sa.Integer(), nullable=False)
        op.create_foreign_key(FK, TABLE, 'children', ['child_id'], ['id'])
    else:
        # SQLite runs this DDL outside a transaction: whatever fails, the guards are put back.
        try:
            op.execute("DROP TRIGGER IF EXISTS observation_versions_no_update")
            op.execute(fill)
            with op.batch_alter_table(TABLE, recreate="always") as batch_op:
                batch_op.alter_column('child_id', existing_type=sa.Integer(), nullable=False)
                batch_op.create_foreign_key(FK, 'children', ['child_id'], ['id'])
        finally:
            _sqlite_guards(create=True)
    op.create_index(INDEX, TABLE, ['child_id', 'occurred_on'], unique=False)


def downgrade():
    op.drop_index(INDEX, table_name=TABLE)
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(FK, TABLE, type_='foreignkey')
        op.drop_column(TABLE, 'child_id')
    else:
        with op.batch_alter_table(TABLE, recreate="always") as batch_op:
            batch_op.drop_constraint(FK, type_='foreignkey')
            batch_op.drop_column('child_id')
        _sqlite_guards(create=True)
