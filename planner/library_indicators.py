"""Checks a plan's indicators (details.indicators) into plain records: measure, target, dates, level."""
from __future__ import annotations

import re

from planner.library_checks import CODE_RE, Fields

MEASURES = ("count", "percentage")
LEVELS = ("village", "commune", "unit")
INDICATOR_KEYS = {"code", "name", "measure", "numerator", "denominator", "unit_label", "target", "baseline", "from",
                  "deadline", "level", "recorded_by", "note"}
_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*%?\s*$")


def number(item: Fields, key: str, *, required: bool) -> float | None:
    """A non-negative number (42, 12.5, "100%"); a problem naming the field otherwise."""
    value = item.data.get(key)
    if value is None or value == "":
        if required:
            item.problem(key, f"thiếu trường '{key}' (một số)")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        item.problem(key, f"'{value}' không phải là một số")
        return None
    match = _NUMBER.match(str(value))
    if not match:
        item.problem(key, f"'{value}' không phải là một số (ví dụ 100 hoặc 100%)")
        return None
    return float(match.group(1).replace(",", "."))


def check_indicators(items: list[Fields]) -> list[dict]:
    """Each indicator as a plain dict with ISO dates; problems are recorded on the items' report."""
    out, seen = [], {}
    for position, item in enumerate(items, start=1):
        item.only(INDICATOR_KEYS)
        code = item.text("code", required=False) or f"chi-tieu-{position}"
        if not CODE_RE.match(code) or len(code) > 64:
            item.problem("code", f"mã '{code}' không hợp lệ (chữ thường không dấu, số, '-', '.', '_')")
        item.unique(seen, code)
        measure = item.choice("measure", MEASURES, default="count", label="cách đo")
        target = number(item, "target", required=True)
        if measure == "percentage" and target is not None and target > 100:
            item.problem("target", "chỉ tiêu tỷ lệ không được vượt quá 100%")
        if measure == "percentage" and not item.has("denominator"):
            item.problem("denominator", "chỉ tiêu tỷ lệ cần ghi mẫu số (ví dụ: số công dân đủ điều kiện)")
        starts, deadline = item.date("from"), item.date("deadline")
        item.order("deadline", starts, deadline, "hạn chót trước ngày bắt đầu")
        out.append({
            "code": code, "name": item.text("name", missing="thiếu tên chỉ tiêu"), "measure": measure,
            "numerator": item.text("numerator", required=False), "denominator": item.text("denominator", required=False),
            "unit_label": item.text("unit_label", required=False), "target": target,
            "baseline": number(item, "baseline", required=False),
            "from": starts.isoformat() if starts else None, "deadline": deadline.isoformat() if deadline else None,
            "level": item.choice("level", LEVELS, default="village", label="cấp ghi nhận"),
            "recorded_by": item.text("recorded_by", required=False), "note": item.text("note", required=False)})
    return out
