"""Indicators of a plan (targets), results recorded per unit and date, and reporting deadlines due."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.db import Base, UTCDateTime, enum_type, utcnow
from planner.models.org import Unit, User
from planner.models.plans import Plan


class Measure(enum.Enum):
    COUNT = "count"
    PERCENTAGE = "percentage"  # numerator / denominator, e.g. linked accounts / eligible citizens


class Level(enum.Enum):
    VILLAGE = "village"
    COMMUNE = "commune"
    UNIT = "unit"  # the plan's own unit


LEVEL_LABELS = {Level.VILLAGE: "thôn", Level.COMMUNE: "xã", Level.UNIT: "đơn vị chủ trì"}


class Indicator(Base):
    """A measurable objective of a plan: target, baseline, dates, the level results are recorded at."""

    __tablename__ = "indicators"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(500))
    measure: Mapped[Measure] = mapped_column(enum_type(Measure))
    numerator_label: Mapped[str] = mapped_column(String(200), default="")
    denominator_label: Mapped[str] = mapped_column(String(200), default="")
    unit_label: Mapped[str] = mapped_column(String(50), default="")  # what a count counts ("tổ", "cơ quan")
    target: Mapped[float] = mapped_column(Float)
    baseline: Mapped[float | None] = mapped_column(Float)
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    level: Mapped[Level] = mapped_column(enum_type(Level), default=Level.VILLAGE)
    recorded_by: Mapped[str] = mapped_column(String(300), default="")  # who records results, in words
    note: Mapped[str] = mapped_column(Text, default="")

    plan: Mapped[Plan] = relationship()

    @property
    def is_percentage(self) -> bool:
        return self.measure is Measure.PERCENTAGE

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS[self.level]


class ResultSource(enum.Enum):
    FORM = "form"
    PHONE = "phone"  # the village head's QR page
    UPLOAD = "upload"
    API = "api"


SOURCE_LABELS = {ResultSource.FORM: "Biểu mẫu", ResultSource.PHONE: "Trang của thôn",
                 ResultSource.UPLOAD: "Tệp tải lên", ResultSource.API: "API"}


class IndicatorResult(Base):
    """A figure for one indicator, unit and date; a correction replaces it and keeps it as history."""

    __tablename__ = "indicator_results"
    __table_args__ = (Index("ix_indicator_results_key", "indicator_id", "unit_id", "measured_on"),
                      # The figures in force (not corrected since): the dashboard's latest-result probes.
                      Index("ix_indicator_results_current", "indicator_id", "unit_id", "measured_on",
                            postgresql_where=text("replaced_at IS NULL"), sqlite_where=text("replaced_at IS NULL")))

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    measured_on: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    denominator: Mapped[float | None] = mapped_column(Float)
    source: Mapped[ResultSource] = mapped_column(enum_type(ResultSource))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entered_by_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when a later entry for the same indicator, unit and date corrects this one.
    replaced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    replaced_by_id: Mapped[int | None] = mapped_column()

    indicator: Mapped[Indicator] = relationship()
    unit: Mapped[Unit] = relationship()
    entered_by: Mapped[User | None] = relationship()

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS[self.source]


class IndicatorRollup(Base):
    """Changes of the rolled-up figures of an indicator, kept on write (`operations/indicator_rollups.py`).

    Per indicator × unit (a village folded into its commune, as `activity_rollups` folds it) × date: by how much
    the sum of the units' latest figures in force (value, denominator, number of units with a figure) changes on
    that date. The sum at a unit on a day is the sum of its rows up to that day: a province's "latest result of
    every village on D" is ~100 communes × a few dozen weeks of rows, not a probe per village."""

    __tablename__ = "indicator_rollups"

    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    value: Mapped[float] = mapped_column(Float, default=0.0)
    denominator: Mapped[float] = mapped_column(Float, default=0.0)
    units: Mapped[int] = mapped_column(default=0)


class DueItem(Base):
    """A reporting deadline from a plan ("báo cáo kết quả tháng 5 trước 05/6") that a unit must meet."""

    __tablename__ = "due_items"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    code: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(500))
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    period_start: Mapped[dt.date | None] = mapped_column(Date)
    period_end: Mapped[dt.date | None] = mapped_column(Date)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # owners notified 7 days ahead

    plan: Mapped[Plan] = relationship()
    unit: Mapped[Unit] = relationship()
