"""channels: per-target rate-limit backoff, automatic reconciliation of unknown posts

Revision ID: 0002_channels
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = "0002_channels"
down_revision = "0002_concurrency"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("backoff_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("backoff_level", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("checked_at")
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.drop_column("backoff_level")
        batch_op.drop_column("backoff_until")
