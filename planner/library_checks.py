"""Reading and checking primitives for the content library: problems, line-aware YAML, typed fields."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field as dc_field
from pathlib import Path

import yaml

from planner.channels import CHANNEL_LABELS

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
# Yearly windows and deadlines written as dd/mm are stored in this (leap) year; only day/month count.
YEARLY_ANCHOR = 2000


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one file, with the line and field where it was found."""

    file: str
    line: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.reason}"


class LibraryError(Exception):
    """Raised once with every problem found; nothing has been loaded when it is raised."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0))
        super().__init__("\n".join(str(p) for p in self.problems))


def parse_date(text) -> dt.date:
    """Parse a dd/mm/yyyy date; raise ValueError with a Vietnamese message."""
    value = str(text).strip()
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
    if not match:
        raise ValueError(f"ngày '{value}' không đúng dạng dd/mm/yyyy")
    day, month, year = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"ngày không hợp lệ: '{value}'") from None


def parse_day_month(text) -> dt.date:
    """Parse a yearly dd/mm date into the anchor year; raise ValueError in Vietnamese."""
    value = str(text).strip()
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})", value)
    if not match:
        raise ValueError(f"ngày '{value}' không đúng dạng dd/mm hoặc dd/mm/yyyy")
    try:
        return dt.date(YEARLY_ANCHOR, int(match.group(2)), int(match.group(1)))
    except ValueError:
        raise ValueError(f"ngày không hợp lệ: '{value}'") from None


def parse_time(text) -> dt.time:
    """Parse HH:MM (24-hour); raise ValueError in Vietnamese."""
    value = str(text).strip()
    match = TIME_RE.fullmatch(value)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"giờ '{value}' không hợp lệ (cần dạng HH:MM, 00:00–23:59)")
    return dt.time(int(match.group(1)), int(match.group(2)))


# ---------------------------------------------------------------- YAML with line numbers


class LineMap(dict):
    """A YAML mapping that remembers its own line and the line of each key."""

    line: int | None = None
    key_lines: dict


class LineList(list):
    """A YAML sequence that remembers its own line and the line of each item."""

    line: int | None = None
    item_lines: list


class _LineLoader(yaml.SafeLoader):
    """Safe loader that keeps line numbers and leaves times, dates and dotted codes as strings."""


def _construct_map(loader, node):
    data = LineMap()
    data.line, data.key_lines = node.start_mark.line + 1, {}
    yield data
    data.update(loader.construct_mapping(node))
    for key_node, _ in node.value:
        data.key_lines[loader.construct_object(key_node)] = key_node.start_mark.line + 1


def _construct_list(loader, node):
    data = LineList()
    data.line = node.start_mark.line + 1
    data.item_lines = [item.start_mark.line + 1 for item in node.value]
    yield data
    data.extend(loader.construct_sequence(node))


def _construct_int(loader, node):
    # YAML 1.1 reads 05:30 as the base-60 integer 330: keep it text so it can be checked as a time.
    if ":" in str(node.value):
        return str(node.value)
    return yaml.SafeLoader.construct_yaml_int(loader, node)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _construct_list)
_LineLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
# Theme codes like 1.1 must stay "1.1" (not a float); ISO dates stay text and are rejected clearly.
_LineLoader.add_constructor("tag:yaml.org,2002:float", lambda loader, node: str(node.value))
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: str(node.value))


def plain(value):
    """Turn LineMap/LineList trees into plain dicts and lists (for JSON details)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@dataclass
class Report:
    """Collects problems and unit references while files are read; resolves references at the end."""

    problems: list[Problem] = dc_field(default_factory=list)
    unit_refs: list[tuple[str, int | None, str, str]] = dc_field(default_factory=list)

    def add(self, file: str, line: int | None, field: str, reason: str) -> None:
        """Record one problem."""
        self.problems.append(Problem(file, line, field, reason))

    def resolve_units(self, codes: set[str] | frozenset[str]) -> None:
        """Report every referenced unit code that is not in `codes`."""
        for file, line, field, code in self.unit_refs:
            if code not in codes:
                self.add(file, line, field, f"không có đơn vị mã '{code}'")
        self.unit_refs.clear()


def load_yaml(report: Report, file: str, text: str):
    """Parse YAML text (with line numbers); on a syntax error record a problem and return None."""
    try:
        return yaml.load(text, Loader=_LineLoader)  # noqa: S506 - _LineLoader is a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        report.add(file, line, "yaml", f"lỗi cú pháp YAML: {getattr(exc, 'problem', exc)}")
        return None


