"""Load content_library/ and schedules/ into validated, frozen records (one loader, all problems at once)."""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from planner.library_checks import (
    Fields, LibraryError, LineMap, Problem, Report, channel_list, load_file, parse_date, plain, read_text,
    top_list,
)
from planner.library_messages import MESSAGE_KEYS, PRIORITIES, STATUSES, MessageRecord, read_message
from planner.library_indicators import INDICATOR_KEYS, check_indicators
from planner.library_schedules import (
    ONLINE_POST_SECONDS, ExemptionRecord, GridRecord, Schedules, TargetRecord, WindowRecord, parse_weekdays,
    read_schedules,
)

__all__ = [
    "AudienceRecord", "ExemptionRecord", "GridRecord", "Library", "LibraryError", "MessageRecord", "PlanRecord",
    "Problem", "TargetRecord", "UnitRecord", "WindowRecord", "load_library", "load_units_csv",
    "parse_date", "parse_weekdays", "ONLINE_POST_SECONDS", "MESSAGE_KEYS", "PRIORITIES", "STATUSES",
]

UNIT_KINDS = ("country", "province", "commune", "village", "agency", "department", "print_shop")
PERIOD_RULES = ("decree_09", "calendar")
PLAN_STATUSES = ("draft", "active", "closed", "archived")
REPORT_FREQUENCIES = ("monthly", "six_monthly", "annual", "once")


@dataclass(frozen=True)
class UnitRecord:
    code: str
    name: str
    kind: str
    parent_code: str | None
    duties: str
    households: int | None = None
    population: int | None = None


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
    # None when the file does not say: a new plan is active, an existing one keeps its status.
    status: str | None = None
    # Decree 30/2020 header and signer of the plan unit's reports (all optional).
    governing_body: str = ""
    issuing_body: str = ""
    issuer_abbreviation: str = ""
    signer_authority: str = ""
    signer_title: str = ""
    signer_name: str = ""


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
    exemptions: tuple[ExemptionRecord, ...] = ()


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
                   tuple(schedules.windows), tuple(schedules.exemptions))


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
        f.only(UNIT_KEYS)
        units.append(_unit(f, seen, "parent"))
    return units


UNIT_KEYS = {"code", "name", "kind", "parent", "duties", "households", "population"}
VILLAGE_COLUMNS = ("code", "name", "parent_code", "kind", "households", "population")


def _unit(f: Fields, seen: dict, parent_key: str, default_kind: str | None = None) -> UnitRecord:
    code = f.code()
    name = f.text("name", missing="thiếu tên đơn vị")
    kind = f.choice("kind", UNIT_KINDS, default=default_kind, label="loại đơn vị")
    parent = f.unit(parent_key, required=False) or None
    # A village's code only has to be unique within its commune (two communes both have thon-01).
    f.unique(seen, f"{parent}/{code}" if kind == "village" and code else code)
    return UnitRecord(code, name, kind, parent, f.text("duties", required=False),
                      _count(f, "households"), _count(f, "population"))


def _count(f: Fields, key: str) -> int | None:
    """An optional whole number ≥ 0 (households, population); CSV cells arrive as text."""
    value = f.data.get(key)
    if value in (None, ""):
        return None
    text = value.strip() if isinstance(value, str) else value
    if isinstance(text, bool) or not (isinstance(text, int) or str(text).isdigit()):
        f.problem(key, f"'{value}' phải là số nguyên không âm")
        return None
    return int(text)


def _read_units_csv(report: Report, path: Path, file: str, seen: dict) -> list[UnitRecord]:
    text = read_text(report, path, file)
    reader = csv.DictReader(io.StringIO(text or "", newline=""))
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = {"code", "name", "parent_code"} - set(columns)
    unknown = [c for c in columns if c not in VILLAGE_COLUMNS]
    reader.fieldnames = columns
    if text is None or missing or unknown:
        if missing and text is not None:
            report.add(file, 1, ",".join(sorted(missing)), "thiếu cột trong dòng tiêu đề")
        for column in unknown:
            report.add(file, 1, column or "(trống)", f"cột không được hỗ trợ (chỉ dùng: {', '.join(VILLAGE_COLUMNS)})")
        return []
    units = []
    for row in reader:
        data = LineMap({k: v.strip() for k, v in row.items() if k and isinstance(v, str) and v.strip()})
        data.line, data.key_lines = reader.line_num, {}
        f = Fields(report, file, data)
        if any(v.strip() for v in row.get(None) or ()):    # cells beyond the header: a column without a name
            f.problem(f"cột {len(columns) + 1}", "ô thừa ngoài các cột của dòng tiêu đề")
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
            message = read_message(report, path, path.relative_to(root).as_posix(), plan)
            if message is not None:
                messages.append(message)
    return plans, messages


