"""Load content_library/ and schedules/ into validated, frozen records (one loader, all problems at once)."""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from planner.library_checks import (
    Fields, LibraryError, LineMap, Problem, Report, channel_list, check_channel, load_file, parse_date,
    plain, read_text, split_front_matter, top_list,
)
from planner.library_schedules import (
    ONLINE_POST_SECONDS, GridRecord, Schedules, TargetRecord, WindowRecord, parse_weekdays, read_schedules,
)

__all__ = [
    "AudienceRecord", "GridRecord", "Library", "LibraryError", "MessageRecord", "PlanRecord",
    "Problem", "TargetRecord", "UnitRecord", "WindowRecord", "load_library", "load_units_csv",
    "parse_date", "parse_weekdays", "ONLINE_POST_SECONDS",
]

UNIT_KINDS = ("country", "province", "commune", "village", "agency", "department", "print_shop")
PRIORITIES = ("normal", "priority", "emergency")
STATUSES = ("approved", "draft")
PERIOD_RULES = ("decree_09", "calendar")
REPORT_FREQUENCIES = ("monthly", "six_monthly", "annual", "once")


@dataclass(frozen=True)
class UnitRecord:
    code: str
    name: str
    kind: str
    parent_code: str | None
    duties: str


@dataclass(frozen=True)
class AudienceRecord:
    code: str
    name: str


@dataclass(frozen=True)
class PlanRecord:
    code: str
    number: str
    issuer: str
    unit_code: str
    place: str
    issued_on: dt.date | None
    title: str
    summary: str
    starts_on: dt.date
    ends_on: dt.date | None
    period_rule: str
    replan_missed: bool
    audiences: tuple[AudienceRecord, ...]
    themes: tuple[tuple[str, str], ...]
    channels: tuple[str, ...]
    # Left out of ==/hash so records stay hashable; the importer stores it as JSON.
    details: dict = field(compare=False, hash=False)


@dataclass(frozen=True)
class MessageRecord:
    plan_code: str
    code: str
    title: str
    audience_code: str
    channel: str
    theme: str
    priority: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    min_per_week: int
    peak_per_day: int
    min_gap_hours: int
    status: str
    audio_seconds: int | None
    body_md: str
    source: str


@dataclass(frozen=True)
class Library:
    units: tuple[UnitRecord, ...]
    plans: tuple[PlanRecord, ...]
    messages: tuple[MessageRecord, ...]
    targets: tuple[TargetRecord, ...]
    loudspeaker_per_village: bool
    loudspeaker_name_pattern: str
    grids: tuple[GridRecord, ...]
    windows: tuple[WindowRecord, ...]


def load_library(content_dir: Path, schedules_dir: Path | None = None, *,
                 known_unit_codes: frozenset[str] = frozenset(),
                 known_plan_codes: frozenset[str] = frozenset()) -> Library:
    """Read and check the whole library; raise LibraryError listing every problem found."""
    report, seen = Report(), {}
    # Any part may be missing (no units.yaml, no villages, even no content folder at all):
    # references then resolve against the codes the database already has.
    units, plans, messages = _read_content(report, Path(content_dir), seen)
    schedules = Schedules()
    if schedules_dir is not None:
        plan_codes = {p.code for p in plans} | set(known_plan_codes)
        schedules = read_schedules(report, Path(schedules_dir), plan_codes)
    report.resolve_units({u.code for u in units} | set(known_unit_codes))
    ordered = _parents_first(report, units, seen)
    if report.problems:
        raise LibraryError(report.problems)
    return Library(ordered, tuple(plans), tuple(messages), tuple(schedules.targets),
                   schedules.per_village, schedules.name_pattern, tuple(schedules.grids),
                   tuple(schedules.windows))


def _read_content(report: Report, root: Path, seen: dict) -> tuple[list, list, list]:
    """Units (units.yaml, villages/*.csv), plans and messages under `root`, if it exists."""
    if not root.is_dir():
        return [], [], []
    units = _read_units_yaml(report, root, seen)
    for path in sorted((root / "villages").glob("*.csv")):
        units += _read_units_csv(report, path, path.relative_to(root).as_posix(), seen)
    return (units, *_read_plans(report, root))


def load_units_csv(path: Path, *, known_unit_codes: frozenset[str] = frozenset()) -> tuple[UnitRecord, ...]:
    """Read a units CSV (code,name,parent_code[,kind]); parents must be in it or already known."""
    path, report, seen = Path(path), Report(), {}
    units = _read_units_csv(report, path, path.name, seen)
    report.resolve_units({u.code for u in units} | set(known_unit_codes))
    ordered = _parents_first(report, units, seen)
    if report.problems:
        raise LibraryError(report.problems)
    return ordered


# ---------------------------------------------------------------- units


