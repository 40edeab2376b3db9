"""Reports: a plan's monthly / six-monthly / annual report, rendered to PDF by the worker."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.db import Base, UTCDateTime, enum_type, utcnow
from planner.models.org import Unit, User
from planner.models.plans import Plan


class ReportKind(enum.Enum):
    """The report's period: month, half-year and year follow the plan's rule (Decree 09 or calendar)."""

    MONTHLY = "monthly"
    FIRST_HALF = "first_half"
    SECOND_HALF = "second_half"
    ANNUAL = "annual"
    QUARTER = "quarter"  # calendar quarter; `month` holds the quarter (1–4)
    CUSTOM = "custom"  # period_start / period_end as given


REPORT_KIND_LABELS = {
    ReportKind.MONTHLY: "tháng",
    ReportKind.FIRST_HALF: "6 tháng đầu năm",
    ReportKind.SECOND_HALF: "6 tháng cuối năm",
    ReportKind.ANNUAL: "năm",
    ReportKind.QUARTER: "quý",
    ReportKind.CUSTOM: "theo khoảng thời gian",
}


class ReportPurpose(enum.Enum):
    """What the report is for, independent of its period."""

    MONTHLY = "monthly"
    SIX_MONTHLY = "six_monthly"
    ANNUAL = "annual"
    FINAL = "final"


REPORT_PURPOSE_LABELS = {
    ReportPurpose.MONTHLY: "Báo cáo kết quả tháng",
    ReportPurpose.SIX_MONTHLY: "Báo cáo sơ kết 6 tháng",
    ReportPurpose.ANNUAL: "Báo cáo tổng kết năm",
    ReportPurpose.FINAL: "Báo cáo tổng kết kế hoạch",
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
    """A report for a plan, a unit and a period: a draft until issued (then locked and numbered); PDF by the worker."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("unit_id", "register_year", "register_no"),)

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
    purpose: Mapped[ReportPurpose] = mapped_column(enum_type(ReportPurpose), default=ReportPurpose.SIX_MONTHLY,
                                                   server_default=ReportPurpose.SIX_MONTHLY.value)
    # The author's text (Markdown, sanitised by planner.markup when rendered); figures are filled in when drafted.
    narrative_md: Mapped[str] = mapped_column(Text, default="", server_default="")
    issued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The unit's register of reports: number n of the year, given when the report is issued.
    register_year: Mapped[int | None] = mapped_column()
    register_no: Mapped[int | None] = mapped_column()
    # A correction is a new report that names the one it replaces.
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)

    plan: Mapped[Plan] = relationship()
    unit: Mapped[Unit] = relationship()
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    replaces: Mapped[Report | None] = relationship(remote_side="Report.id")

    @property
    def is_issued(self) -> bool:
        return self.issued_at is not None

    @property
    def purpose_label(self) -> str:
        return REPORT_PURPOSE_LABELS[self.purpose]

    @property
    def status_label(self) -> str:
        return REPORT_STATUS_LABELS[self.status]

    @property
    def kind_label(self) -> str:
        return REPORT_KIND_LABELS[self.kind]
