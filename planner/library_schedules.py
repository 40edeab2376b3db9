"""Read schedules/ (broadcast targets, time grids, peak/blackout windows) into validated, frozen records."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import holidays

from planner.channels import CHANNEL_LABELS
from planner.library_checks import Fields, LineMap, Report, channel_list, check_channel, load_file, top_list

ONLINE_CHANNELS = ("fanpage", "zalo", "portal")
WINDOW_KINDS = ("peak", "blackout")
WEEKDAY_BITS = {"T2": 0, "T3": 1, "T4": 2, "T5": 3, "T6": 4, "T7": 5, "CN": 6}
# One online post occupies this many seconds of a slot's capacity (capacity_posts × 60).
ONLINE_POST_SECONDS = 60
DEFAULT_NAME_PATTERN = "Cụm loa {unit_name}"


@dataclass(frozen=True)
class TargetRecord:
    code: str
    unit_code: str
    channel: str
    name: str
    external_id: str


@dataclass(frozen=True)
class GridRecord:
    code: str
    name: str
    channel: str
    unit_code: str | None
    target_code: str | None
    weekdays: int
    start: dt.time
    end: dt.time
    capacity_seconds: int
    valid_from: dt.date | None
    valid_to: dt.date | None


@dataclass(frozen=True)
class WindowRecord:
    code: str
    name: str
    kind: str
    starts_on: dt.date
    ends_on: dt.date
    is_yearly: bool
    channels: tuple[str, ...]
    plan_code: str | None
    unit_code: str | None = None    # a unit's window, inherited by the targets at and below it


@dataclass(frozen=True)
class ExemptionRecord:
    """One plan airing on one automatic holiday (a plan-less blackout window `le-YYYY-MM-DD`)."""

    plan_code: str
    window_code: str
    file: str = field(default="", compare=False)
    line: int | None = field(default=None, compare=False)


def parse_weekdays(text) -> int:
    """Parse "T2-CN", "T2-T6", "T2,T4,T6" or a list [T2, T4] into a bit mask (bit 0 = Monday)."""
    parts = text if isinstance(text, (list, tuple)) else str(text or "").split(",")
    mask = 0
    for part in (str(p).strip().upper() for p in parts):
        if not part:
            continue
        first, _, last = (s.strip() for s in part.partition("-"))
        last = last or first
        if first not in WEEKDAY_BITS or last not in WEEKDAY_BITS:
            raise ValueError(f"thứ '{part}' không hợp lệ (dùng T2…T7, CN)")
        if WEEKDAY_BITS[last] < WEEKDAY_BITS[first]:
            raise ValueError(f"khoảng thứ '{part}' bị ngược (T2 là đầu tuần, CN là cuối tuần)")
        for bit in range(WEEKDAY_BITS[first], WEEKDAY_BITS[last] + 1):
            mask |= 1 << bit
    if not mask:
        raise ValueError("không có ngày nào trong tuần")
    return mask


def format_weekdays(mask: int) -> str:
    """A weekday mask in the same syntax parse_weekdays reads: "T2-CN", "T2-T7", "T2,T4,T6"."""
    names = list(WEEKDAY_BITS)
    runs, bit = [], 0
    while bit < 7:
        if mask >> bit & 1:
            end = bit
            while end + 1 < 7 and mask >> (end + 1) & 1:
                end += 1
            runs.append(names[bit] if end == bit else f"{names[bit]}-{names[end]}")
            bit = end + 1
        else:
            bit += 1
    return ",".join(runs)


HOLIDAY_KEYS = {"source", "years", "kind", "channels"}
TARGETS_FILE_KEYS = {"loudspeaker", "online"}
LOUDSPEAKER_KEYS = {"per_village", "name_pattern"}
ONLINE_TARGET_KEYS = {"code", "unit", "channel", "name", "external_id"}
WINDOWS_FILE_KEYS = {"windows", "holidays", "exemptions"}
EXEMPTION_KEYS = {"plan", "holiday"}
HOLIDAY_PREFIX = "le-"


def holiday_dates(f: Fields) -> list[tuple[dt.date, str]]:
    """Expand a `holidays:` rule ({source: holidays.VN, years: [first, last]}) into (date, name)."""
    f.only(HOLIDAY_KEYS)
    f.choice("source", ("holidays.VN",), label="nguồn ngày lễ")
    years = f.data.get("years")
    if not (isinstance(years, list) and len(years) == 2 and all(type(y) is int for y in years)
            and 1900 < years[0] <= years[1] < 2200):
        f.problem("years", "cần dạng [năm đầu, năm cuối], ví dụ [2023, 2031]")
        return []
    # holidays.VN follows the Vietnamese lunar calendar (Tết, Giỗ Tổ) and the make-up days off.
    language = "vi" if "vi" in getattr(holidays.VN, "supported_languages", ()) else None
    calendar = holidays.VN(years=range(years[0], years[1] + 1), language=language)
    return sorted(calendar.items())


@dataclass
class Schedules:
    """What one schedules folder holds; the loader copies it into the Library."""

    targets: list[TargetRecord] = field(default_factory=list)
    per_village: bool = False
    name_pattern: str = DEFAULT_NAME_PATTERN
    grids: list[GridRecord] = field(default_factory=list)
    windows: list[WindowRecord] = field(default_factory=list)
    exemptions: list[ExemptionRecord] = field(default_factory=list)


def read_schedules(report: Report, folder: Path, plan_codes: set[str]) -> Schedules:
    """Read targets.yaml, grids.yaml and windows.yaml (each optional) from one folder."""
    out, name = Schedules(), folder.name
    if not folder.is_dir():
        report.add(name, None, "-", "không tìm thấy thư mục lịch phát")
        return out
    data = load_file(report, folder / "targets.yaml", f"{name}/targets.yaml")
    if data is not None:
        _targets(Fields(report, f"{name}/targets.yaml", data), out)
    data = load_file(report, folder / "grids.yaml", f"{name}/grids.yaml")
    targets = {t.code: t for t in out.targets}
    seen: dict = {}
    for f in top_list(report, f"{name}/grids.yaml", data, "grids").items("grids"):
        out.grids.append(_grid(f, targets, seen))
    data = load_file(report, folder / "windows.yaml", f"{name}/windows.yaml")
    if data is not None:
        top = top_list(report, f"{name}/windows.yaml", data, "windows")
        out.windows = _windows(top, plan_codes)
        out.exemptions = _exemptions(top, out.windows, plan_codes)
    return out


def _targets(f: Fields, out: Schedules) -> None:
    f.only(TARGETS_FILE_KEYS)
    loud = Fields(f.report, f.file, f.data.get("loudspeaker", LineMap()), "loudspeaker.", f.line())
    loud.only(LOUDSPEAKER_KEYS)
    out.per_village = loud.flag("per_village")
    out.name_pattern = loud.text("name_pattern", required=False, default=DEFAULT_NAME_PATTERN)
    try:
        out.name_pattern.format(unit_name="")
    except (KeyError, IndexError, ValueError):
        loud.problem("name_pattern", "mẫu tên chỉ được dùng {unit_name}")
    seen: dict = {}
    for item in f.items("online"):
        item.only(ONLINE_TARGET_KEYS)
        code, channel = item.code(), check_channel(item, "channel")
        item.unique(seen, code)
        if channel in CHANNEL_LABELS and channel not in ONLINE_CHANNELS:
            item.problem("channel", f"đích phát trực tuyến chỉ dùng kênh {', '.join(ONLINE_CHANNELS)}")
        out.targets.append(TargetRecord(code, item.unit(), channel, item.text("name", missing="thiếu tên"),
                                        item.text("external_id", required=False)))


GRID_KEYS = {"code", "name", "channel", "unit", "target", "weekdays", "start", "end", "capacity_minutes",
             "capacity_posts", "valid_from", "valid_to", "note"}


def _grid(f: Fields, targets: dict[str, TargetRecord], seen: dict) -> GridRecord:
    f.only(GRID_KEYS)
    code, channel = f.code(max_len=100), check_channel(f, "channel")
    f.unique(seen, code)
    unit, target = f.unit("unit", required=False), f.text("target", required=False)
    if bool(unit) == bool(target):
        f.problem("unit", "cần đúng một trong hai trường 'unit' hoặc 'target'")
    if target and target not in targets:
        f.problem("target", f"không có đích phát mã '{target}'")
    elif target and channel and targets[target].channel != channel:
        f.problem("target", f"đích phát '{target}' thuộc kênh '{targets[target].channel}', "
                            f"không phải '{channel}'")
    start, end = f.time("start"), f.time("end")
    f.order("end", start, end, "giờ kết thúc phải sau giờ bắt đầu")
    valid_from, valid_to = f.date("valid_from"), f.date("valid_to")
    f.order("valid_to", valid_from, valid_to, "ngày kết thúc trước ngày bắt đầu")
    return GridRecord(code, f.text("name", missing="thiếu tên"), channel, unit or None, target or None,
                      _weekdays(f), start, end, _capacity(f, channel, start, end), valid_from, valid_to)


def _weekdays(f: Fields) -> int:
    try:
        return parse_weekdays(f.data.get("weekdays", "T2-CN"))
    except ValueError as exc:
        f.problem("weekdays", str(exc))
        return 0


def _capacity(f: Fields, channel: str, start: dt.time | None, end: dt.time | None) -> int:
    """Seconds a session can hold: capacity_minutes for loudspeakers, capacity_posts online."""
    if channel == "loudspeaker":
        key, other, unit = "capacity_minutes", "capacity_posts", 60
    else:
        key, other, unit = "capacity_posts", "capacity_minutes", ONLINE_POST_SECONDS
    if channel and channel not in ONLINE_CHANNELS + ("loudspeaker",):
        f.problem("channel", f"kênh '{channel}' không dùng khung giờ phát")
    if f.has(other):
        f.problem(other, f"kênh '{channel}' dùng trường '{key}'")
    if not f.has(key):
        f.problem(key, f"thiếu sức chứa ('{key}')")
        return 0
    seconds = (f.integer(key, minimum=1) or 0) * unit
    if channel == "loudspeaker" and start and end and start < end:
        length = (dt.datetime.combine(dt.date.min, end) - dt.datetime.combine(dt.date.min, start)).seconds
        if seconds > length:
            f.problem(key, "sức chứa dài hơn khung giờ")
    return seconds


WINDOW_KEYS = {"code", "name", "kind", "starts_on", "ends_on", "yearly", "channels", "plan", "unit", "note"}


def _windows(top: Fields, plan_codes: set[str]) -> list[WindowRecord]:
    top.only(WINDOWS_FILE_KEYS)
    seen: dict = {}
    windows = [_window(f, seen, plan_codes) for f in top.items("windows")]
    if "holidays" in top.data:
        rule = Fields(top.report, top.file, top.data["holidays"], "holidays.", top.line("holidays"))
        windows += _holiday_windows(rule, seen)
    return windows


def _window(f: Fields, seen: dict, plan_codes: set[str]) -> WindowRecord:
    f.only(WINDOW_KEYS)
    code, yearly = f.code(max_len=100), f.flag("yearly")
    f.unique(seen, code)
    starts = f.date("starts_on", required=True, yearly=yearly)
    ends = f.date("ends_on", required=True, yearly=yearly)
    f.order("ends_on", starts, ends, "ngày kết thúc trước ngày bắt đầu")
    plan = f.text("plan", required=False)
    if plan and plan not in plan_codes:
        f.problem("plan", f"không có kế hoạch mã '{plan}'")
    unit = f.unit("unit", required=False)
    if plan and unit:
        f.problem("unit", "một khung thuộc một kế hoạch hoặc một đơn vị, không cả hai")
    kind = f.choice("kind", WINDOW_KINDS, label="loại khung thời gian")
    return WindowRecord(code, f.text("name", missing="thiếu tên"), kind, starts, ends, yearly,
                        tuple(channel_list(f, "channels")), plan or None, unit or None)


def _holiday_windows(rule: Fields, seen: dict) -> list[WindowRecord]:
    """One blackout (or peak) window per public holiday, coded le-YYYY-MM-DD."""
    kind = rule.choice("kind", WINDOW_KINDS, default="blackout", label="loại khung thời gian")
    channels = tuple(channel_list(rule, "channels"))
    windows = []
    for day, name in holiday_dates(rule):
        rule.unique(seen, f"le-{day.isoformat()}", key="years")
        windows.append(WindowRecord(f"{HOLIDAY_PREFIX}{day.isoformat()}", name, kind, day, day, False, channels, None))
    return windows


def is_automatic_holiday(window: WindowRecord) -> bool:
    """A window a plan may be exempted from: a plan-less, unit-less blackout coded le-…."""
    return (window.code.startswith(HOLIDAY_PREFIX) and window.plan_code is None and window.unit_code is None
            and window.kind == "blackout")


def _exemptions(top: Fields, windows: list[WindowRecord], plan_codes: set[str]) -> list[ExemptionRecord]:
    """`exemptions:` [{plan, holiday}]: the plan airs on that automatic holiday (the file's or the database's)."""
    here = {w.code: w for w in windows}
    seen: set[tuple[str, str]] = set()
    out = []
    for f in top.items("exemptions"):
        f.only(EXEMPTION_KEYS)
        plan = f.text("plan", missing="thiếu mã kế hoạch ('plan')")
        if plan and plan not in plan_codes:
            f.problem("plan", f"không có kế hoạch mã '{plan}'")
        code = f.code("holiday", max_len=100)
        if code and not code.startswith(HOLIDAY_PREFIX):
            f.problem("holiday", f"chỉ miễn được ngày nghỉ lễ tự động (mã '{HOLIDAY_PREFIX}YYYY-MM-DD')")
        elif code in here and not is_automatic_holiday(here[code]):
            f.problem("holiday", f"khung '{code}' không phải ngày nghỉ lễ tự động (tạm dừng, không thuộc "
                                 "kế hoạch hay đơn vị nào)")
        if (plan, code) in seen:
            f.problem("holiday", f"kế hoạch '{plan}' đã được miễn ngày '{code}' ở trên")
        seen.add((plan, code))
        out.append(ExemptionRecord(plan, code, f.file, f.line("holiday")))
    return out
