"""plans: a plan's life cycle (draft/active/closed/archived) and retired messages

Existing plans become `active`; no message is retired.

Revision ID: 0002_plans
Revises: 0002_people (the coordinator re-chains 0002_* migrations when merging)
"""
from alembic import op
import sqlalchemy as sa


revision = "0002_plans"
down_revision = "0002_people"
branch_labels = None
depends_on = None

STATUSES = ("draft", "active", "closed", "archived")


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=32), nullable=False, server_default="active"))
        batch_op.create_check_constraint(op.f("ck_plans_planstatus"), sa.column("status").in_(STATUSES))
    with op.batch_alter_table("messages") as batch_op:
        batch_op.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch_op:
        batch_op.drop_column("retired_at")
    with op.batch_alter_table("plans") as batch_op:
        batch_op.drop_constraint(op.f("ck_plans_planstatus"), type_="check")
        batch_op.drop_column("status")
