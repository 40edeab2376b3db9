"""roster7: a roster batch may be one village's roster (its first download, rendered by the worker)

Revision ID: 0005_roster7
Revises: 0005_dash10

roster_batches carries no count triggers, so a batch alter (table copy on SQLite) is safe here.
"""
from alembic import op
import sqlalchemy as sa

revision = "0005_roster7"
down_revision = "0005_dash10"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("roster_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("target_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_roster_batches_target_id"), ["target_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_roster_batches_target_id_targets"), "targets", ["target_id"],
                                    ["id"], ondelete="CASCADE")


def downgrade() -> None:
    with op.batch_alter_table("roster_batches", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_roster_batches_target_id_targets"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_roster_batches_target_id"))
        batch_op.drop_column("target_id")
