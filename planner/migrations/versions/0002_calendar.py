"""calendar: ad hoc sessions, deliveries marked handled

Revision ID: 0002_calendar
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_calendar"
down_revision = "0002_print"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("occurrences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_ad_hoc", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("handled_reason", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("handled_reason")
        batch_op.drop_column("handled_at")
    with op.batch_alter_table("occurrences", schema=None) as batch_op:
        batch_op.drop_column("is_ad_hoc")
