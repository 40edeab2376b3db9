"""Plans, their audience groups, and the peak/blackout windows they run in."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.db import Base, UTCDateTime, enum_type, utcnow
from planner.models.org import Unit


class PeriodRule(enum.Enum):
    DECREE_09 = "decree_09"  # 15th of the previous month → 14th (Decree 09/2019/NĐ-CP)
    CALENDAR = "calendar"  # calendar months and halves (statistical reports)


class PlanStatus(enum.Enum):
    """Life cycle: a draft is prepared (never scheduled or sent), an active plan runs, a closed one is
    read-only (still reported); an archived plan is a closed one kept out of the way instead of deleted."""

    DRAFT = "draft"
    ACTIVE = "active"
    CLOSED = "closed"
    ARCHIVED = "archived"


PLAN_STATUS_LABELS = {PlanStatus.DRAFT: "Dự thảo", PlanStatus.ACTIVE: "Đang thực hiện",
                      PlanStatus.CLOSED: "Đã kết thúc", PlanStatus.ARCHIVED: "Lưu trữ"}


class Plan(Base):
    """A written communication plan (kế hoạch) owned by a unit."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    number: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(200))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    place: Mapped[str] = mapped_column(String(100))
    # Decree 30/2020 header and signature of the plan unit's reports (planner/report_document.py).
    governing_body: Mapped[str] = mapped_column(String(200), default="", server_default="")
    issuing_body: Mapped[str] = mapped_column(String(200), default="", server_default="")
    issuer_abbreviation: Mapped[str] = mapped_column(String(20), default="", server_default="")
    signer_authority: Mapped[str] = mapped_column(String(100), default="", server_default="")
    signer_title: Mapped[str] = mapped_column(String(200), default="", server_default="")
    signer_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(500))
    summary: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    period_rule: Mapped[PeriodRule] = mapped_column(enum_type(PeriodRule), default=PeriodRule.DECREE_09)
    is_replanning_missed: Mapped[bool] = mapped_column(default=False)
    status: Mapped[PlanStatus] = mapped_column(enum_type(PlanStatus), default=PlanStatus.ACTIVE,
                                               server_default=PlanStatus.ACTIVE.value)
    # Purposes, indicators, funding, themes, channels, duties, deadlines, reporting duties.
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Optimistic concurrency: counts saved changes; forms and ETags carry it (planner/operations/concurrency.py).
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    unit: Mapped[Unit] = relationship()
    audiences: Mapped[list[AudienceGroup]] = relationship(
        back_populates="plan", order_by="AudienceGroup.position", cascade="all, delete-orphan"
    )
    windows: Mapped[list[Window]] = relationship(
        back_populates="plan", order_by="Window.starts_on", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        return self.status is PlanStatus.ACTIVE

    @property
    def is_read_only(self) -> bool:
        """Closed and archived plans are read-only everywhere (still reported)."""
        return self.status in (PlanStatus.CLOSED, PlanStatus.ARCHIVED)

    @property
    def status_label(self) -> str:
        return PLAN_STATUS_LABELS[self.status]


class AudienceGroup(Base):
    """An audience group (chủ thể/đối tượng được truyền thông) of a plan."""

    __tablename__ = "audience_groups"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(default=0)

    plan: Mapped[Plan] = relationship(back_populates="audiences")


class WindowKind(enum.Enum):
    PEAK = "peak"
    BLACKOUT = "blackout"


class Window(Base):
    """A peak or blackout window: of one plan, of one unit (for every plan at the targets at or below it), or,
    with neither, of every plan (the automatic holidays and the library's shared windows)."""

    __tablename__ = "windows"
    __table_args__ = (UniqueConstraint("code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    # A unit's own window, inherited down the tree (never set together with plan_id).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[WindowKind] = mapped_column(enum_type(WindowKind))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    is_yearly: Mapped[bool] = mapped_column(default=False)
    # Channels the window concerns; empty list = every channel.
    channels: Mapped[list] = mapped_column(JSON, default=list)

    plan: Mapped[Plan | None] = relationship(back_populates="windows")
    unit: Mapped[Unit | None] = relationship()


class WindowExemption(Base):
    """An automatic (plan-less) holiday window that one plan ignores, e.g. to air on the observed day off."""

    __tablename__ = "window_exemptions"
    __table_args__ = (UniqueConstraint("plan_id", "window_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("windows.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    window: Mapped[Window] = relationship()
