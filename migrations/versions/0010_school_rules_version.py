"""a version for each school's prompt rule settings

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 17:00:00.000000

Every write about a child evaluates the prompt rules with the school's settings, and read them
from `prompt_settings` each time. `schools.rules_version` changes (to a new random value) whenever
the settings are saved, so a server process can keep a school's settings until the version it
reads with the school changes. Empty means the school has never changed a setting: the defaults
apply and there is nothing to read. Schools that already have settings are given a version here.
"""
import uuid

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('schools', sa.Column('rules_version', sa.String(length=32), nullable=False, server_default=''))
    connection = op.get_bind()
    with_settings = connection.execute(sa.text("SELECT DISTINCT school_id FROM prompt_settings")).scalars().all()
    for school_id in with_settings:
        connection.execute(sa.text("UPDATE schools SET rules_version = :v WHERE id = :id"),
                           {"v": uuid.uuid4().hex, "id": school_id})


def downgrade():
    with op.batch_alter_table('schools') as batch_op:
        batch_op.drop_column('rules_version')
