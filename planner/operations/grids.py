"""Slot grids edited per unit (inherited down the tree) and a plain-language preview of their effect.

A unit's own grids for a channel replace everything it would inherit for that channel (the scheduler takes
the nearest unit that has grids), so the page offers to copy the inherited grids before changing one.
"""
from __future__ import annotations

import datetime as dt
import re
from collections import OrderedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from planner import localtime
from planner.channels import CHANNEL_LABELS
from planner.library_schedules import ONLINE_POST_SECONDS, parse_weekdays
from planner.models import SlotGrid, Unit, User
from planner.operations.audit import record
from planner.operations.schedule import grid_specs_for, targets_in

GRID_CHANNELS = ("loudspeaker", "fanpage", "zalo", "portal")
TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
DAY_NAMES = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")


class GridError(Exception):
    """Bad input for a slot grid, with a Vietnamese message per field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def own_grids(session: Session, unit: Unit) -> list[SlotGrid]:
    """Grids set on the unit itself, by channel and start time."""
    return list(session.scalars(select(SlotGrid).where(SlotGrid.unit_id == unit.id)
                                .order_by(SlotGrid.channel, SlotGrid.start_time)))


def inherited_grids(session: Session, unit: Unit, channel: str) -> tuple[Unit | None, list[SlotGrid]]:
    """The grids the unit would use for `channel` without its own: the nearest unit above that has some."""
    ids = [int(x) for x in unit.path.strip("/").split("/") if x][:-1]
    for unit_id in reversed(ids):
        grids = list(session.scalars(select(SlotGrid).where(SlotGrid.unit_id == unit_id, SlotGrid.channel == channel)
                                     .order_by(SlotGrid.start_time)))
        if grids:
            return session.get(Unit, unit_id), grids
    return None, []


def create_grid(session: Session, actor: User, unit: Unit, data: dict) -> SlotGrid:
    """Add a session to the unit's grid: {channel, name, weekdays "T2-T7", start, end, capacity, valid_from/to}."""
    values = _values(data)
    grid = SlotGrid(code=_free_code(session, f"khung-{unit.code}-{values['channel']}"), unit_id=unit.id, **values)
    session.add(grid)
    session.flush()
    record(session, user=actor, action="grid.create", entity=grid, unit=unit.code, weekdays=fmt_weekdays(grid.weekdays),
           start=grid.start_time.strftime("%H:%M"), end=grid.end_time.strftime("%H:%M"))
    return grid


def update_grid(session: Session, actor: User, grid: SlotGrid, data: dict) -> SlotGrid:
    for key, value in _values({"channel": grid.channel, **data}).items():
        setattr(grid, key, value)
    session.flush()
    record(session, user=actor, action="grid.update", entity=grid, weekdays=fmt_weekdays(grid.weekdays),
           start=grid.start_time.strftime("%H:%M"), end=grid.end_time.strftime("%H:%M"))
    return grid


def delete_grid(session: Session, actor: User, grid: SlotGrid) -> None:
    record(session, user=actor, action="grid.delete", entity=grid, unit=grid.unit.code if grid.unit else "")
    session.delete(grid)
    session.flush()


def copy_inherited(session: Session, actor: User, unit: Unit, channel: str) -> list[SlotGrid]:
    """Give the unit its own copy of the grids it inherits for `channel`, to edit them there."""
    if any(g.channel == channel for g in own_grids(session, unit)):
        raise GridError({"channel": f"{unit.name} đã có khung giờ riêng cho kênh này."})
    _, grids = inherited_grids(session, unit, channel)
    if not grids:
        raise GridError({"channel": "Không có khung giờ nào để sao chép."})
    return [create_grid(session, actor, unit, {
        "channel": g.channel, "name": g.name, "weekdays": fmt_weekdays(g.weekdays),
        "start": g.start_time.strftime("%H:%M"), "end": g.end_time.strftime("%H:%M"),
        "capacity": str(_capacity_number(g)), "valid_from": localtime.fmt_date(g.valid_from),
        "valid_to": localtime.fmt_date(g.valid_to)}) for g in grids]


def preview(session: Session, unit: Unit, channel: str = "loudspeaker", limit: int = 200) -> list[str]:
    """One line per group of targets at or below `unit` with the same sessions, e.g.
    "Thôn 7: sáng 06:00–06:20, chiều 17:30–17:50, T2–T7"."""
    targets = targets_in(session, unit, channel)[:limit]
    resolved = grid_specs_for(session, targets, channel)
    groups: OrderedDict[str, list[str]] = OrderedDict()
    for target in targets:
        text = describe(resolved[target.id], channel)
        groups.setdefault(text, []).append(target.unit.name if channel == "loudspeaker" else target.name)
    return [f"{', '.join(names)}: {text}" for text, names in groups.items()]


