"""counts2: partial indexes for the drill-down — a plan's make-ups, and the indicator results in force

Revision ID: 0004_counts2
Revises: 0003_counts

Plain op.create_index (no batch_alter_table): on SQLite a batch alter recreates the table and would drop the
count triggers on occurrences.
"""
from alembic import op
import sqlalchemy as sa

revision = "0004_counts2"
down_revision = "0003_counts"
branch_labels = None
depends_on = None

MAKEUPS = sa.text("replaces_delivery_id IS NOT NULL")
CURRENT = sa.text("replaced_at IS NULL")


def upgrade() -> None:
    op.create_index("ix_occurrences_plan_makeups", "occurrences", ["plan_id", "replaces_delivery_id"],
                    postgresql_where=MAKEUPS, sqlite_where=MAKEUPS)
    op.create_index("ix_indicator_results_current", "indicator_results", ["indicator_id", "unit_id", "measured_on"],
                    postgresql_where=CURRENT, sqlite_where=CURRENT)


def downgrade() -> None:
    op.drop_index("ix_indicator_results_current", table_name="indicator_results")
    op.drop_index("ix_occurrences_plan_makeups", table_name="occurrences")
