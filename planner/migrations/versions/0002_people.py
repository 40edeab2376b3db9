"""people and places: unit administrators, session epochs, case-insensitive usernames, village codes unique
within their parent, encrypted channel-account tokens

Revision ID: 0002_people
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_people"
down_revision = "0002_supervision"
branch_labels = None
depends_on = None

OLD_ROLES = ("admin", "planner", "editor", "approver", "print_shop", "supervisor")
NEW_ROLES = ("admin", "unit_admin", "planner", "editor", "approver", "print_shop", "supervisor")


def _role_type(values):
    return sa.Enum(*values, name="role", native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # Rebuilding `units` (batch mode) drops the old table; rows in other tables point at it.
        # Must come before any write: SQLite ignores this pragma inside a transaction.
        op.execute("PRAGMA foreign_keys=OFF")
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("username", sa.String))
    clashes = bind.execute(sa.select(sa.func.lower(users.c.username)).group_by(sa.func.lower(users.c.username))
                           .having(sa.func.count() > 1)).scalars().all()
    if clashes:
        raise RuntimeError("Usernames differing only in case must be renamed first: " + ", ".join(clashes))
    bind.execute(users.update().values(username=sa.func.lower(users.c.username)))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("role", existing_type=_role_type(OLD_ROLES), type_=_role_type(NEW_ROLES),
                              existing_nullable=False)
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_constraint("uq_units_code", type_="unique")
        batch_op.create_unique_constraint("uq_units_parent_id_code", ["parent_id", "code"])
        batch_op.create_index("ix_units_code", ["code"], unique=False)
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_encrypted", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("token_hint", sa.String(length=8), server_default="", nullable=False))
    op.create_table(
        "window_exemptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("window_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f("fk_window_exemptions_plan_id_plans"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["window_id"], ["windows.id"], name=op.f("fk_window_exemptions_window_id_windows"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_window_exemptions")),
        sa.UniqueConstraint("plan_id", "window_id", name=op.f("uq_window_exemptions_plan_id")),
    )
    with op.batch_alter_table("window_exemptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_window_exemptions_plan_id"), ["plan_id"], unique=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA foreign_keys=OFF")
    op.drop_table("window_exemptions")
    with op.batch_alter_table("targets", schema=None) as batch_op:
        batch_op.drop_column("token_hint")
        batch_op.drop_column("token_encrypted")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index("ix_units_code")
        batch_op.drop_constraint("uq_units_parent_id_code", type_="unique")
        batch_op.create_unique_constraint("uq_units_code", ["code"])
    users = sa.table("users", sa.column("role", sa.String), sa.column("is_active", sa.Boolean))
    # The old schema has no unit administrators: they become inactive supervisors.
    op.get_bind().execute(users.update().where(users.c.role == "unit_admin").values(role="supervisor",
                                                                                     is_active=False))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("role", existing_type=_role_type(NEW_ROLES), type_=_role_type(OLD_ROLES),
                              existing_nullable=False)
