"""what a message can say: public fields on versions, several audiences; village households/population

Revision ID: 0002_authoring
Revises: 0001

Every existing version takes over its message's channel and validity dates (the ones it was approved
for) and its message's single audience, so approved versions stay approved and keep airing.
"""
from alembic import op
import sqlalchemy as sa


revision = "0002_authoring"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("message_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("headline", sa.String(length=300), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("link", sa.String(length=500), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("channel", sa.String(length=32), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("valid_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("valid_to", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("weekdays", sa.Integer(), nullable=False, server_default="127"))
        batch_op.add_column(sa.Column("post_at", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    op.create_table(
        "message_version_audiences",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("audience_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["message_versions.id"],
                                name=op.f("fk_message_version_audiences_version_id_message_versions"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["audience_id"], ["audience_groups.id"],
                                name=op.f("fk_message_version_audiences_audience_id_audience_groups"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("version_id", "audience_id", name=op.f("pk_message_version_audiences")),
    )
    with op.batch_alter_table("message_version_audiences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_version_audiences_audience_id"), ["audience_id"], unique=False)
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("households", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("population", sa.Integer(), nullable=True))

    # Data: each version records what its message said when it was written (and approved).
    versions, messages = sa.table("message_versions", sa.column("id"), sa.column("message_id"),
                                  sa.column("channel"), sa.column("valid_from"), sa.column("valid_to")), \
        sa.table("messages", sa.column("id"), sa.column("channel"), sa.column("valid_from"),
                 sa.column("valid_to"), sa.column("audience_id"))
    of_message = lambda column: (sa.select(column).where(messages.c.id == versions.c.message_id)  # noqa: E731
                                 .scalar_subquery())
    op.execute(versions.update().values(channel=of_message(messages.c.channel),
                                        valid_from=of_message(messages.c.valid_from),
                                        valid_to=of_message(messages.c.valid_to)))
    op.execute(sa.text(
        "INSERT INTO message_version_audiences (version_id, audience_id) "
        "SELECT v.id, m.audience_id FROM message_versions v JOIN messages m ON m.id = v.message_id"))


def downgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_column("population")
        batch_op.drop_column("households")
    with op.batch_alter_table("message_version_audiences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_version_audiences_audience_id"))
    op.drop_table("message_version_audiences")
    with op.batch_alter_table("message_versions", schema=None) as batch_op:
        for name in ("post_at", "weekdays", "valid_to", "valid_from", "channel", "link", "headline"):
            batch_op.drop_column(name)
