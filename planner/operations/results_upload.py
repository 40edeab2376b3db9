"""Indicator results from a CSV or XLSX file: a dry run that reports line and column errors, then the write."""
from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner import localtime
from planner.models import Indicator, ResultSource, Unit, User
from planner.operations.indicators import ResultError, check_result, record_result

MAX_ROWS = 20000
MAX_BYTES = 2 * 1024 * 1024
COLUMNS = {  # normalised header → field
    "ma": "unit", "ma don vi": "unit", "ma thon": "unit", "ma xa": "unit", "code": "unit", "unit_code": "unit",
    "don vi": "unit_name", "thon": "unit_name", "ten thon": "unit_name", "ten don vi": "unit_name", "unit": "unit_name",
    "ngay": "on", "date": "on", "on": "on",
    "gia tri": "value", "so lieu": "value", "tu so": "value", "value": "value",
    "mau so": "denominator", "denominator": "denominator",
}


class UploadError(ValueError):
    """The file as a whole cannot be read (format, size, headers)."""


@dataclass
class UploadRow:
    line: int
    unit: Unit | None
    on: dt.date | None
    value: object
    denominator: object


@dataclass
class UploadCheck:
    """The dry run: rows that would be written, and every problem as 'Dòng n, cột X: …'."""

    rows: list[UploadRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _plain(text) -> str:
    text = unicodedata.normalize("NFD", str(text or "").strip().lower()).replace("đ", "d")
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).replace("_", " ").split())


def read_table(name: str, data: bytes) -> list[list]:
    """The file's rows (first row = headers) from .csv (UTF-8, ',' or ';') or .xlsx."""
    if len(data) > MAX_BYTES:
        raise UploadError("Tệp quá lớn (tối đa 2 MB).")
    lower = name.lower()
    if lower.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except Exception:  # noqa: BLE001 — any unreadable workbook is the same problem for the user
            raise UploadError("Không đọc được tệp XLSX.") from None
        rows = [list(r) for _, r in zip(range(MAX_ROWS + 2), sheet.iter_rows(values_only=True))]
    elif lower.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UploadError("Tệp CSV phải dùng bảng mã UTF-8.") from None
        first = text.split("\n", 1)[0]
        delimiter = ";" if first.count(";") > first.count(",") else ","
        rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))[:MAX_ROWS + 2]
    else:
        raise UploadError("Chỉ nhận tệp .csv hoặc .xlsx.")
    rows = [r for r in rows if any(c not in (None, "") for c in r)]
    if len(rows) > MAX_ROWS + 1:
        raise UploadError(f"Tệp có quá nhiều dòng (tối đa {MAX_ROWS:,}).".replace(",", "."))
    if len(rows) < 2:
        raise UploadError("Tệp không có dòng số liệu nào.")
    return rows


def _columns(indicator: Indicator, headers: list) -> dict[str, int]:
    known = dict(COLUMNS)
    if indicator.numerator_label:
        known[_plain(indicator.numerator_label)] = "value"
    if indicator.denominator_label:
        known[_plain(indicator.denominator_label)] = "denominator"
    cols: dict[str, int] = {}
    for i, header in enumerate(headers):
        key = known.get(_plain(header))
        if key and key not in cols:
            cols[key] = i
    if "unit" not in cols and "unit_name" not in cols:
        raise UploadError("Thiếu cột đơn vị (\"Mã đơn vị\" hoặc \"Đơn vị\").")
    if "value" not in cols:
        raise UploadError(f"Thiếu cột số liệu (\"Giá trị\" hoặc \"{indicator.numerator_label or 'Tử số'}\").")
    if indicator.is_percentage and "denominator" not in cols:
        raise UploadError(f"Thiếu cột mẫu số (\"Mẫu số\" hoặc \"{indicator.denominator_label}\").")
    return cols


def _letter(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else f"A{chr(ord('A') + i - 26)}"


def check_upload(session: Session, indicator: Indicator, user: User, name: str, data: bytes, *,
                 default_on: dt.date, now: dt.datetime) -> UploadCheck:
    """Read and check every row without writing anything."""
    rows = read_table(name, data)
    headers, body = rows[0], rows[1:]
    cols = _columns(indicator, headers)
    units = {u.code: u for u in session.scalars(select(Unit).where(Unit.path.startswith(user.unit.path,
                                                                                         autoescape=True)))}
    by_name = {_plain(u.name): u for u in units.values() if u.path.startswith(indicator.plan.unit.path)}
    out, seen = UploadCheck(), {}
    for n, raw in enumerate(body, start=2):
        cell = lambda key: raw[cols[key]] if key in cols and cols[key] < len(raw) else None  # noqa: E731
        where = lambda key: f"Dòng {n}, cột {_letter(cols[key])} ({headers[cols[key]]})"  # noqa: E731
        unit = units.get(str(cell("unit") or "").strip()) if "unit" in cols else by_name.get(_plain(cell("unit_name")))
        if unit is None:
            key = "unit" if "unit" in cols else "unit_name"
            out.errors.append(f"{where(key)}: không có đơn vị '{cell(key) or ''}' trong phạm vi của bạn.")
            continue
        on = default_on
        if "on" in cols and cell("on") not in (None, ""):
            value = cell("on")
            try:
                on = value.date() if isinstance(value, dt.datetime) else value if isinstance(value, dt.date) \
                    else localtime.parse_date(str(value))
            except ValueError as exc:
                out.errors.append(f"{where('on')}: {exc}.")
                continue
        try:
            check_result(indicator, unit, on, cell("value"), cell("denominator"), today=localtime.today(now))
        except ResultError as exc:
            for key, message in exc.errors.items():
                column = {"unit_id": "unit" if "unit" in cols else "unit_name"}.get(key, key)
                out.errors.append(f"{where(column) if column in cols else f'Dòng {n}'}: {message}")
            continue
        if (unit.id, on) in seen:
            out.errors.append(f"Dòng {n}: {unit.name} ngày {localtime.fmt_date(on)} đã có ở dòng {seen[(unit.id, on)]}.")
            continue
        seen[(unit.id, on)] = n
        out.rows.append(UploadRow(n, unit, on, cell("value"), cell("denominator")))
    return out


def apply_upload(session: Session, indicator: Indicator, user: User, check: UploadCheck, *, now: dt.datetime) -> int:
    """Write a checked upload (only when it has no errors); returns how many figures were recorded."""
    if check.errors:
        raise UploadError("Tệp còn lỗi: chưa ghi số liệu nào.")
    for row in check.rows:
        record_result(session, indicator, row.unit, row.on, row.value, row.denominator, user=user,
                      source=ResultSource.UPLOAD, now=now)
    return len(check.rows)