def split_front_matter(report: Report, file: str, text: str) -> tuple[LineMap | None, str, int]:
    """Split '---' front matter from a Markdown body: (data, body, line where the body starts)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        report.add(file, 1, "front_matter", "thiếu phần khai báo đầu tệp giữa hai dòng '---'")
        return None, text, 1
    end = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
    if end is None:
        report.add(file, 1, "front_matter", "phần khai báo đầu tệp không có dòng '---' đóng")
        return None, "", 1
    # A leading newline stands in for the opening '---' so YAML marks equal file line numbers.
    data = load_yaml(report, file, "\n" + "".join(lines[1:end]))
    if data is not None and not isinstance(data, dict):
        report.add(file, 2, "front_matter", "phần khai báo đầu tệp phải là các cặp 'trường: giá trị'")
        data = None
    return data, "".join(lines[end + 1:]).strip(), end + 2


class Fields:
    """Typed, checked access to one YAML mapping; every problem names the file, line and field."""

    def __init__(self, report: Report, file: str, data, prefix: str = "", line: int | None = None):
        self.report, self.file, self.prefix = report, file, prefix
        self.data = data if isinstance(data, dict) else LineMap()
        self.start = getattr(data, "line", None) or line
        if not isinstance(data, dict):
            self.report.add(file, self.start, prefix.rstrip(".") or "-", "phải là các cặp 'trường: giá trị'")

    def line(self, key: str | None = None) -> int | None:
        """The line of `key` (or of the mapping when the key is absent)."""
        return getattr(self.data, "key_lines", {}).get(key, self.start)

    def problem(self, key: str, reason: str) -> None:
        """Record a problem about `key`."""
        self.report.add(self.file, self.line(key), self.prefix + key, reason)

    def unique(self, seen: dict, value: str, key: str = "code") -> None:
        """Report `value` if it is already in `seen` (code → (file, line)); else claim it."""
        if not value:
            return
        if value in seen:
            file, line = seen[value]
            self.problem(key, f"mã '{value}' bị trùng (đã dùng ở {file}:{line})")
        else:
            seen[value] = (self.file, self.line(key))

    def only(self, allowed: set[str]) -> None:
        """Report keys that are not in `allowed` (usually typos)."""
        for key in self.data:
            if key not in allowed:
                self.problem(str(key), "trường không được hỗ trợ")

    def has(self, key: str) -> bool:
        """True if the key is present with a non-empty value."""
        return self.data.get(key) not in (None, "")

    def text(self, key: str, *, required: bool = True, default: str = "", missing: str = "") -> str:
        """A text value; `missing` is the reason used when it is required and absent."""
        value = self.data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(key, missing or f"thiếu trường '{key}'")
            return default
        if isinstance(value, (dict, list, bool)):
            self.problem(key, "phải là một chuỗi ký tự")
            return default
        return str(value).strip()

    def code(self, key: str = "code", *, required: bool = True, max_len: int = 64) -> str:
        """A lowercase ASCII code (letters, digits, '-', '.', '_')."""
        value = self.text(key, required=required, missing=f"thiếu mã ('{key}')")
        if value and (not CODE_RE.match(value) or len(value) > max_len):
            self.problem(key, f"mã '{value}' không hợp lệ (chữ thường không dấu, số, '-', '.', '_'; "
                              f"tối đa {max_len} ký tự)")
        return value

    def unit(self, key: str = "unit", *, required: bool = True) -> str:
        """A unit code, checked once every unit is known."""
        value = self.text(key, required=required, missing=f"thiếu mã đơn vị ('{key}')")
        if value:
            self.report.unit_refs.append((self.file, self.line(key), self.prefix + key, value))
        return value

    def date(self, key: str, *, required: bool = False, yearly: bool = False) -> dt.date | None:
        """A dd/mm/yyyy date (or dd/mm when `yearly`)."""
        value = self.text(key, required=required, missing=f"thiếu ngày ('{key}')")
        if not value:
            return None
        try:
            if yearly and value.count("/") == 1:
                return parse_day_month(value)
            return parse_date(value)
        except ValueError as exc:
            self.problem(key, str(exc))
            return None

    def time(self, key: str) -> dt.time | None:
        """A required HH:MM time."""
        value = self.text(key, missing=f"thiếu giờ ('{key}')")
        try:
            return parse_time(value) if value else None
        except ValueError as exc:
            self.problem(key, str(exc))
            return None

    def integer(self, key: str, *, default: int | None = 0, minimum: int = 0) -> int | None:
        """A whole number ≥ `minimum`, or `default` when absent."""
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(key, f"'{value}' không phải là số nguyên")
            return default
        if value < minimum:
            self.problem(key, f"phải lớn hơn hoặc bằng {minimum}")
        return value

    def flag(self, key: str, *, default: bool = False) -> bool:
        """A true/false value."""
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            self.problem(key, "phải là true hoặc false")
            return default
        return value

    def choice(self, key: str, allowed, *, default: str | None = None, label: str = "giá trị") -> str:
        """One of `allowed` (or `default` when absent)."""
        value = self.text(key, required=default is None, default=default or "")
        if value and value not in allowed:
            self.problem(key, f"{label} '{value}' không hợp lệ (chọn một trong: {', '.join(allowed)})")
        return value

    def items(self, key: str, *, required: bool = False) -> list[Fields]:
        """The mappings of a YAML list, each as Fields with an indexed prefix (1-based)."""
        value = self.data.get(key)
        if value is None or value == []:
            if required:
                self.problem(key, f"danh sách '{key}' không được để trống")
            return []
        if not isinstance(value, list):
            self.problem(key, "phải là một danh sách")
            return []
        lines = getattr(value, "item_lines", [self.line(key)] * len(value))
        return [Fields(self.report, self.file, item, f"{self.prefix}{key}[{i}].", lines[i - 1])
                for i, item in enumerate(value, start=1)]

    def strings(self, key: str, *, required: bool = False) -> list[tuple[str, int | None]]:
        """A list of short strings with the line of each."""
        value = self.data.get(key)
        if value is None:
            if required:
                self.problem(key, f"danh sách '{key}' không được để trống")
            return []
        if not isinstance(value, list) or any(isinstance(v, (dict, list)) for v in value):
            self.problem(key, "phải là một danh sách chuỗi")
            return []
        lines = getattr(value, "item_lines", [self.line(key)] * len(value))
        return [(str(v).strip(), lines[i]) for i, v in enumerate(value)]

    def order(self, key: str, first, last, reason: str) -> None:
        """Report `reason` at `key` when both values are known and last < first (or ≤ for times)."""
        if first is not None and last is not None:
            if last < first or (isinstance(last, dt.time) and last == first):
                self.problem(key, reason)


# ---------------------------------------------------------------- file-level helpers


def read_text(report: Report, path: Path, file: str) -> str | None:
    """The UTF-8 text of a file, or None (with a problem) if it cannot be decoded."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        report.add(file, None, "-", f"tệp không phải mã UTF-8 (byte {exc.start})")
        return None


