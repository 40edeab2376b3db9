"""scale: indexes the paged lists need (occurrences by plan and start)

Revision ID: 0002_scale
Revises: 0001
"""
from alembic import op

revision = "0002_scale"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("occurrences", schema=None) as batch_op:
        batch_op.create_index("ix_occurrences_plan_starts", ["plan_id", "starts_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("occurrences", schema=None) as batch_op:
        batch_op.drop_index("ix_occurrences_plan_starts")
