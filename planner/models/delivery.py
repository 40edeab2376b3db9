"""Deliveries: what aired, was posted, printed or handed out, and what was missed."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.db import Base, UTCDateTime, enum_type, utcnow
from planner.models.org import User
from planner.models.schedule import Occurrence


class DeliveryStatus(enum.Enum):
    PLANNED = "planned"
    DISPATCHED = "dispatched"
    DELIVERED = "delivered"
    MISSED = "missed"
    FAILED = "failed"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


DELIVERY_LABELS = {
    DeliveryStatus.PLANNED: "Đã lên lịch",
    DeliveryStatus.DISPATCHED: "Đang gửi",
    DeliveryStatus.DELIVERED: "Đã thực hiện",
    DeliveryStatus.MISSED: "Bị lỡ",
    DeliveryStatus.FAILED: "Thất bại",
    DeliveryStatus.UNKNOWN: "Chưa rõ kết quả",
    DeliveryStatus.EXPIRED: "Quá hạn, không gửi",
    DeliveryStatus.CANCELLED: "Đã hủy",
}

# Statuses after which nothing happens by itself.
FINAL_STATUSES = {DeliveryStatus.DELIVERED, DeliveryStatus.MISSED, DeliveryStatus.FAILED,
                  DeliveryStatus.EXPIRED, DeliveryStatus.CANCELLED}


class ConfirmedVia(enum.Enum):
    QR_LINK = "qr_link"
    USER = "user"
    PLATFORM = "platform"
    IMPORT = "import"
    SYSTEM = "system"


class Delivery(Base):
    """The outcome of one occurrence (message × target × time)."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id", ondelete="CASCADE"), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[DeliveryStatus] = mapped_column(enum_type(DeliveryStatus), default=DeliveryStatus.PLANNED)
    claimed_by: Mapped[str] = mapped_column(String(100), default="")
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_by_name: Mapped[str] = mapped_column(String(200), default="")
    confirmed_via: Mapped[ConfirmedVia | None] = mapped_column(enum_type(ConfirmedVia))
    reason: Mapped[str] = mapped_column(Text, default="")
    external_id: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    # A missed broadcast already re-placed into a later session (plans that re-place missed ones).
    is_replaced: Mapped[bool] = mapped_column(default=False, server_default=false())
    # A make-up broadcast (not cancelled) replaces this one, so it is counted once, through the make-up
    # (`reports.made_up_elsewhere`). Kept by the count triggers (planner/count_triggers.py), never by the app.
    made_up: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Taken off "Cần xử lý" by a person, with why (who is in the audit log).
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    handled_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Last time the worker asked the platform whether this `unknown` post exists (automatic reconciliation).
    checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When the unit's officers were told this one failed / went unknown / was missed (one notice per tick and unit).
    problem_notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # What the platform already holds for a post not yet published (Facebook: unpublished photo ids by
    # SHA-256), so a retry attaches them instead of uploading again.
    platform_state: Mapped[dict | None] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    occurrence: Mapped[Occurrence] = relationship(back_populates="delivery")
    confirmed_by: Mapped[User | None] = relationship()

    @property
    def status_label(self) -> str:
        return DELIVERY_LABELS[self.status]

    @property
    def is_online(self) -> bool:
        """Published by the worker: settled only by the platform or reconciliation, never by a person's confirm."""
        from planner.channels import REGISTRY

        adapter = REGISTRY.get(self.channel)
        return adapter is not None and adapter.is_online
