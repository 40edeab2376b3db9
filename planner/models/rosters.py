"""Roster batches: every village roster of a commune for a period, rendered by the worker and stored; a batch
with a target is one village's roster (its first download), rendered by the worker the same way."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.db import Base, UTCDateTime, enum_type, utcnow
from planner.models.org import Unit, User
from planner.models.plans import Plan
from planner.models.schedule import Target


class BatchStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


BATCH_STATUS_LABELS = {
    BatchStatus.QUEUED: "Đang chờ",
    BatchStatus.RUNNING: "Đang in",
    BatchStatus.DONE: "Đã xong",
    BatchStatus.FAILED: "Không in được",
}


class RosterBatch(Base):
    """One PDF of every village's roster in a commune for a period, and a ZIP of one PDF per village."""

    __tablename__ = "roster_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    # Set for a single village roster (unit_id is then the village's unit); None for a commune batch.
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id", ondelete="CASCADE"), index=True)
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[BatchStatus] = mapped_column(enum_type(BatchStatus), default=BatchStatus.QUEUED, index=True)
    villages_total: Mapped[int] = mapped_column(default=0)
    villages_done: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    # Where the QR codes point (the site's address when it was requested; the worker has no request).
    base_url: Mapped[str] = mapped_column(String(300), default="")
    pdf_file: Mapped[str] = mapped_column(String(300), default="")
    pdf_sha256: Mapped[str] = mapped_column(String(64), default="")
    pdf_bytes: Mapped[int] = mapped_column(default=0)
    pdf_pages: Mapped[int] = mapped_column(default=0)
    zip_file: Mapped[str] = mapped_column(String(300), default="")
    zip_sha256: Mapped[str] = mapped_column(String(64), default="")
    zip_bytes: Mapped[int] = mapped_column(default=0)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    plan: Mapped[Plan] = relationship()
    unit: Mapped[Unit] = relationship()
    target: Mapped[Target | None] = relationship()
    requested_by: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return BATCH_STATUS_LABELS[self.status]

    @property
    def is_single(self) -> bool:
        return self.target_id is not None

    @property
    def is_active(self) -> bool:
        return self.status in (BatchStatus.QUEUED, BatchStatus.RUNNING)
