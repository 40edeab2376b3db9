"""rosters: roster batches (every village roster of a commune for a period, rendered by the worker)

Revision ID: 0003_rosters
Revises: 0002_scale
"""
from alembic import op
import sqlalchemy as sa

revision = "0003_rosters"
down_revision = "0003_plans6"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "roster_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("status", sa.Enum("queued", "running", "done", "failed", name="batchstatus", native_enum=False,
                                    create_constraint=True, length=32), nullable=False),
        sa.Column("villages_total", sa.Integer(), nullable=False),
        sa.Column("villages_done", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("base_url", sa.String(length=300), nullable=False),
        sa.Column("pdf_file", sa.String(length=300), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf_bytes", sa.Integer(), nullable=False),
        sa.Column("pdf_pages", sa.Integer(), nullable=False),
        sa.Column("zip_file", sa.String(length=300), nullable=False),
        sa.Column("zip_sha256", sa.String(length=64), nullable=False),
        sa.Column("zip_bytes", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_roster_batches_plan_id_plans"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"], name=op.f("fk_roster_batches_requested_by_id_users")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_roster_batches_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_batches")),
    )
    with op.batch_alter_table("roster_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roster_batches_plan_id"), ["plan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_roster_batches_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_roster_batches_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("roster_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roster_batches_unit_id"))
        batch_op.drop_index(batch_op.f("ix_roster_batches_status"))
        batch_op.drop_index(batch_op.f("ix_roster_batches_plan_id"))
    op.drop_table("roster_batches")
