"""dash10: indicator_rollups — the changes of the rolled-up latest figures per indicator × commune × date

Revision ID: 0005_dash10
Revises: 0004_counts2

A new table only (no batch_alter_table: on SQLite that would drop the count triggers), filled from the results
in force as `planner counts rebuild` fills it.
"""
from alembic import op
import sqlalchemy as sa

revision = "0005_dash10"
down_revision = "0004_counts2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "indicator_rollups",
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("denominator", sa.Float(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["indicator_id"], ["indicators.id"],
                                name=op.f("fk_indicator_rollups_indicator_id_indicators"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_indicator_rollups_unit_id_units")),
        sa.PrimaryKeyConstraint("indicator_id", "unit_id", "day", name=op.f("pk_indicator_rollups")),
    )
    from planner.operations.indicator_rollups import _apply, steps

    bind = op.get_bind()
    _apply(bind, steps(bind))


def downgrade() -> None:
    op.drop_table("indicator_rollups")
