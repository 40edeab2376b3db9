"""Units in a hierarchy, users with a role and a unit, API tokens, login attempts."""
from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from planner.db import Base, UTCDateTime, enum_type, utcnow


class UnitKind(enum.Enum):
    COUNTRY = "country"
    PROVINCE = "province"
    COMMUNE = "commune"
    VILLAGE = "village"
    AGENCY = "agency"
    DEPARTMENT = "department"
    PRINT_SHOP = "print_shop"


UNIT_KIND_LABELS = {
    UnitKind.COUNTRY: "Toàn quốc",
    UnitKind.PROVINCE: "Tỉnh",
    UnitKind.COMMUNE: "Xã",
    UnitKind.VILLAGE: "Thôn",
    UnitKind.AGENCY: "Cơ quan",
    UnitKind.DEPARTMENT: "Đơn vị",
    UnitKind.PRINT_SHOP: "Cơ sở in",
}


class Unit(Base):
    """An administrative or organisational unit; `path` ("/1/4/9/") makes subtree queries cheap."""

    __tablename__ = "units"
    # Village codes repeat across communes (two communes both have `thon-01`): unique within a parent.
    # Codes of other units stay unique across the tree (operations/units.py checks that).
    __table_args__ = (UniqueConstraint("parent_id", "code", name="uq_units_parent_id_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[UnitKind] = mapped_column(enum_type(UnitKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    path: Mapped[str] = mapped_column(String(400), default="", index=True)
    duties: Mapped[str] = mapped_column(String(4000), default="")
    # Optional figures from the villages CSV (None = not given), for planning print runs and reports.
    households: Mapped[int | None] = mapped_column()
    population: Mapped[int | None] = mapped_column()

    parent: Mapped[Unit | None] = relationship(remote_side="Unit.id", back_populates="children")
    children: Mapped[list[Unit]] = relationship(back_populates="parent", order_by="Unit.id")

    def is_within(self, other: Unit) -> bool:
        """True if this unit is `other` or lies below it."""
        return self.path.startswith(other.path)

    @property
    def kind_label(self) -> str:
        return UNIT_KIND_LABELS[self.kind]


class Role(enum.Enum):
    ADMIN = "admin"
    UNIT_ADMIN = "unit_admin"
    PLANNER = "planner"
    EDITOR = "editor"
    APPROVER = "approver"
    PRINT_SHOP = "print_shop"
    SUPERVISOR = "supervisor"


ROLE_LABELS = {
    Role.ADMIN: "Quản trị",
    Role.UNIT_ADMIN: "Quản trị đơn vị",
    Role.PLANNER: "Cán bộ Văn hóa - Xã hội",
    Role.EDITOR: "Biên tập viên",
    Role.APPROVER: "Người duyệt",
    Role.PRINT_SHOP: "Cơ sở in",
    Role.SUPERVISOR: "Giám sát",
}


class User(Base):
    """A person who logs in; sees their unit and the units below it."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Where notifications are e-mailed ("" = none) and which kinds (NOTIFICATION_KINDS keys; empty = none).
    email: Mapped[str] = mapped_column(String(320), default="", server_default="")
    email_kinds: Mapped[list | None] = mapped_column(JSON, default=list)

    unit: Mapped[Unit] = relationship()

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """A failed login, kept to throttle guessing by username and by address."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_username_at", "username", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    remote_addr: Mapped[str] = mapped_column(String(64), default="", index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
