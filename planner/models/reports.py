"""Reports: a plan's monthly / six-monthly / annual report, rendered to PDF by the worker."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.db import Base, UTCDateTime, enum_type, utcnow
from planner.models.org import Unit, User
from planner.models.plans import Plan


class ReportKind(enum.Enum):
    MONTHLY = "monthly"
    FIRST_HALF = "first_half"
    SECOND_HALF = "second_half"
    ANNUAL = "annual"


REPORT_KIND_LABELS = {
    ReportKind.MONTHLY: "tháng",
    ReportKind.FIRST_HALF: "6 tháng đầu năm",
    ReportKind.SECOND_HALF: "6 tháng cuối năm",
    ReportKind.ANNUAL: "năm",
}


class ReportStatus(enum.Enum):
    QUEUED = "queued"
    READY = "ready"
    FAILED = "failed"


REPORT_STATUS_LABELS = {
    ReportStatus.QUEUED: "Đang tạo",
    ReportStatus.READY: "Sẵn sàng",
    ReportStatus.FAILED: "Lỗi",
}


class Report(Base):
    """A report document for a plan, a unit and a period; the PDF is rendered off the request."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[ReportKind] = mapped_column(enum_type(ReportKind))
    year: Mapped[int] = mapped_column()
    month: Mapped[int | None] = mapped_column()
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)
    number: Mapped[str] = mapped_column(String(64), default="")
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    signer_title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[ReportStatus] = mapped_column(enum_type(ReportStatus), default=ReportStatus.QUEUED)
    file_name: Mapped[str] = mapped_column(String(300), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    plan: Mapped[Plan] = relationship()
    unit: Mapped[Unit] = relationship()
    requested_by: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return REPORT_STATUS_LABELS[self.status]

    @property
    def kind_label(self) -> str:
        return REPORT_KIND_LABELS[self.kind]
