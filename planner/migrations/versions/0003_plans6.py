"""unit windows: a peak or blackout window of a unit, inherited by the targets at and below it

Revision ID: 0003_plans6
Revises: 0002_scale
"""
from alembic import op
import sqlalchemy as sa

revision = "0003_plans6"
down_revision = "0003_images"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("windows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_windows_unit_id_units"), "units", ["unit_id"], ["id"],
                                    ondelete="CASCADE")
        batch_op.create_index(batch_op.f("ix_windows_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("windows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_windows_unit_id"))
        batch_op.drop_constraint(batch_op.f("fk_windows_unit_id_units"), type_="foreignkey")
        batch_op.drop_column("unit_id")
