"""Tables as downloads: CSV (UTF-8 with BOM, so Excel reads Vietnamese) and XLSX (one sheet per table)."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass


@dataclass
class Table:
    """A titled table: column headers and rows of plain values (str, int, float or None)."""

    title: str
    columns: list[str]
    rows: list[list]
    total_row: list | None = None


def to_csv(table: Table) -> bytes:
    """The table as CSV; spreadsheet formulas in text cells are neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.columns)
    for row in table.rows + ([table.total_row] if table.total_row else []):
        writer.writerow([_safe(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(tables: list[Table]) -> bytes:
    """Every table on its own sheet, headers bold, columns sized to their content."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_name(table.title, used))
        sheet.append(table.columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_safe(v) for v in row])
        if table.total_row:
            sheet.append([_safe(v) for v in table.total_row])
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        for i, col in enumerate(sheet.columns, start=1):
            width = max(len(str(c.value or "")) for c in col)
            sheet.column_dimensions[col[0].column_letter].width = min(max(width + 2, 8), 60)
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _safe(value):
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") and not re.fullmatch(r"-?\d+([.,]\d+)?", value):
        return "'" + value
    return value


def _sheet_name(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:28].strip() or "Bang"
    name, n = base, 2
    while name in used:
        name, n = f"{base[:25]} {n}", n + 1
    used.add(name)
    return name
