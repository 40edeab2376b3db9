"""Plain input and output records of the scheduling core (no ORM, no Flask)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

PRIORITY_RANK = {"emergency": 0, "priority": 1, "normal": 2}
PRIORITY_LABEL = {"emergency": "khẩn cấp", "priority": "ưu tiên", "normal": "thông thường"}
WINDOW_KINDS = ("peak", "blackout")


class ScheduleInputError(ValueError):
    """Bad scheduling input; the message is Vietnamese and meant for the user."""


@dataclass(frozen=True)
class GridSpec:
    """A recurring session: weekday mask (bit0 = Monday … bit6 = Sunday), local times, capacity."""

    id: int
    weekdays: int
    start: time
    end: time
    capacity_s: int
    valid_from: date | None = None
    valid_to: date | None = None


@dataclass(frozen=True)
class TargetSpec:
    """A delivery target with its grids already resolved through the unit hierarchy."""

    id: int
    grids: tuple[GridSpec, ...]
    name: str = ""


@dataclass(frozen=True)
class WindowSpec:
    """A peak or blackout date range (inclusive); yearly ones repeat by day and month."""

    id: int
    kind: str
    starts_on: date
    ends_on: date
    is_yearly: bool = False


@dataclass(frozen=True)
class MessageSpec:
    """An approved message version with its frequency and separation rules."""

    id: int
    message_id: int
    priority: str
    duration_s: int
    valid_from: date | None
    valid_to: date | None
    min_per_week: int
    peak_per_day: int
    min_gap_hours: int
    audience: str = ""
    target_ids: frozenset[int] | None = None
    title: str = ""
    # Days it may air: bit 0 = Monday … bit 6 = Sunday (independent of the grids' days).
    weekdays: int = 0b1111111
    # Exact posting times (aware) for online channels: placed as pinned items, see posts.py.
    post_at: tuple[datetime, ...] = ()


@dataclass(frozen=True)
class FixedItem:
    """A pinned, delivered or past occurrence: never moved, but it uses capacity (and its place, when known)."""

    target_id: int
    session_start: datetime
    message_id: int
    duration_s: int
    priority: str = "normal"
    offset_s: int = -1      # seconds after the session start it plays at; -1: not known (laid out first)


@dataclass(frozen=True)
class Placement:
    """A message version placed in a session at a target, `offset_s` seconds after its start."""

    target_id: int
    message_id: int
    session_start: datetime
    offset_s: int
    duration_s: int


@dataclass(frozen=True)
class ScheduleIssue:
    """One line of the exception report; `detail` is Vietnamese."""

    kind: str
    message_id: int | None
    target_id: int | None
    day: date | None
    detail: str
