"""Campaign messages per plan, audience and channel, with versions and review states."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Column, Date, ForeignKey, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.db import Base, UTCDateTime, enum_type, utcnow
from planner.models.org import User
from planner.models.plans import AudienceGroup, Plan


class Priority(enum.Enum):
    NORMAL = "normal"
    PRIORITY = "priority"
    EMERGENCY = "emergency"


PRIORITY_LABELS = {Priority.NORMAL: "Thường", Priority.PRIORITY: "Ưu tiên", Priority.EMERGENCY: "Khẩn cấp"}


ALL_WEEKDAYS = 0b1111111

# The audience groups a version was written (and approved) for; a message counts under each of them.
version_audiences = Table(
    "message_version_audiences", Base.metadata,
    Column("version_id", ForeignKey("message_versions.id", ondelete="CASCADE"), primary_key=True),
    Column("audience_id", ForeignKey("audience_groups.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Message(Base):
    """A message of a plan: its scheduling rules, and versions holding everything the public sees.

    `audience_id`, `channel`, `valid_from` and `valid_to` mirror the LATEST version (the working copy,
    used to list and filter); whatever sends, prints or schedules reads them from the approved version.
    """

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("plan_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(100))
    # The first audience of the latest version (the one-group shorthand); all of them: `audiences`.
    audience_id: Mapped[int] = mapped_column(ForeignKey("audience_groups.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32), index=True)
    theme: Mapped[str] = mapped_column(String(32), default="")
    priority: Mapped[Priority] = mapped_column(enum_type(Priority), default=Priority.NORMAL)
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    # Frequency targets per target (village, page): at least this many a week / a day in a peak.
    min_per_week: Mapped[int] = mapped_column(default=0)
    peak_per_day: Mapped[int] = mapped_column(default=0)
    # Separation: at least this many hours between two airings at one target.
    min_gap_hours: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Retired: kept in history and reports, never scheduled, placed or sent again.
    retired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Optimistic concurrency: counts saved changes; forms and ETags carry it (planner/operations/concurrency.py).
    row_version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": row_version}

    plan: Mapped[Plan] = relationship()
    audience: Mapped[AudienceGroup] = relationship()
    versions: Mapped[list[MessageVersion]] = relationship(
        back_populates="message", order_by="MessageVersion.number", cascade="all, delete-orphan"
    )

    @property
    def latest(self) -> MessageVersion:
        return self.versions[-1]

    @property
    def audiences(self) -> list[AudienceGroup]:
        """The audience groups of the latest version (the working copy)."""
        return list(self.latest.audiences) if self.versions else [self.audience]

    @property
    def audience_ids(self) -> list[int]:
        return [a.id for a in self.audiences]

    @property
    def approved(self) -> MessageVersion | None:
        """The newest approved version: the one that is scheduled, printed or published."""
        for version in reversed(self.versions):
            if version.status is VersionStatus.APPROVED:
                return version
        return None


class VersionStatus(enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"


STATUS_LABELS = {
    VersionStatus.DRAFT: "Bản nháp",
    VersionStatus.SUBMITTED: "Chờ duyệt",
    VersionStatus.APPROVED: "Đã duyệt",
    VersionStatus.CHANGES_REQUESTED: "Yêu cầu sửa",
}


class MessageVersion(Base):
    """One version of what the public sees and where it goes; approved versions are frozen.

    Body, headline and link, and the channel, audiences, dates, weekdays and exact posting times the
    version was approved for all live here, so changing any of them needs a new approved version.
    """

    __tablename__ = "message_versions"
    __table_args__ = (UniqueConstraint("message_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(300))
    body_md: Mapped[str] = mapped_column(Text)
    status: Mapped[VersionStatus] = mapped_column(enum_type(VersionStatus), default=VersionStatus.DRAFT)
    # Public headline (posters, leaflet covers, first line of a post); `title` is the editor's label.
    headline: Mapped[str] = mapped_column(String(300), default="")
    # An https URL: a QR code on print products, appended to posts.
    link: Mapped[str] = mapped_column(String(500), default="")
    channel: Mapped[str] = mapped_column(String(32), default="")
    valid_from: Mapped[dt.date | None] = mapped_column(Date)
    valid_to: Mapped[dt.date | None] = mapped_column(Date)
    # Days it may air or be posted: bit 0 = Monday … bit 6 = Sunday (same mask as slot grids).
    weekdays: Mapped[int] = mapped_column(default=ALL_WEEKDAYS)
    # Exact posting times for online channels, aware UTC as ISO strings, in order.
    post_at: Mapped[list] = mapped_column(JSON, default=list)
    # Measured audio length, when a recording exists; otherwise estimated from the script.
    audio_seconds: Mapped[int | None] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str] = mapped_column(Text, default="")

    message: Mapped[Message] = relationship(back_populates="versions")
    audiences: Mapped[list[AudienceGroup]] = relationship(secondary=version_audiences,
                                                          order_by="AudienceGroup.position")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    # Pictures posted with the text (online channels); part of what was approved.
    images: Mapped[list[MessageImage]] = relationship(back_populates="version", order_by="MessageImage.position",
                                                      cascade="all, delete-orphan")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def post_times(self) -> list[dt.datetime]:
        """The exact posting times as aware UTC datetimes."""
        return [dt.datetime.fromisoformat(value) for value in self.post_at or []]


class MessageImage(Base):
    """A picture of a message version, stored once on disk under its SHA-256 (`planner/operations/images.py`).

    Public content like the body: a version's images are what was approved; adding or removing one
    after submission makes a new draft version. The file is the re-encoded upload (no metadata).
    """

    __tablename__ = "message_images"
    __table_args__ = (UniqueConstraint("version_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("message_versions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=1)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    mime: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column()
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    # Vietnamese description for people who cannot see the picture (required).
    alt_text: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[MessageVersion] = relationship(back_populates="images")

    @property
    def ext(self) -> str:
        """The file extension of its content type."""
        return {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}.get(self.mime, "bin")
