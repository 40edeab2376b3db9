"""trifold: banner options on print orders (sewn hem in cm, grommet spacing in cm; 0 = none)

Revision ID: 0003_trifold
Revises: 0002_scale
"""
from alembic import op
import sqlalchemy as sa

revision = "0003_trifold"
down_revision = "0002_scale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("print_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hem_cm", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("grommet_every_cm", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("print_orders", schema=None) as batch_op:
        batch_op.drop_column("grommet_every_cm")
        batch_op.drop_column("hem_cm")
