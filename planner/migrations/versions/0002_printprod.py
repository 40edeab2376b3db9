"""print orders carry a job ticket and a distribution over villages; plans name their reports' header and signer

Revision ID: 0002_printprod
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_printprod"
down_revision = "0002_notify"
branch_labels = None
depends_on = None

# Decree 30/2020 header and signer of a plan's reports.
PLAN_TEXT = (("governing_body", 200), ("issuing_body", 200), ("issuer_abbreviation", 20),
             ("signer_authority", 100), ("signer_title", 200), ("signer_name", 200))


def upgrade() -> None:
    with op.batch_alter_table("print_orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("paper", sa.String(length=32), nullable=False, server_default="couche"))
        batch_op.add_column(sa.Column("paper_gsm", sa.Integer(), nullable=False, server_default="150"))
        batch_op.add_column(sa.Column("colours", sa.String(length=8), nullable=False, server_default="4/0"))
        batch_op.add_column(sa.Column("finishing", sa.String(length=200), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("delivery_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("delivery_address", sa.String(length=300), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("contact", sa.String(length=300), nullable=False, server_default=""))
    with op.batch_alter_table("plans", schema=None) as batch_op:
        for name, length in PLAN_TEXT:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=False, server_default=""))
    op.create_table(
        "print_distributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=True),
        sa.Column("is_by_households", sa.Boolean(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["order_id"], ["print_orders.id"], name=op.f("fk_print_distributions_order_id_print_orders")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_print_distributions_unit_id_units")),
        sa.ForeignKeyConstraint(["delivered_by_id"], ["users.id"],
                                name=op.f("fk_print_distributions_delivered_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_print_distributions")),
        sa.UniqueConstraint("order_id", "unit_id", name="uq_print_distributions_order_id_unit_id"),
    )
    with op.batch_alter_table("print_distributions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_print_distributions_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_print_distributions_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        for name, _ in reversed(PLAN_TEXT):
            batch_op.drop_column(name)
    with op.batch_alter_table("print_distributions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_print_distributions_unit_id"))
        batch_op.drop_index(batch_op.f("ix_print_distributions_order_id"))
    op.drop_table("print_distributions")
    with op.batch_alter_table("print_orders", schema=None) as batch_op:
        for column in ("contact", "delivery_address", "delivery_date", "finishing", "colours", "paper_gsm", "paper"):
            batch_op.drop_column(column)
