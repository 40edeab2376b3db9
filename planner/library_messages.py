"""Read one message file of the library: Markdown with YAML front matter, checked against its plan."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from planner.library_checks import Fields, Report, check_channel, read_text, split_front_matter
from planner.library_schedules import ONLINE_CHANNELS, parse_weekdays
from planner.public_fields import ALL_WEEKDAYS, link_problem, parse_post_at

PRIORITIES = ("normal", "priority", "emergency")
STATUSES = ("approved", "draft")


@dataclass(frozen=True)
class MessageRecord:
    plan_code: str
    code: str
    title: str
    audience_codes: tuple[str, ...]
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
    headline: str = ""
    link: str = ""
    weekdays: int = ALL_WEEKDAYS
    post_at: tuple[dt.datetime, ...] = ()
    retired: bool = False

    @property
    def audience_code(self) -> str:
        """The first audience (the one-group shorthand)."""
        return self.audience_codes[0] if self.audience_codes else ""



MESSAGE_KEYS = {"code", "title", "headline", "audience", "audiences", "channel", "theme", "priority", "valid_from",
                "valid_to", "weekdays", "post_at", "link", "min_per_week", "peak_per_day", "min_gap_hours",
                "status", "audio_seconds", "retired"}


def read_message(report: Report, path: Path, file: str, plan) -> MessageRecord | None:
    """The message in `path`, checked against its plan's PlanRecord (None when the plan is broken)."""
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
    headline = f.text("headline", required=False)
    if len(headline) > 300:
        f.problem("headline", "tiêu đề công khai dài quá 300 ký tự")
    if not body:
        report.add(file, body_line, "body", "thiếu nội dung")
    valid_from, valid_to = f.date("valid_from"), f.date("valid_to")
    f.order("valid_to", valid_from, valid_to, "ngày hết hiệu lực trước ngày bắt đầu hiệu lực")
    audiences, theme, channel = _message_refs(f, plan)
    return MessageRecord(
        plan.code if plan else "", code, title, audiences, channel, theme,
        f.choice("priority", PRIORITIES, default="normal", label="mức ưu tiên"), valid_from, valid_to,
        f.integer("min_per_week"), f.integer("peak_per_day"), f.integer("min_gap_hours"),
        f.choice("status", STATUSES, default="approved", label="trạng thái"),
        f.integer("audio_seconds", default=None, minimum=1), body, file, headline, _link(f),
        _weekdays(f), _post_at(f, channel), f.flag("retired"))


def _link(f: Fields) -> str:
    link = f.text("link", required=False)
    problem = link_problem(link) if link else None
    if problem:
        f.problem("link", problem)
    return link


def _weekdays(f: Fields) -> int:
    """`weekdays:` in the grids' syntax ("T2-T7", "T2,T4,T6" or a list); every day when absent."""
    if f.data.get("weekdays") in (None, ""):
        return ALL_WEEKDAYS
    try:
        return parse_weekdays(f.data["weekdays"])
    except ValueError as exc:
        f.problem("weekdays", str(exc))
        return ALL_WEEKDAYS


def _post_at(f: Fields, channel: str) -> tuple[dt.datetime, ...]:
    """`post_at:` exact local posting times ("dd/mm/yyyy HH:MM"), online channels only."""
    raw = f.data.get("post_at")
    if raw in (None, [], ""):
        return ()
    if not isinstance(raw, list):
        f.problem("post_at", "phải là một danh sách thời điểm dạng dd/mm/yyyy HH:MM")
        return ()
    try:
        times = tuple(parse_post_at(raw))
    except ValueError as exc:
        f.problem("post_at", str(exc))
        return ()
    if channel and channel not in ONLINE_CHANNELS:
        f.problem("post_at", "giờ đăng chính xác chỉ dùng cho kênh trực tuyến (fanpage, zalo, portal)")
    return times


def _message_refs(f: Fields, plan) -> tuple[tuple[str, ...], str, str]:
    """Audiences, theme and channel of a message, checked against its plan."""
    audiences = _audience_codes(f)
    theme = f.text("theme", required=False)
    channel = check_channel(f, "channel", plan.channels if plan else None)
    if plan is None:
        return audiences, theme, channel
    known = {a.code for a in plan.audiences}
    for code in audiences:
        if code not in known:
            f.problem("audiences" if f.has("audiences") else "audience",
                      f"không có nhóm đối tượng '{code}' trong kế hoạch '{plan.code}'")
    if theme and theme not in {code for code, _ in plan.themes}:
        f.problem("theme", f"không có chủ đề '{theme}' trong kế hoạch '{plan.code}'")
    return audiences, theme, channel


def _audience_codes(f: Fields) -> tuple[str, ...]:
    """`audiences:` (a list) or its one-group shorthand `audience:`, not both."""
    if f.has("audiences") and f.has("audience"):
        f.problem("audiences", "dùng 'audience' (một nhóm) hoặc 'audiences' (danh sách), không dùng cả hai")
        return ()
    if f.has("audience"):
        return (f.text("audience"),)
    codes = [code for code, _ in f.strings("audiences")]
    if not codes and not f.has("audiences"):
        f.problem("audience", "thiếu nhóm đối tượng ('audience' hoặc 'audiences')")
    elif not codes:
        f.problem("audiences", "danh sách nhóm đối tượng không được để trống")
    if len(set(codes)) != len(codes):
        f.problem("audiences", "một nhóm đối tượng được ghi hai lần")
    return tuple(dict.fromkeys(codes))
