"""scale: indexes the paged lists need (occurrences by plan and start, replacing the single-column ones); explanations stored once
(placement_reasons, referenced by occurrences.reason_id)

Revision ID: 0002_scale
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_scale"
down_revision = "0002_printprod"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "placement_reasons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placement_reasons")),
        sa.UniqueConstraint("digest", name=op.f("uq_placement_reasons_digest")),
    )
    with op.batch_alter_table("occurrences", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reason_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_occurrences_reason_id_placement_reasons"), "placement_reasons",
                                    ["reason_id"], ["id"])
        batch_op.drop_index("ix_occurrences_plan_id")
        batch_op.drop_index("ix_occurrences_starts_at")
        batch_op.create_index("ix_occurrences_plan_starts", ["plan_id", "starts_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("occurrences", schema=None) as batch_op:
        batch_op.drop_index("ix_occurrences_plan_starts")
        batch_op.create_index("ix_occurrences_starts_at", ["starts_at"], unique=False)
        batch_op.create_index("ix_occurrences_plan_id", ["plan_id"], unique=False)
        batch_op.drop_constraint(batch_op.f("fk_occurrences_reason_id_placement_reasons"), type_="foreignkey")
        batch_op.drop_column("reason_id")
    op.drop_table("placement_reasons")
