"""dash10: counts that keep the make-up correction (deliveries.made_up, a `made_up` key in activity_counts and
activity_rollups) and indicator_rollups (the changes of the rolled-up latest figures per indicator × commune × date)

Revision ID: 0005_dash10
Revises: 0004_counts2

No batch_alter_table (on SQLite it would recreate deliveries and drop the count triggers): `made_up` is a plain
ADD COLUMN; the two count tables get a new primary key, so they are dropped, created again and counted afresh
from the deliveries (as 0003_counts did), with the triggers dropped first and installed again last.
Not reversible (the triggers of 0003 are not kept): restore a backup instead.
"""
from alembic import op
import sqlalchemy as sa

revision = "0005_dash10"
down_revision = "0004_counts2"
branch_labels = None
depends_on = None

MADE_UP = ("EXISTS (SELECT 1 FROM occurrences m JOIN deliveries md ON md.occurrence_id = m.id "
           "WHERE m.replaces_delivery_id = deliveries.id AND md.status <> 'cancelled')")

BACKFILL = """
INSERT INTO activity_counts (plan_id, unit_id, day, channel, status, is_makeup, made_up, n)
SELECT o.plan_id, t.unit_id, {day} AS day, d.channel, d.status, o.replaces_delivery_id IS NOT NULL AS is_makeup,
       d.made_up, count(*)
FROM deliveries d JOIN occurrences o ON o.id = d.occurrence_id JOIN targets t ON t.id = o.target_id
GROUP BY o.plan_id, t.unit_id, {day}, d.channel, d.status, o.replaces_delivery_id IS NOT NULL, d.made_up
"""

ROLLUP = """
INSERT INTO activity_rollups (plan_id, unit_id, day, channel, status, is_makeup, made_up, n)
SELECT c.plan_id, COALESCE(CASE WHEN u.kind = 'village' THEN u.parent_id END, u.id), c.day, c.channel, c.status,
       c.is_makeup, c.made_up, sum(c.n)
FROM activity_counts c JOIN units u ON u.id = c.unit_id
GROUP BY c.plan_id, COALESCE(CASE WHEN u.kind = 'village' THEN u.parent_id END, u.id), c.day, c.channel, c.status,
         c.is_makeup, c.made_up
"""


def _counts_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("is_makeup", sa.Boolean(), nullable=False),
        sa.Column("made_up", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name=op.f(f"fk_{name}_plan_id_plans"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f(f"fk_{name}_unit_id_units")),
        sa.PrimaryKeyConstraint("plan_id", "unit_id", "day", "channel", "status", "is_makeup", "made_up",
                                name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    from planner.count_triggers import drop_triggers, install_triggers

    bind = op.get_bind()
    drop_triggers(bind)
    op.add_column("deliveries", sa.Column("made_up", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(f"UPDATE deliveries SET made_up = {MADE_UP}")
    op.drop_table("activity_rollups")
    op.drop_table("activity_counts")
    _counts_table("activity_counts")
    _counts_table("activity_rollups")
    day = ("date(o.starts_at, '+7 hours')" if bind.dialect.name == "sqlite"
           else "(o.starts_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date")
    op.execute(BACKFILL.format(day=day))
    op.execute(ROLLUP)
    install_triggers(bind)

    op.create_table(
        "indicator_rollups",
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("denominator", sa.Float(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["indicator_id"], ["indicators.id"],
                                name=op.f("fk_indicator_rollups_indicator_id_indicators"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_indicator_rollups_unit_id_units")),
        sa.PrimaryKeyConstraint("indicator_id", "unit_id", "day", name=op.f("pk_indicator_rollups")),
    )
    from planner.operations.indicator_rollups import _apply, steps

    _apply(bind, steps(bind))


def downgrade() -> None:
    raise NotImplementedError("0005_dash10 is not reversible (the count triggers of 0003 are not kept): "
                              "restore a backup taken before the upgrade.")
