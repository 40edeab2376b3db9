"""counts: activity_counts (deliveries per plan × unit × local day × channel × status × make-up) and
activity_rollups (villages folded into their commune), kept by triggers

Revision ID: 0003_counts
Revises: 0002_scale
"""
from alembic import op
import sqlalchemy as sa

revision = "0003_counts"
down_revision = "0003_rosters"
branch_labels = None
depends_on = None

BACKFILL = """
INSERT INTO activity_counts (plan_id, unit_id, day, channel, status, is_makeup, n)
SELECT o.plan_id, t.unit_id, {day} AS day, d.channel, d.status, o.replaces_delivery_id IS NOT NULL AS is_makeup, count(*)
FROM deliveries d JOIN occurrences o ON o.id = d.occurrence_id JOIN targets t ON t.id = o.target_id
GROUP BY o.plan_id, t.unit_id, {day}, d.channel, d.status, o.replaces_delivery_id IS NOT NULL
"""


ROLLUP = """
INSERT INTO activity_rollups (plan_id, unit_id, day, channel, status, is_makeup, n)
SELECT c.plan_id, COALESCE(CASE WHEN u.kind = 'village' THEN u.parent_id END, u.id), c.day, c.channel, c.status,
       c.is_makeup, sum(c.n)
FROM activity_counts c JOIN units u ON u.id = c.unit_id
GROUP BY c.plan_id, COALESCE(CASE WHEN u.kind = 'village' THEN u.parent_id END, u.id), c.day, c.channel, c.status,
         c.is_makeup
"""


def _table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("is_makeup", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f(f"fk_{name}_plan_id_plans"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f(f"fk_{name}_unit_id_units")),
        sa.PrimaryKeyConstraint("plan_id", "unit_id", "day", "channel", "status", "is_makeup", name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    _table("activity_counts")
    _table("activity_rollups")
    op.create_table("count_pauses", sa.Column("id", sa.Integer(), nullable=False),
                    sa.PrimaryKeyConstraint("id", name=op.f("pk_count_pauses")))
    bind = op.get_bind()
    day = ("date(o.starts_at, '+7 hours')" if bind.dialect.name == "sqlite"
           else "(o.starts_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date")
    op.execute(BACKFILL.format(day=day))
    op.execute(ROLLUP)
    from planner.count_triggers import install_triggers

    install_triggers(bind)


def downgrade() -> None:
    from planner.count_triggers import drop_triggers

    drop_triggers(op.get_bind())
    op.drop_table("count_pauses")
    op.drop_table("activity_rollups")
    op.drop_table("activity_counts")
