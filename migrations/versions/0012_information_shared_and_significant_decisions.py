"""information shared with other agencies; a DSL's decision can be marked significant

`information_shared` holds what a DSL shared with another agency outside a referral: with whom,
what, when and how. Like an observation, it is written once: the database refuses any change but
its significant mark, and refuses every DELETE. A review gains `significant`, and the database now
refuses any other change to a review (it already refused a DELETE, migration 0007).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 05:55:00.000000

"""
from alembic import op
import sqlalchemy as sa

import chronology.models.types  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('information_shared',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('shared_on', sa.Date(), nullable=False),
    sa.Column('with_name', sa.String(length=200), nullable=False),
    sa.Column('with_agency', sa.String(length=200), nullable=False),
    sa.Column('method', sa.String(length=32), nullable=False),
    sa.Column('what', sa.Text(), nullable=False),
    sa.Column('significant', sa.Boolean(), nullable=False),
    sa.Column('created_at', chronology.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_information_shared_child_id_children')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_information_shared_created_by_id_users')),
    sa.ForeignKeyConstraint(['school_id'], ['schools.id'], name=op.f('fk_information_shared_school_id_schools')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_information_shared'))
    )
    with op.batch_alter_table('information_shared', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_information_shared_child_id'), ['child_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_information_shared_school_id'), ['school_id'], unique=False)

    # Plain ADD COLUMN (not batch mode): on SQLite a rebuilt table would lose its guards' triggers.
    op.add_column('reviews', sa.Column('significant', sa.Boolean(), server_default=sa.false(), nullable=False))
    _protect()


def downgrade():
    _unprotect()
    op.drop_column('reviews', 'significant')
    with op.batch_alter_table('information_shared', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_information_shared_school_id'))
        batch_op.drop_index(batch_op.f('ix_information_shared_child_id'))

    op.drop_table('information_shared')


# (table, action, the columns an UPDATE may not touch (None: any), message): the significant mark alone
# stays changeable, as on an observation (migration 0001).
_GUARDS = [
    ("information_shared", "UPDATE",
     "school_id, child_id, shared_on, with_name, with_agency, method, what, created_at, created_by_id",
     "only the significant mark of information shared may change"),
    ("information_shared", "DELETE", None, "information shared is never deleted"),
    ("reviews", "UPDATE",
     "school_id, child_id, observation_id, decision, reason, decided_on, imported_at, created_at, created_by_id",
     "only the significant mark of a review may change"),
]


def _protect():
    dialect = op.get_bind().dialect.name
    for table, action, columns, message in _GUARDS:
        name = f"{table}_no_{action.lower()}"
        of = f" OF {columns}" if columns else ""
        if dialect == "postgresql":
            op.execute(f"CREATE TRIGGER {name} BEFORE {action}{of} ON {table} "
                       f"FOR EACH ROW EXECUTE FUNCTION chronology_refuse_change('{message}')")
        else:
            op.execute(f"CREATE TRIGGER {name} BEFORE {action}{of} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


def _unprotect():
    dialect = op.get_bind().dialect.name
    for table, action, _columns, _message in _GUARDS:
        name = f"{table}_no_{action.lower()}"
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
