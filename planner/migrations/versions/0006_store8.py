"""store8: a province generation writes less per placement

Revision ID: 0006_store8
Revises: 0005_cal8

The make-up index on occurrences becomes partial (replaces_delivery_id IS NOT NULL): generated placements, all but
a few of the rows, never replace a delivery, so they no longer add an index entry each. On SQLite the delivery
insert trigger that keeps `deliveries.made_up` is skipped while bulk.py pauses the counts (its rows never replace a
delivery), so the triggers are installed again. Plain create/drop index (no batch_alter_table), which would drop the
count triggers on SQLite.

`schedule_runs.note` says why a queued run still waits (on SQLite, a large generation waits for a gap between due
online posts before it takes the one write lock).
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

from planner.count_triggers import install_triggers

revision = "0006_store8"
down_revision = "0005_cal8"
branch_labels = None
depends_on = None

PARTIAL = text("replaces_delivery_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_occurrences_replaces_delivery_id", table_name="occurrences")
    op.create_index("ix_occurrences_replaces_delivery_id", "occurrences", ["replaces_delivery_id"],
                    sqlite_where=PARTIAL, postgresql_where=PARTIAL)
    install_triggers(op.get_bind())
    op.add_column("schedule_runs", sa.Column("note", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("schedule_runs") as batch:
        batch.drop_column("note")
    op.drop_index("ix_occurrences_replaces_delivery_id", table_name="occurrences")
    op.create_index("ix_occurrences_replaces_delivery_id", "occurrences", ["replaces_delivery_id"])
    # The triggers stay as installed: the extra condition only skips work the bulk insert never needs.
