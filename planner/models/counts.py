"""Activity counts: deliveries per plan × village (the target's unit) × local day × channel × status, kept by triggers."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column

from planner.db import Base


class _Counts:
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # Asia/Ho_Chi_Minh date of the occurrence's start
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)  # DeliveryStatus value
    is_makeup: Mapped[bool] = mapped_column(primary_key=True)  # the occurrence replaces a missed delivery
    made_up: Mapped[bool] = mapped_column(primary_key=True)  # a make-up replaces the delivery (`Delivery.made_up`)
    n: Mapped[int] = mapped_column(default=0)


class ActivityCount(_Counts, Base):
    """How many deliveries of a plan at a unit's targets on a local day have this channel, status and kind.

    Maintained by database triggers on `deliveries` and `occurrences` (planner/count_triggers.py), so no write
    path — ORM, Core bulk update or delete, raw SQL — can leave it behind; the one exception is bulk.py's write of
    generated placements, which pauses the insert trigger for its own statements and counts those rows itself in
    the same transaction. A broadcast that a make-up replaces is counted apart (`made_up`): honest reads leave
    those rows out, a plain sum.
    """

    __tablename__ = "activity_counts"


class ActivityRollup(_Counts, Base):
    """The same counts with each village's rows folded into its parent (the commune); any other unit's rows stay
    its own. What views above a commune read: a province's half year is ~100 communes × 183 days, not 4,000
    villages × 183 days. Kept by the same triggers; a village moved to another commune takes its counts along."""

    __tablename__ = "activity_rollups"


class CountPause(Base):
    """SQLite only, inside one writing transaction: while this table has a row, inserted deliveries are not
    counted row by row; the bulk writer (operations/bulk.py) counts them in one statement before it removes
    the row. SQLite has one writer at a time, so no other connection ever writes while it is there."""

    __tablename__ = "count_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)


@event.listens_for(Base.metadata, "after_create")
def _create_triggers(_metadata, connection, tables=None, **_kw) -> None:
    """Tests and `create_all` get the same triggers as the migration."""
    from planner.count_triggers import install_triggers

    if tables is None or "activity_counts" in {t.name for t in tables}:
        install_triggers(connection)


@event.listens_for(Base.metadata, "after_drop")
def _drop_trigger_functions(_metadata, connection, tables=None, **_kw) -> None:
    """`drop_all` leaves an empty database: PostgreSQL's trigger functions outlive their tables otherwise
    (and a `planner restore` into that database would then fail on CREATE FUNCTION)."""
    from planner.count_triggers import drop_triggers

    if connection.dialect.name == "postgresql" and (tables is None or "activity_counts" in {t.name for t in tables}):
        drop_triggers(connection)
