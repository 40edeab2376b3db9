"""notifications: inbox items per user, the e-mail outbox, users' e-mail preferences, and markers so
delivery problems and report deadlines are told once

Revision ID: 0002_notify
Revises: 0001
"""
import datetime as dt

from alembic import op
import sqlalchemy as sa

revision = "0002_notify"
down_revision = "0002_plans"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index("ix_notifications_user_read", "notifications", ["user_id", "read_at", "id"], unique=False)
    op.create_table(
        "outbox_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["notification_id"], ["notifications.id"],
                                name=op.f("fk_outbox_mails_notification_id_notifications"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_mails")),
    )
    op.create_index("ix_outbox_mails_due", "outbox_mails", ["sent_at", "next_attempt_at"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=320), server_default="", nullable=False))
        batch_op.add_column(sa.Column("email_kinds", sa.JSON(), nullable=True))
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("problem_notified_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("due_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
    # Problems from before notifications existed are not announced all at once on the first tick.
    deliveries = sa.table("deliveries", sa.column("status", sa.String), sa.column("problem_notified_at", sa.DateTime))
    op.get_bind().execute(deliveries.update().where(deliveries.c.status.in_(("failed", "unknown", "missed")))
                          .values(problem_notified_at=dt.datetime.now(dt.timezone.utc)))


def downgrade() -> None:
    with op.batch_alter_table("due_items", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("problem_notified_at")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email_kinds")
        batch_op.drop_column("email")
    op.drop_index("ix_outbox_mails_due", table_name="outbox_mails")
    op.drop_table("outbox_mails")
    op.drop_index("ix_notifications_user_read", table_name="notifications")
    op.drop_table("notifications")
