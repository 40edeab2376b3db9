"""images: pictures of message versions (message_images) and what a platform already holds for a post
(deliveries.platform_state: Facebook photo ids uploaded before the post itself)

Revision ID: 0003_images
Revises: 0002_scale
"""
from alembic import op
import sqlalchemy as sa

revision = "0003_images"
down_revision = "0003_trifold"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("mime", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("alt_text", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["message_versions.id"],
                                name=op.f("fk_message_images_version_id_message_versions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_images")),
        sa.UniqueConstraint("version_id", "position", name=op.f("uq_message_images_version_id")),
    )
    with op.batch_alter_table("message_images", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_images_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_images_version_id"), ["version_id"], unique=False)
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("platform_state", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("platform_state")
    with op.batch_alter_table("message_images", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_images_version_id"))
        batch_op.drop_index(batch_op.f("ix_message_images_sha256"))
    op.drop_table("message_images")
