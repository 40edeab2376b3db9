"""Roster batches: every village roster of a commune for a period, rendered by the worker and stored."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.db import Base, UTCDateTime, enum_type, utcnow
from planner.models.org import Unit, User
from planner.models.plans import Plan


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
    requested_by: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return BATCH_STATUS_LABELS[self.status]

    @property
    def is_active(self) -> bool:
        return self.status in (BatchStatus.QUEUED, BatchStatus.RUNNING)
