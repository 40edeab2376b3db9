"""print orders carry their proof: worker-rendered, preflighted, approved, stored with its SHA-256

Revision ID: 0002_print
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_print"
down_revision = "0002_authoring"
branch_labels = None
depends_on = None

PROOF_STATUS = sa.Enum("queued", "ready", "failed", "approved", name="proofstatus", native_enum=False,
                       create_constraint=True, length=32)


def upgrade() -> None:
    # Orders placed before proofs existed get one rendered by the worker and approved like any other.
    with op.batch_alter_table("print_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proof_status", PROOF_STATUS, nullable=False, server_default="queued"))
        batch_op.add_column(sa.Column("proof_file", sa.String(length=300), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("proof_sha256", sa.String(length=64), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("proof_bytes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("proof_pages", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("proof_checks", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("proof_error", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("proof_rendered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("proof_approved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("proof_approved_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_print_orders_proof_approved_by_id_users"), "users",
                                    ["proof_approved_by_id"], ["id"])
        batch_op.create_index(batch_op.f("ix_print_orders_proof_status"), ["proof_status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("print_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_print_orders_proof_status"))
        batch_op.drop_constraint(batch_op.f("fk_print_orders_proof_approved_by_id_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("ck_print_orders_proofstatus"), type_="check")
        for column in ("proof_approved_by_id", "proof_approved_at", "proof_rendered_at", "proof_error",
                       "proof_checks", "proof_pages", "proof_bytes", "proof_sha256", "proof_file", "proof_status"):
            batch_op.drop_column(column)