def _read_units_yaml(report: Report, root: Path, seen: dict) -> list[UnitRecord]:
    data = load_file(report, root / "units.yaml", "units.yaml")
    if data is None:
        return []
    units = []
    for f in top_list(report, "units.yaml", data, "units").items("units", required=True):
        f.only({"code", "name", "kind", "parent", "duties"})
        units.append(_unit(f, seen, "parent"))
    return units


def _unit(f: Fields, seen: dict, parent_key: str, default_kind: str | None = None) -> UnitRecord:
    code = f.code()
    name = f.text("name", missing="thiếu tên đơn vị")
    kind = f.choice("kind", UNIT_KINDS, default=default_kind, label="loại đơn vị")
    parent = f.unit(parent_key, required=False) or None
    # A village's code only has to be unique within its commune (two communes both have thon-01).
    f.unique(seen, f"{parent}/{code}" if kind == "village" and code else code)
    return UnitRecord(code, name, kind, parent, f.text("duties", required=False))


def _read_units_csv(report: Report, path: Path, file: str, seen: dict) -> list[UnitRecord]:
    text = read_text(report, path, file)
    reader = csv.DictReader(io.StringIO(text or "", newline=""))
    missing = {"code", "name", "parent_code"} - set(reader.fieldnames or [])
    if text is None or missing:
        if missing and text is not None:
            report.add(file, 1, ",".join(sorted(missing)), "thiếu cột trong dòng tiêu đề")
        return []
    units = []
    for row in reader:
        data = LineMap({k: v.strip() for k, v in row.items() if k and isinstance(v, str) and v.strip()})
        data.line, data.key_lines = reader.line_num, {}
        f = Fields(report, file, data)
        if not data.get("parent_code"):
            f.problem("parent_code", "thiếu mã đơn vị cấp trên")
        units.append(_unit(f, seen, "parent_code", default_kind="village"))
    return units


def _parents_first(report: Report, units: list[UnitRecord], seen: dict) -> tuple[UnitRecord, ...]:
    """Order units so each parent comes before its children; report cycles."""
    by_code = {u.code: u for u in units if u.kind != "village"}  # villages are nobody's parent

    def key(u: UnitRecord):
        return (u.parent_code, u.code) if u.kind == "village" else u.code

    placed: dict = {}
    for unit in units:
        chain, current = [], unit
        while current and key(current) not in placed and current not in chain:
            chain.append(current)
            current = by_code.get(current.parent_code)
        if current in chain:
            file, line = seen.get(current.code, ("units.yaml", None))
            report.add(file, line, "parent", f"đơn vị '{current.code}' nằm trong một vòng lặp cấp trên")
            chain = chain[:chain.index(current)]
        for item in reversed(chain):
            placed[key(item)] = item
    return tuple(placed.values())


# ---------------------------------------------------------------- plans and messages


def _plan_dirs(report: Report, root: Path) -> list[Path]:
    if (root / "plan.yaml").is_file():
        return [root]
    base = root / "plans"
    if not base.is_dir():
        return sorted(p for p in root.iterdir() if (p / "plan.yaml").is_file())
    folders = sorted(p for p in base.iterdir() if p.is_dir())
    for folder in folders:
        if not (folder / "plan.yaml").is_file():
            report.add(folder.relative_to(root).as_posix(), None, "plan.yaml", "thiếu tệp plan.yaml")
    return [p for p in folders if (p / "plan.yaml").is_file()]


def _read_plans(report: Report, root: Path) -> tuple[list[PlanRecord], list[MessageRecord]]:
    plans, messages, seen = [], [], {}
    for folder in _plan_dirs(report, root):
        file = (folder / "plan.yaml").relative_to(root).as_posix()
        data = load_file(report, folder / "plan.yaml", file)
        plan = _plan(Fields(report, file, data), folder.name, seen) if data is not None else None
        if plan is not None:
            plans.append(plan)
        for path in sorted((folder / "messages").glob("*.md")):
            message = _read_message(report, path, path.relative_to(root).as_posix(), plan)
            if message is not None:
                messages.append(message)
    return plans, messages


PLAN_KEYS = {"code", "number", "issuer", "unit", "place", "issued_on", "title", "summary", "starts_on",
             "ends_on", "period_rule", "replan_missed", "audiences", "themes", "channels", "details",
             "notes"}