def load_file(report: Report, path: Path, file: str):
    """Parse one YAML file, or None if it is missing or broken."""
    text = read_text(report, path, file) if path.is_file() else None
    return None if text is None else load_yaml(report, file, text)


def top_list(report: Report, file: str, data, key: str) -> Fields:
    """Fields over a file that is either a bare YAML list or a mapping holding `key`."""
    if isinstance(data, list):
        wrapped = LineMap({key: data})
        wrapped.line, wrapped.key_lines = 1, {key: getattr(data, "line", 1)}
        data = wrapped
    return Fields(report, file, data if data is not None else LineMap(), line=1)


def check_channel(f: Fields, key: str, allowed: tuple[str, ...] | None = None) -> str:
    """A channel code known to the planner (and, if given, in `allowed`)."""
    value = f.text(key, missing=f"thiếu kênh ('{key}')")
    if value and value not in CHANNEL_LABELS:
        f.problem(key, f"kênh '{value}' không được hỗ trợ")
    elif value and allowed is not None and value not in allowed:
        f.problem(key, f"kênh '{value}' không có trong danh sách kênh của kế hoạch")
    return value


def channel_list(f: Fields, key: str, *, required: bool = False) -> list[str]:
    """A list of known channel codes."""
    channels = []
    for index, (value, line) in enumerate(f.strings(key, required=required), start=1):
        if value not in CHANNEL_LABELS:
            f.report.add(f.file, line, f"{f.prefix}{key}[{index}]", f"kênh '{value}' không được hỗ trợ")
        channels.append(value)
    return channels
