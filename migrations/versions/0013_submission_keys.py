"""one-time submission keys for every form that writes

`submission_keys` holds each form's key beside the record it wrote (its kind and id), unique per
user and kind, written in the same transaction as the record: a second send of the same form (a
double click, a resend after a slow answer, two at once) is refused by the database and finds the
first record instead of writing another.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import chronology.models.types  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('submission_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('created_at', chronology.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_submission_keys_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_submission_keys')),
    sa.UniqueConstraint('user_id', 'kind', 'key', name=op.f('uq_submission_keys_user_id_kind_key'))
    )


def downgrade():
    op.drop_table('submission_keys')
