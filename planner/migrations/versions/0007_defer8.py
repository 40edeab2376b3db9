"""defer8: a waiting generation records when to look at it again; the delivery count trigger can be paused

Revision ID: 0007_defer8
Revises: 0006_store8

`schedule_runs.not_before`: on SQLite a large queued generation waits for a gap between due online posts; the
worker passes it over until then and takes the runs queued after it. The triggers are installed again: on
PostgreSQL `counts_delivery_insert` now does nothing while bulk.py's transaction-local `planner.pause_counts` is
on (bulk.py counts those rows itself), which a database already at 0006 must have before that code runs.
"""
import sqlalchemy as sa
from alembic import op

from planner.count_triggers import install_triggers

revision = "0007_defer8"
down_revision = "0006_store8"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("schedule_runs", sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))
    install_triggers(op.get_bind())


def downgrade() -> None:
    # schedule_runs has no triggers, so SQLite's table copy loses nothing.
    with op.batch_alter_table("schedule_runs") as batch:
        batch.drop_column("not_before")
