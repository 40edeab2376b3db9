"""Channel targets (a village's loudspeakers, a fanpage), slot grids and scheduled occurrences."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, Time, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.db import Base, UTCDateTime, enum_type, utcnow
from planner.models.content import MessageVersion
from planner.models.org import Unit
from planner.models.plans import Plan


class Target(Base):
    """Where a channel delivers: a village loudspeaker cluster, a fanpage, a Zalo OA, a portal."""

    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("unit_id", "channel", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    # The platform's id (Facebook page id, Zalo OA id); empty for loudspeakers.
    external_id: Mapped[str] = mapped_column(String(100), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    # Online targets the platform rate-limited: nothing is sent to them before `backoff_until`;
    # `backoff_level` counts consecutive rate-limits (the wait doubles) and resets after a success.
    backoff_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    backoff_level: Mapped[int] = mapped_column(default=0, server_default="0")
    # A fanpage / Zalo OA access token entered in the app, Fernet-encrypted (planner/secret_box.py);
    # the hint is its last 4 characters, the only part ever shown again.
    token_encrypted: Mapped[str] = mapped_column(Text, default="", server_default="")
    token_hint: Mapped[str] = mapped_column(String(8), default="", server_default="")

    unit: Mapped[Unit] = relationship()


class SlotGrid(Base):
    """Recurring golden-hour sessions for a channel, on a unit (inherited downwards) or one target."""

    __tablename__ = "slot_grids"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(32))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id"), index=True)
    # Bit 0 = Monday … bit 6 = Sunday.
    weekdays: Mapped[int] = mapped_column(default=0b1111111)
    start_time: Mapped[dt.time] = mapped_column(Time)
    end_time: Mapped[dt.time] = mapped_column(Time)
    capacity_seconds: Mapped[int] = mapped_column()
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)

    unit: Mapped[Unit | None] = relationship()
    target: Mapped[Target | None] = relationship()


class PlacementReason(Base):
    """One distinct explanation text ("Vì sao tin này ở đây?"), stored once and shared by every generated
    placement that has it (a province half-year: ~75 k texts for 2.2 M placements)."""

    __tablename__ = "placement_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the text, hex: the unique key new texts are looked up and inserted by.
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    text: Mapped[str] = mapped_column(Text)


class OccurrenceSource(enum.Enum):
    AUTO = "auto"
    MANUAL = "manual"
    EMERGENCY = "emergency"


class Occurrence(Base):
    """A message version placed in a session at a target; pinned ones survive regeneration."""

    __tablename__ = "occurrences"
    # (plan_id, starts_at, id) serves the API list's filter and its whole key order (a page is an index range scan
    # that stops after the page, even inside a province's ≈ 4,000 broadcasts at one session start) and every
    # plan-and-period query; it replaces the single plan_id and starts_at indexes (≈45 B less per placement).
    __table_args__ = (Index("ix_occurrences_target_starts", "target_id", "starts_at"),
                      Index("ix_occurrences_plan_starts_id", "plan_id", "starts_at", "id"),
                      # A plan's make-ups (few): where the dashboard's made-up correction starts.
                      Index("ix_occurrences_plan_makeups", "plan_id", "replaces_delivery_id",
                            postgresql_where=text("replaces_delivery_id IS NOT NULL"),
                            sqlite_where=text("replaces_delivery_id IS NOT NULL")),
                      # The make-up of a delivery. Partial: generated placements (all but a few) never replace one,
                      # so a province generation writes no entry here (both engines use it for `= id` lookups).
                      Index("ix_occurrences_replaces_delivery_id", "replaces_delivery_id",
                            postgresql_where=text("replaces_delivery_id IS NOT NULL"),
                            sqlite_where=text("replaces_delivery_id IS NOT NULL")))

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"))
    message_version_id: Mapped[int] = mapped_column(ForeignKey("message_versions.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("targets.id"))
    # Start of the session (slot) it is placed in, and its position-derived start inside it.
    session_starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    duration_seconds: Mapped[int] = mapped_column()
    is_pinned: Mapped[bool] = mapped_column(default=False)
    # An extra session outside the slot grid ("phiên đột xuất"), chosen explicitly; labelled wherever shown.
    is_ad_hoc: Mapped[bool] = mapped_column(default=False, server_default=false())
    source: Mapped[OccurrenceSource] = mapped_column(enum_type(OccurrenceSource), default=OccurrenceSource.AUTO)
    # Who placed or moved it by hand and why (empty for generated placements, whose explanation is shared
    # through `reason_id`); `explanation` is what "Vì sao tin này ở đây?" shows.
    reason: Mapped[str] = mapped_column(Text, default="")
    reason_id: Mapped[int | None] = mapped_column(ForeignKey("placement_reasons.id"))
    # The missed delivery this occurrence makes up for (its own confirmation, if late, cancels this one).
    # A plain indexed id, not a foreign key: deliveries already point at occurrences (no FK cycle).
    replaces_delivery_id: Mapped[int | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Optimistic concurrency: counts saved changes; forms and ETags carry it (planner/operations/concurrency.py).
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    plan: Mapped[Plan] = relationship()
    version: Mapped[MessageVersion] = relationship()
    target: Mapped[Target] = relationship()
    reason_text: Mapped[PlacementReason | None] = relationship()
    delivery: Mapped["Delivery"] = relationship(back_populates="occurrence", uselist=False)  # noqa: F821


    @property
    def explanation(self) -> str:
        """Why it is here: a person's move or placement if any, else the engine's shared explanation."""
        return self.reason or (self.reason_text.text if self.reason_text else "")


class RunStatus(enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


RUN_STATUS_LABELS = {RunStatus.QUEUED: "Đang chờ", RunStatus.RUNNING: "Đang lập lịch", RunStatus.DONE: "Xong",
                     RunStatus.FAILED: "Lỗi"}


class ScheduleRun(Base):
    """One generation of a plan's schedule for a unit, channel and date range, with its exception report."""

    __tablename__ = "schedule_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    channel: Mapped[str] = mapped_column(String(32))
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[RunStatus] = mapped_column(enum_type(RunStatus), default=RunStatus.QUEUED)
    targets: Mapped[int] = mapped_column(default=0)
    placed: Mapped[int] = mapped_column(default=0)
    removed: Mapped[int] = mapped_column(default=0)
    kept: Mapped[int] = mapped_column(default=0)
    # [{kind, detail, target_id, message_id, day}] — the exception report.
    issues: Mapped[list] = mapped_column(JSON, default=list)
    error: Mapped[str] = mapped_column(Text, default="")
    # Why a queued run still waits (SQLite: for a gap between due posts), shown on its page; cleared when it starts.
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A waiting run is not looked at again before this (the worker takes the runs queued after it meanwhile).
    not_before: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    plan: Mapped[Plan] = relationship()
    unit: Mapped[Unit] = relationship()

    @property
    def status_label(self) -> str:
        return RUN_STATUS_LABELS[self.status]


class WorkerHeartbeat(Base):
    """The worker's last tick, read by /healthz."""

    __tablename__ = "worker_heartbeats"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    beat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    pid: Mapped[int] = mapped_column(default=0)