def describe(specs, channel: str = "loudspeaker") -> str:
    """Sessions in words: "sáng 06:00–06:20, chiều 17:30–17:50, T2–T7" (days per session when they differ)."""
    if not specs:
        return "chưa có khung giờ (không được xếp lịch)"
    days = {g.weekdays for g in specs}
    parts = [f"{_part_of_day(g.start)} {g.start.strftime('%H:%M')}–{g.end.strftime('%H:%M')}"
             + ("" if len(days) == 1 else f" ({fmt_weekdays(g.weekdays)})") for g in specs]
    return ", ".join(parts) + (f", {fmt_weekdays(next(iter(days)))}" if len(days) == 1 else "")


def fmt_weekdays(mask: int) -> str:
    """A weekday mask as written in the files: "T2–CN", "T2–T7", "T2, T4, T6"."""
    runs, start = [], None
    for bit in range(8):
        on = bit < 7 and mask & (1 << bit)
        if on and start is None:
            start = bit
        elif not on and start is not None:
            runs.append(DAY_NAMES[start] if bit - 1 == start else f"{DAY_NAMES[start]}–{DAY_NAMES[bit - 1]}")
            start = None
    return ", ".join(runs)


def _part_of_day(at: dt.time) -> str:
    return "sáng" if at.hour < 11 else "trưa" if at.hour < 14 else "chiều" if at.hour < 18 else "tối"


def _capacity_number(grid: SlotGrid) -> int:
    per = 60 if grid.channel == "loudspeaker" else ONLINE_POST_SECONDS
    return max(1, grid.capacity_seconds // per)


def _values(data: dict) -> dict:
    errors: dict[str, str] = {}
    channel = str(data.get("channel") or "")
    if channel not in GRID_CHANNELS:
        errors["channel"] = "Chọn kênh: " + ", ".join(CHANNEL_LABELS.get(c, c) for c in GRID_CHANNELS) + "."
    name = str(data.get("name") or "").strip() or "Khung giờ phát"
    try:
        weekdays = parse_weekdays(str(data.get("weekdays") or "").replace("–", "-"))
    except ValueError as exc:
        weekdays, errors["weekdays"] = 0, f"Ngày trong tuần: {exc} (ví dụ T2-T7 hoặc T2,T4,T6)."
    start, end = _time(data, "start", errors), _time(data, "end", errors)
    if start and end and end <= start:
        errors["end"] = "Giờ kết thúc phải sau giờ bắt đầu (cùng ngày)."
    capacity = str(data.get("capacity") or "").strip()
    if not (capacity.isascii() and capacity.isdigit() and 1 <= int(capacity) <= 600):
        errors["capacity"] = "Sức chứa: số phút phát (loa) hoặc số bài (trực tuyến), từ 1 đến 600."
    elif start and end and channel == "loudspeaker" and int(capacity) * 60 > (
            dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)).seconds:
        errors["capacity"] = "Số phút phát không được dài hơn buổi phát."
    valid_from, valid_to = _date(data, "valid_from", errors), _date(data, "valid_to", errors)
    if valid_from and valid_to and valid_to < valid_from:
        errors["valid_to"] = "Ngày hết hiệu lực trước ngày bắt đầu."
    if errors:
        raise GridError(errors)
    per = 60 if channel == "loudspeaker" else ONLINE_POST_SECONDS
    return {"channel": channel, "name": name[:200], "weekdays": weekdays, "start_time": start, "end_time": end,
            "capacity_seconds": int(capacity) * per, "valid_from": valid_from, "valid_to": valid_to}


def _time(data: dict, key: str, errors: dict) -> dt.time | None:
    match = TIME_RE.match(str(data.get(key) or "").strip())
    if not match:
        errors[key] = "Giờ dạng HH:MM, ví dụ 06:00."
        return None
    return dt.time(int(match.group(1)), int(match.group(2)))


def _date(data: dict, key: str, errors: dict) -> dt.date | None:
    text = str(data.get(key) or "").strip()
    if not text:
        return None
    try:
        return localtime.parse_date(text)
    except ValueError:
        errors[key] = "Ngày dạng dd/mm/yyyy."
        return None


def _free_code(session: Session, base: str) -> str:
    n = session.scalar(select(func.count()).select_from(SlotGrid).where(SlotGrid.code.startswith(base))) + 1
    while session.scalar(select(func.count()).select_from(SlotGrid).where(SlotGrid.code == f"{base}-{n}")):
        n += 1
    return f"{base}-{n}"[:100]
