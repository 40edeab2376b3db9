"""Activity counts: deliveries per plan × village (the target's unit) × local day × channel × status, kept by triggers."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column

from planner.db import Base


class ActivityCount(Base):
    """How many deliveries of a plan at a unit's targets on a local day have this channel, status and kind.

    Maintained by database triggers on `deliveries` and `occurrences` (planner/count_triggers.py), so no write
    path — ORM, Core bulk update, sqlite3 executemany, PostgreSQL COPY — can leave it behind. Raw counts: a
    missed broadcast that was made up is subtracted when read (`planner/activity_counts.py`).
    """

    __tablename__ = "activity_counts"

    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # Asia/Ho_Chi_Minh date of the occurrence's start
    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)  # DeliveryStatus value
    is_makeup: Mapped[bool] = mapped_column(primary_key=True)  # the occurrence replaces a missed delivery
    n: Mapped[int] = mapped_column(default=0)


@event.listens_for(Base.metadata, "after_create")
def _create_triggers(_metadata, connection, tables=None, **_kw) -> None:
    """Tests and `create_all` get the same triggers as the migration."""
    from planner.count_triggers import install_triggers

    if tables is None or "activity_counts" in {t.name for t in tables}:
        install_triggers(connection)
