"""Input checks that raise ScheduleInputError with a Vietnamese message."""
from __future__ import annotations

from datetime import date, datetime

from planner.scheduling.calendar import capacity_of
from planner.scheduling.specs import PRIORITY_RANK, WINDOW_KINDS, ScheduleInputError


def _fail(text: str) -> None:
    """Raise the input error."""
    raise ScheduleInputError(text)


def _check_dates(first: date | None, last: date | None, what: str) -> None:
    """A date range must not end before it starts."""
    if first and last and last < first:
        _fail(f"{what}: ngày kết thúc {last:%d/%m/%Y} trước ngày bắt đầu {first:%d/%m/%Y}")


def check_grid(grid) -> None:
    """One grid: end after start, a weekday mask, non-negative capacity, sane validity."""
    name = f"Khung giờ {grid.id}"
    if grid.end <= grid.start:
        _fail(f"{name}: giờ kết thúc {grid.end:%H:%M} phải sau giờ bắt đầu {grid.start:%H:%M}")
    if not 0 < grid.weekdays < 128:
        _fail(f"{name}: phải chọn ít nhất một ngày trong tuần (mặt nạ {grid.weekdays} không hợp lệ)")
    if grid.capacity_s < 0:
        _fail(f"{name}: thời lượng tối đa không được âm")
    _check_dates(grid.valid_from, grid.valid_to, name)


def _overlap(a, b) -> bool:
    """Two grids can put sessions at the same time on the same day."""
    if not a.weekdays & b.weekdays or not (a.start < b.end and b.start < a.end):
        return False
    return (a.valid_from or date.min) <= (b.valid_to or date.max) and \
        (b.valid_from or date.min) <= (a.valid_to or date.max)


def check_target_grids(target_id: int, grids) -> None:
    """Each grid valid, and no two grids of one target overlapping in time."""
    for index, grid in enumerate(grids):
        check_grid(grid)
        for other in grids[index + 1:]:
            if _overlap(grid, other):
                _fail(f"Mục tiêu {target_id}: khung giờ {grid.id} ({grid.start:%H:%M}–{grid.end:%H:%M}) "
                      f"chồng lên khung giờ {other.id} ({other.start:%H:%M}–{other.end:%H:%M})")


def check_message(message, target_ids: set[int]) -> None:
    """Priority known, no negative numbers, known targets, sane validity."""
    name = _label(message)
    if message.priority not in PRIORITY_RANK:
        _fail(f"{name}: mức ưu tiên '{message.priority}' không hợp lệ")
    for field, label in (("duration_s", "thời lượng"), ("min_per_week", "số lần tối thiểu mỗi tuần"),
                         ("peak_per_day", "số lần mỗi ngày cao điểm"),
                         ("min_gap_hours", "khoảng cách tối thiểu")):
        if getattr(message, field) < 0:
            _fail(f"{name}: {label} không được âm")
    _check_dates(message.valid_from, message.valid_to, name)
    if not 0 < message.weekdays <= 0b1111111:
        _fail(f"{name}: ngày trong tuần phải có ít nhất một ngày (T2…CN)")
    unknown = sorted((message.target_ids or frozenset()) - target_ids)
    if unknown:
        more = f" và {len(unknown) - 5} mục tiêu khác" if len(unknown) > 5 else ""
        _fail(f"{name}: không có mục tiêu {', '.join(map(str, unknown[:5]))}{more}")


def check_window(window) -> None:
    """Kind known and the range in order."""
    if window.kind not in WINDOW_KINDS:
        _fail(f"Đợt {window.id}: loại '{window.kind}' không hợp lệ (chỉ 'peak' hoặc 'blackout')")
    _check_dates(window.starts_on, window.ends_on, f"Đợt {window.id}")


def check_fixed(item, target_ids: set[int]) -> None:
    """A fixed item names a known target, an aware time and a non-negative duration."""
    if item.target_id not in target_ids:
        _fail(f"Lượt đã ghim của tin {item.message_id}: không có mục tiêu {item.target_id}")
    if item.session_start.tzinfo is None:
        _fail(f"Lượt đã ghim của tin {item.message_id}: thời điểm phải có múi giờ")
    if item.duration_s < 0:
        _fail(f"Lượt đã ghim của tin {item.message_id}: thời lượng không được âm")
    if item.priority not in PRIORITY_RANK:
        _fail(f"Lượt đã ghim của tin {item.message_id}: mức ưu tiên '{item.priority}' không hợp lệ")


def check_fits_somewhere(message, longest: dict[int, int]) -> None:
    """A message longer than every session of every target it could go into is an input error."""
    scope = longest.keys() if message.target_ids is None else message.target_ids
    capacities = [longest[tid] for tid in scope if longest[tid] >= 0]
    if capacities and message.duration_s > max(capacities):
        _fail(f"{_label(message)} dài {message.duration_s} giây, vượt mọi phiên phát "
              f"(phiên dài nhất {max(capacities)} giây)")


def check_inputs(targets, messages, windows, fixed, start: date, end: date, now: datetime) -> None:
    """Run every input check; raise ScheduleInputError on the first problem."""
    if end < start:
        _fail(f"Khoảng lập lịch: ngày kết thúc {end:%d/%m/%Y} trước ngày bắt đầu {start:%d/%m/%Y}")
    if now.tzinfo is None:
        _fail("Thời điểm hiện tại (now) phải có múi giờ")
    target_ids = {t.id for t in targets}
    if len(target_ids) != len(targets):
        _fail("Danh sách mục tiêu có mã trùng nhau")
    longest_of: dict[tuple, int] = {}
    for grids, target_id in {t.grids: t.id for t in targets}.items():
        check_target_grids(target_id, list(grids))
        longest_of[grids] = max((capacity_of(g) for g in grids), default=-1)
    longest = {t.id: longest_of[t.grids] for t in targets}
    for window in windows:
        check_window(window)
    for message in messages:
        check_message(message, target_ids)
        check_fits_somewhere(message, longest)
    for item in fixed:
        check_fixed(item, target_ids)


def _label(message) -> str:
    """'Tin 'title'' when the title is known, else 'Tin #id'."""
    return f"Tin '{message.title}'" if getattr(message, "title", "") else f"Tin #{message.id}"
