"""cal8: the plan's occurrences indexed in the API list's full key order (plan_id, starts_at, id)

Revision ID: 0005_cal8
Revises: 0005_roster7

A province generation puts ≈ 4,000 villages' broadcasts at the same session start: with (plan_id, starts_at)
alone, the first page of /api/v1/occurrences (ORDER BY starts_at, id LIMIT 101) read, joined and sorted the whole
tie group. It replaces that index (PostgreSQL: +8 B per placement; SQLite keeps the rowid in every index anyway).
Plain op.create_index/drop_index (no batch_alter_table): a batch alter would drop the count triggers on SQLite.
"""
from alembic import op

revision = "0005_cal8"
down_revision = "0005_roster7"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_occurrences_plan_starts_id", "occurrences", ["plan_id", "starts_at", "id"])
    op.drop_index("ix_occurrences_plan_starts", table_name="occurrences")


def downgrade() -> None:
    op.create_index("ix_occurrences_plan_starts", "occurrences", ["plan_id", "starts_at"])
    op.drop_index("ix_occurrences_plan_starts_id", table_name="occurrences")