def _plan(f: Fields, folder_name: str, seen: dict) -> PlanRecord:
    f.only(PLAN_KEYS)
    code = f.code()
    f.unique(seen, code)
    if code and code != folder_name:
        f.problem("code", f"mã kế hoạch '{code}' phải trùng tên thư mục '{folder_name}'")
    starts, ends = f.date("starts_on", required=True), f.date("ends_on")
    f.order("ends_on", starts, ends, "ngày kết thúc trước ngày bắt đầu")
    audiences = tuple(AudienceRecord(c, n) for c, n in _code_names(f, "audiences", required=True))
    themes = tuple(_code_names(f, "themes"))
    channels = tuple(channel_list(f, "channels", required=True))
    notes = plain(f.data.get("notes") or [])
    details = _check_details(f) | {  # the importer stores details as JSON: keep a copy of everything
        "audiences": [{"code": a.code, "name": a.name} for a in audiences],
        "themes": [{"code": c, "name": n} for c, n in themes], "channels": list(channels),
        "notes": [notes] if isinstance(notes, str) else notes}
    return PlanRecord(
        code, f.text("number"), f.text("issuer"), f.unit(), f.text("place"), f.date("issued_on"),
        f.text("title", missing="thiếu tiêu đề"), f.text("summary", required=False), starts, ends,
        f.choice("period_rule", PERIOD_RULES, default="decree_09", label="quy tắc kỳ báo cáo"),
        f.flag("replan_missed"), audiences, themes, channels, details)


def _code_names(f: Fields, key: str, *, required: bool = False) -> list[tuple[str, str]]:
    """A list of {code, name} items with unique codes."""
    pairs, seen = [], {}
    for item in f.items(key, required=required):
        item.only({"code", "name"})
        code = item.code()
        item.unique(seen, code)
        pairs.append((code, item.text("name", missing="thiếu tên")))
    return pairs


def _check_details(f: Fields) -> dict:
    """Check the structured parts of a plan's `details`; the rest passes through as plain data."""
    data = f.data.get("details")
    if data is None:
        return {}
    d = Fields(f.report, f.file, data, "details.", f.line("details"))
    for item in d.items("indicators"):
        item.only({"name", "target", "from", "deadline", "note"})
        item.text("name"), item.text("target")
        item.order("deadline", item.date("from"), item.date("deadline"), "hạn chót trước ngày bắt đầu")
    for item in d.items("duties"):
        item.only({"unit", "role", "tasks"})
        item.unit(), item.strings("tasks", required=True)
    for item in d.items("deadlines"):
        item.only({"what", "due", "yearly", "unit"})
        item.text("what"), item.unit()
        item.date("due", required=True, yearly=item.flag("yearly"))
    for item in d.items("reporting"):
        item.only({"unit", "to", "via", "frequency", "due", "note"})
        item.unit(), item.text("to"), item.unit("via", required=False)
        frequency = item.choice("frequency", REPORT_FREQUENCIES, label="kỳ báo cáo")
        item.date("due", required=frequency == "once")
    for key in ("purposes", "requirements", "funding"):
        d.strings(key)
    return plain(d.data)


MESSAGE_KEYS = {"code", "title", "audience", "channel", "theme", "priority", "valid_from", "valid_to",
                "min_per_week", "peak_per_day", "min_gap_hours", "status", "audio_seconds"}


def _read_message(report: Report, path: Path, file: str, plan: PlanRecord | None) -> MessageRecord | None:
    text = read_text(report, path, file)
    data, body, body_line = split_front_matter(report, file, text) if text is not None else (None, "", 1)
    if data is None:
        return None
    f = Fields(report, file, data)
    f.only(MESSAGE_KEYS)
    code = f.code(required=False, max_len=100) or path.stem
    if code != path.stem:
        f.problem("code", f"mã '{code}' phải trùng tên tệp '{path.stem}'")
    title = f.text("title", missing="thiếu tiêu đề")
    if len(title) > 300:
        f.problem("title", "tiêu đề dài quá 300 ký tự")
    if not body:
        report.add(file, body_line, "body", "thiếu nội dung")
    valid_from, valid_to = f.date("valid_from"), f.date("valid_to")
    f.order("valid_to", valid_from, valid_to, "ngày hết hiệu lực trước ngày bắt đầu hiệu lực")
    audience, theme, channel = _message_refs(f, plan)
    return MessageRecord(
        plan.code if plan else "", code, title, audience, channel, theme,
        f.choice("priority", PRIORITIES, default="normal", label="mức ưu tiên"), valid_from, valid_to,
        f.integer("min_per_week"), f.integer("peak_per_day"), f.integer("min_gap_hours"),
        f.choice("status", STATUSES, default="approved", label="trạng thái"),
        f.integer("audio_seconds", default=None, minimum=1), body, file)


def _message_refs(f: Fields, plan: PlanRecord | None) -> tuple[str, str, str]:
    """Audience, theme and channel of a message, checked against its plan."""
    audience = f.text("audience", missing="thiếu nhóm đối tượng ('audience')")
    theme = f.text("theme", required=False)
    channel = check_channel(f, "channel", plan.channels if plan else None)
    if plan is None:
        return audience, theme, channel
    if audience and audience not in {a.code for a in plan.audiences}:
        f.problem("audience", f"không có nhóm đối tượng '{audience}' trong kế hoạch '{plan.code}'")
    if theme and theme not in {code for code, _ in plan.themes}:
        f.problem("theme", f"không có chủ đề '{theme}' trong kế hoạch '{plan.code}'")
    return audience, theme, channel