REPORT_HEADER_KEYS = ("governing_body", "issuing_body", "issuer_abbreviation", "signer_authority", "signer_title",
                      "signer_name")
PLAN_KEYS = {"code", "number", "issuer", "unit", "place", "issued_on", "title", "summary", "starts_on",
             "ends_on", "period_rule", "replan_missed", "audiences", "themes", "channels", "details",
             "notes", "status", *REPORT_HEADER_KEYS}


CODE_NAME_KEYS = {"code", "name"}
DUTY_KEYS = {"unit", "role", "tasks"}
DEADLINE_KEYS = {"what", "due", "yearly", "unit"}
REPORTING_KEYS = {"unit", "to", "via", "frequency", "due", "due_day", "note"}
DETAILS_STRING_LISTS = ("purposes", "requirements", "funding")
# `details` keys the loader checks; any other key is free text kept as written.
DETAILS_CHECKED_KEYS = {"indicators", "duties", "deadlines", "reporting", *DETAILS_STRING_LISTS}


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
        f.flag("replan_missed"), audiences, themes, channels, details,
        f.choice("status", PLAN_STATUSES, label="trạng thái kế hoạch") if f.has("status") else None,
        **_report_header(f))


SIGNER_AUTHORITIES = ("KT.", "TM.", "Q.", "TL.", "TUQ.")


def _report_header(f: Fields) -> dict[str, str]:
    """The optional Decree 30 header and signer texts, each within its column's length; the abbreviation
    follows "BC-" in a number ("01/BC-UBND"), the authority line starts like Decree 30's (KT./TM./Q./TL./TUQ.)."""
    limits = {"issuer_abbreviation": 20, "signer_authority": 100}
    values = {key: f.text(key, required=False) for key in REPORT_HEADER_KEYS}
    for key, value in values.items():
        if len(value) > limits.get(key, 200):
            f.problem(key, f"dài tối đa {limits.get(key, 200)} ký tự")
    abbreviation = values["issuer_abbreviation"]
    if abbreviation and any(c.isspace() or c == "/" for c in abbreviation):
        f.problem("issuer_abbreviation", "viết liền, không có dấu cách hay '/' (ví dụ UBND)")
    authority = values["signer_authority"]
    if authority and not authority.upper().startswith(SIGNER_AUTHORITIES):
        f.problem("signer_authority", "bắt đầu bằng KT., TM., Q., TL. hoặc TUQ. (ví dụ 'TM. ỦY BAN NHÂN DÂN')")
    return values


def _code_names(f: Fields, key: str, *, required: bool = False) -> list[tuple[str, str]]:
    """A list of {code, name} items with unique codes."""
    pairs, seen = [], {}
    for item in f.items(key, required=required):
        item.only(CODE_NAME_KEYS)
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
    indicators = check_indicators(d.items("indicators"))
    for item in d.items("duties"):
        item.only(DUTY_KEYS)
        item.unit(), item.strings("tasks", required=True)
    for item in d.items("deadlines"):
        item.only(DEADLINE_KEYS)
        item.text("what"), item.unit()
        item.date("due", required=True, yearly=item.flag("yearly"))
    for item in d.items("reporting"):
        item.only(REPORTING_KEYS)
        item.unit(), item.text("to"), item.unit("via", required=False), item.integer("due_day", default=None)
        frequency = item.choice("frequency", REPORT_FREQUENCIES, label="kỳ báo cáo")
        item.date("due", required=frequency == "once")
    for key in DETAILS_STRING_LISTS:
        d.strings(key)
    return plain(d.data) | ({"indicators": indicators} if "indicators" in d.data else {})


def format_fields() -> dict[str, set[str]]:
    """Every list of fields the loader accepts, by the section of docs/formats.md that describes it.

    tests/unit/test_formats_doc.py compares each with the document, so neither can drift alone.
    """
    from planner import library_schedules as s

    return {
        "units": UNIT_KEYS, "villages-csv": set(VILLAGE_COLUMNS), "plan": PLAN_KEYS,
        "plan-audiences-themes": CODE_NAME_KEYS, "details": DETAILS_CHECKED_KEYS,
        "details-indicators": INDICATOR_KEYS, "details-duties": DUTY_KEYS, "details-deadlines": DEADLINE_KEYS,
        "details-reporting": REPORTING_KEYS, "message": MESSAGE_KEYS, "targets": s.TARGETS_FILE_KEYS,
        "targets-loudspeaker": s.LOUDSPEAKER_KEYS, "targets-online": s.ONLINE_TARGET_KEYS,
        "grids": s.GRID_KEYS, "windows-file": s.WINDOWS_FILE_KEYS, "windows": s.WINDOW_KEYS,
        "holidays": s.HOLIDAY_KEYS, "exemptions": s.EXEMPTION_KEYS,
    }
