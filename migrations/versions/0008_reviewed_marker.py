"""reviewed marker on observations, for the DSL's queue

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 14:00:00.000000

The DSL's queue listed concerns with no review by checking every concern of the school for one
(an anti-join, twice with the page count). `observations.reviewed_at` records when the first review
was recorded (set in the same transaction as that review), and a partial index holds only the
logged concerns still waiting, so the queue reads a few index entries.

Existing rows are backfilled from the earliest review of each observation. The head of an
observation is protected by 0001's `observations_no_update` trigger, which lists the columns that
may never change; `reviewed_at` is not among them, so the backfill needs no guard lifted. A new
guard, `observations_reviewed_once`, lets `reviewed_at` go from NULL to a time only, and only once
the observation has a review: it is never cleared (which would queue a dealt-with concern again)
or changed, and never set without a review (which would take a concern off the queue unseen).
"""
from alembic import op
import sqlalchemy as sa

import chronology.models.types  # noqa: F401  (custom column types)


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

QUEUED = "reviewed_at IS NULL AND origin = 'logged'"
ONCE = "the review time of an observation is set once and never cleared or changed"
NEEDS_REVIEW = "an observation is marked reviewed only when it has a review"


def upgrade():
    # Added without batch mode: on SQLite a plain ADD COLUMN, so the table (and its triggers) stay.
    op.add_column('observations', sa.Column('reviewed_at', chronology.models.types.UTCDateTime(timezone=True),
                                            nullable=True))
    op.execute(
        "UPDATE observations SET reviewed_at = "
        "(SELECT MIN(reviews.created_at) FROM reviews WHERE reviews.observation_id = observations.id) "
        "WHERE EXISTS (SELECT 1 FROM reviews WHERE reviews.observation_id = observations.id)"
    )
    op.create_index('ix_observations_queue', 'observations', ['school_id', 'urgent', 'created_at', 'id'],
                    unique=False, sqlite_where=sa.text(QUEUED), postgresql_where=sa.text(QUEUED))
    _guard_reviewed_at()


def downgrade():
    _unguard_reviewed_at()
    op.drop_index('ix_observations_queue', table_name='observations',
                  sqlite_where=sa.text(QUEUED), postgresql_where=sa.text(QUEUED))
    # Without batch mode: SQLite (3.35+) drops the column in place, keeping 0001's triggers.
    op.drop_column('observations', 'reviewed_at')


def _guard_reviewed_at():
    if op.get_bind().dialect.name == "postgresql":
        # A trigger's WHEN clause cannot look at another table, so the check lives in a function.
        op.execute(f"""
            CREATE FUNCTION chronology_reviewed_once() RETURNS trigger AS $$
            BEGIN
                IF OLD.reviewed_at IS NOT NULL AND NEW.reviewed_at IS DISTINCT FROM OLD.reviewed_at THEN
                    RAISE EXCEPTION '{ONCE}' USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                IF OLD.reviewed_at IS NULL AND NEW.reviewed_at IS NOT NULL AND NOT EXISTS (
                        SELECT 1 FROM reviews WHERE reviews.observation_id = NEW.id) THEN
                    RAISE EXCEPTION '{NEEDS_REVIEW}' USING ERRCODE = 'integrity_constraint_violation';
                END IF;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql
        """)
        op.execute("CREATE TRIGGER observations_reviewed_once BEFORE UPDATE OF reviewed_at ON observations "
                   "FOR EACH ROW EXECUTE FUNCTION chronology_reviewed_once()")
    else:
        op.execute(
            "CREATE TRIGGER observations_reviewed_once BEFORE UPDATE OF reviewed_at ON observations BEGIN "
            f"SELECT RAISE(ABORT, '{ONCE}') "
            "WHERE OLD.reviewed_at IS NOT NULL AND NEW.reviewed_at IS NOT OLD.reviewed_at; "
            f"SELECT RAISE(ABORT, '{NEEDS_REVIEW}') "
            "WHERE OLD.reviewed_at IS NULL AND NEW.reviewed_at IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM reviews WHERE reviews.observation_id = NEW.id); END"
        )


def _unguard_reviewed_at():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS observations_reviewed_once ON observations")
        op.execute("DROP FUNCTION IF EXISTS chronology_reviewed_once()")
    else:
        op.execute("DROP TRIGGER IF EXISTS observations_reviewed_once")
