"""Checking a message as typed in a form or sent to the API: every field, all problems at once."""
from __future__ import annotations

import re

from planner.markup import markdown_problems

from planner.channels import CHANNEL_LABELS, get_channel
from planner.localtime import parse_date
from planner.models import Plan, Priority
from planner.public_fields import ALL_WEEKDAYS, link_problem, parse_post_at, parse_weekdays

MAX_BODY = 60_000
# Python-Markdown's link parsing is quadratic in runs of brackets: refuse pathological input up front.
MAX_BRACKETS = 1000
# What the public sees or where it goes: changing any of these after approval needs a new approval.
PUBLIC_FIELDS = ("title", "body_md", "headline", "link", "channel", "audience_ids", "valid_from", "valid_to",
                 "weekdays", "post_at", "audio_seconds")


class ContentError(ValueError):
    """Bad input or a forbidden transition; `errors` maps form fields to Vietnamese messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def body_problem(body: str) -> str | None:
    """Why a Markdown body cannot be accepted (Vietnamese), or None."""
    if not body.strip():
        return "Vui lòng nhập nội dung."
    if len(body) > MAX_BODY:
        return f"Nội dung dài quá {MAX_BODY:,} ký tự.".replace(",", ".")
    if body.count("[") > MAX_BRACKETS or body.count("(") > MAX_BRACKETS * 2:
        return "Nội dung có quá nhiều dấu ngoặc; vui lòng kiểm tra lại văn bản."
    problems = markdown_problems(body)     # the limits every page, post and PDF renders within
    return problems[0] if problems else None


def validate_message_form(plan: Plan, data: dict) -> dict:
    """Check a message form; return cleaned values (audiences as groups, post_at as ISO UTC) or raise."""
    errors: dict[str, str] = {}
    values = _texts(data, errors)
    values["audiences"] = _audiences(plan, data, errors)
    channel = data.get("channel") or ""
    if channel not in CHANNEL_LABELS:
        errors["channel"] = "Vui lòng chọn kênh truyền thông."
    values["channel"] = channel
    for name, label in (("min_per_week", "Số lần/tuần"), ("peak_per_day", "Số lần/ngày cao điểm"),
                        ("min_gap_hours", "Giãn cách (giờ)")):
        raw = str(data.get(name) if data.get(name) is not None else "0").strip() or "0"
        if not re.fullmatch(r"\d{1,3}", raw):
            errors[name] = f"{label} phải là số nguyên từ 0 đến 999."
        else:
            values[name] = int(raw)
    values |= _schedule_fields(data, errors)
    values |= _when_fields(data, channel, errors)
    if errors:
        raise ContentError(errors)
    return values


def _texts(data: dict, errors: dict) -> dict:
    """Title (internal), body, public headline and https link."""
    title = str(data.get("title") or "").strip()
    body = str(data.get("body_md") or "").replace("\r\n", "\n")
    headline = " ".join(str(data.get("headline") or "").split())
    link = str(data.get("link") or "").strip()
    if not title:
        errors["title"] = "Vui lòng nhập tiêu đề."
    elif len(title) > 300:
        errors["title"] = "Tiêu đề dài quá 300 ký tự."
    problem = body_problem(body)
    if problem:
        errors["body_md"] = problem
    if len(headline) > 300:
        errors["headline"] = "Tiêu đề công khai dài quá 300 ký tự."
    problem = link_problem(link) if link else None
    if problem:
        errors["link"] = problem
    return {"title": title, "body_md": body, "headline": headline, "link": link}


def _audiences(plan: Plan, data: dict, errors: dict) -> list:
    """`audience_ids` (a list) or the one-group shorthand `audience_id`; each must be the plan's."""
    raw = data.get("audience_ids")
    if raw is None or raw == [] or raw == "":
        raw = [data.get("audience_id")] if data.get("audience_id") not in (None, "") else []
    if not isinstance(raw, (list, tuple)):
        raw = [raw]
    by_id = {str(a.id): a for a in plan.audiences}
    chosen = []
    for value in raw:
        audience = by_id.get(str(value).strip())
        if audience is None:
            errors["audience_ids"] = "Nhóm đối tượng không thuộc kế hoạch này."
            return []
        if audience not in chosen:
            chosen.append(audience)
    if not chosen:
        errors["audience_ids"] = "Vui lòng chọn nhóm đối tượng của kế hoạch (ít nhất một nhóm)."
    return sorted(chosen, key=lambda a: (a.position, a.id))


def _schedule_fields(data: dict, errors: dict) -> dict:
    """Priority class, validity dates and a measured audio length (all optional)."""
    values: dict = {}
    try:
        values["priority"] = Priority(data.get("priority") or "normal")
    except ValueError:
        errors["priority"] = "Mức ưu tiên không hợp lệ."
    for name in ("valid_from", "valid_to"):
        raw = str(data.get(name) or "").strip()
        try:
            values[name] = parse_date(raw) if raw else None
        except ValueError as exc:
            errors[name] = str(exc)
    if values.get("valid_from") and values.get("valid_to") and values["valid_to"] < values["valid_from"]:
        errors["valid_to"] = "Ngày hết hiệu lực phải sau ngày bắt đầu."
    raw = str(data.get("audio_seconds") or "").strip()
    if raw and not (re.fullmatch(r"\d{1,4}", raw) and 0 < int(raw) <= 3600):
        errors["audio_seconds"] = "Thời lượng bản ghi phải là số giây từ 1 đến 3600."
    values["audio_seconds"] = int(raw) if raw and "audio_seconds" not in errors else None
    return values


def _when_fields(data: dict, channel: str, errors: dict) -> dict:
    """Weekdays it may air ("T2-T7"; empty = every day) and exact posting times (online channels only)."""
    values = {"weekdays": ALL_WEEKDAYS, "post_at": []}
    raw = data.get("weekdays")
    if raw not in (None, "", []):
        try:
            values["weekdays"] = parse_weekdays(raw)
        except ValueError as exc:
            errors["weekdays"] = f"Ngày trong tuần: {exc}."
    try:
        times = parse_post_at(data.get("post_at") or [])
    except ValueError as exc:
        errors["post_at"] = f"Giờ đăng: {exc}."
        return values
    if times and channel in CHANNEL_LABELS and not get_channel(channel).is_online:
        errors["post_at"] = "Giờ đăng chính xác chỉ dùng cho kênh trực tuyến (fanpage, Zalo OA, cổng thông tin)."
    values["post_at"] = [t.isoformat() for t in times]
    return values
