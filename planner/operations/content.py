"""Writing messages and moving their versions through review: draft → submitted → approved / changes requested."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy.orm import Session

from planner.channels import CHANNEL_LABELS
from planner.models import AudienceGroup, Message, MessageVersion, Plan, Priority, User, VersionStatus
from planner.operations.audit import record


class ContentError(ValueError):
    """Bad input or a forbidden transition; `errors` maps form fields to Vietnamese messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


MAX_BODY = 60_000


def validate_message_form(plan: Plan, data: dict) -> dict:
    """Check a message form (title, body, audience, channel, numbers); return cleaned values or raise."""
    errors: dict[str, str] = {}
    title = (data.get("title") or "").strip()
    body = (data.get("body_md") or "").replace("\r\n", "\n")
    if not title:
        errors["title"] = "Vui lòng nhập tiêu đề."
    elif len(title) > 300:
        errors["title"] = "Tiêu đề dài quá 300 ký tự."
    problem = body_problem(body)
    if problem:
        errors["body_md"] = problem
    audience = next((a for a in plan.audiences if str(a.id) == str(data.get("audience_id"))), None)
    if audience is None:
        errors["audience_id"] = "Vui lòng chọn nhóm đối tượng của kế hoạch."
    channel = data.get("channel") or ""
    if channel not in CHANNEL_LABELS:
        errors["channel"] = "Vui lòng chọn kênh truyền thông."
    numbers = {}
    for name, label in (("min_per_week", "Số lần/tuần"), ("peak_per_day", "Số lần/ngày cao điểm"),
                        ("min_gap_hours", "Giãn cách (giờ)")):
        raw = str(data.get(name) or "0").strip()
        if not re.fullmatch(r"\d{1,3}", raw):
            errors[name] = f"{label} phải là số nguyên từ 0 đến 999."
        else:
            numbers[name] = int(raw)
    extra = _schedule_fields(data, errors)
    if errors:
        raise ContentError(errors)
    return {"title": title, "body_md": body, "audience": audience, "channel": channel, **numbers, **extra}


def _schedule_fields(data: dict, errors: dict) -> dict:
    """Priority class, validity dates and a measured audio length (all optional)."""
    from planner.localtime import parse_date

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


# Python-Markdown's link parsing is quadratic in runs of brackets: refuse pathological input up front.
MAX_BRACKETS = 1000


def body_problem(body: str) -> str | None:
    """Why a Markdown body cannot be accepted (Vietnamese), or None."""
    if not body.strip():
        return "Vui lòng nhập nội dung."
    if len(body) > MAX_BODY:
        return f"Nội dung dài quá {MAX_BODY:,} ký tự.".replace(",", ".")
    if body.count("[") > MAX_BRACKETS or body.count("(") > MAX_BRACKETS * 2:
        return "Nội dung có quá nhiều dấu ngoặc; vui lòng kiểm tra lại văn bản."
    return None


def create_message(session: Session, plan: Plan, user: User, data: dict, *, now: dt.datetime) -> Message:
    """Create a message with its first (draft) version."""
    values = validate_message_form(plan, data)
    message = Message(plan=plan, code=_new_code(values["title"], now), created_at=now)
    _set_message_fields(message, values)
    version = MessageVersion(message=message, number=1, title=values["title"], body_md=values["body_md"],
                             audio_seconds=values["audio_seconds"], status=VersionStatus.DRAFT,
                             created_by_id=user.id, created_at=now)
    session.add_all([message, version])
    session.flush()
    record(session, user=user, action="message.create", entity=version, to_state=version.status)
    return message


def edit_message(session: Session, message: Message, user: User, data: dict, *, now: dt.datetime) -> MessageVersion:
    """Save an edit: a draft is changed in place; an approved or submitted version gets a new draft version."""
    values = validate_message_form(message.plan, data)
    _set_message_fields(message, values)
    latest = message.latest
    if latest.status in (VersionStatus.DRAFT, VersionStatus.CHANGES_REQUESTED):
        latest.title, latest.body_md, latest.status = values["title"], values["body_md"], VersionStatus.DRAFT
        latest.audio_seconds = values["audio_seconds"]
        session.flush()
        record(session, user=user, action="message.edit", entity=latest, to_state=latest.status)
        return latest
    version = MessageVersion(message=message, number=latest.number + 1, title=values["title"],
                             body_md=values["body_md"], audio_seconds=values["audio_seconds"],
                             status=VersionStatus.DRAFT, created_by_id=user.id, created_at=now)
    session.add(version)
    session.flush()
    record(session, user=user, action="message.new_version", entity=version, to_state=version.status,
           previous_version=latest.number)
    return version


def _set_message_fields(message: Message, values: dict) -> None:
    """Scheduling settings live on the message (all versions share them)."""
    for name in ("audience", "channel", "min_per_week", "peak_per_day", "min_gap_hours", "priority", "valid_from",
                 "valid_to"):
        setattr(message, name, values[name])


def submit_version(session: Session, version: MessageVersion, user: User, *, now: dt.datetime) -> None:
    """Send a draft for approval."""
    _transition(session, version, user, {VersionStatus.DRAFT, VersionStatus.CHANGES_REQUESTED},
                VersionStatus.SUBMITTED, "message.submit")
    version.submitted_at = now


def review_version(session: Session, version: MessageVersion, user: User, *, approve: bool, note: str,
                   now: dt.datetime) -> None:
    """Approve a submitted version, or send it back with a note (the note is required then)."""
    note = (note or "").strip()
    if not approve and not note:
        raise ContentError({"note": "Vui lòng ghi rõ nội dung cần sửa."})
    if version.created_by_id is not None and version.created_by_id == user.id:
        raise ContentError({"note": "Người viết không tự duyệt bài của mình."})
    target = VersionStatus.APPROVED if approve else VersionStatus.CHANGES_REQUESTED
    _transition(session, version, user, {VersionStatus.SUBMITTED}, target,
                "message.approve" if approve else "message.request_changes", note=note)
    version.reviewed_by_id, version.reviewed_at, version.review_note = user.id, now, note


def _transition(session, version, user, allowed_from, to_state, action, **detail) -> None:
    if version.status not in allowed_from:
        raise ContentError({"status": f"Không thể chuyển từ trạng thái '{version.status_label}'."})
    if version is not version.message.latest:
        raise ContentError({"status": "Chỉ xử lý được phiên bản mới nhất."})
    old = version.status
    version.status = to_state
    session.flush()
    record(session, user=user, action=action, entity=version, from_state=old, to_state=to_state, **detail)


def _new_code(title: str, now: dt.datetime) -> str:
    import unicodedata

    ascii_title = unicodedata.normalize("NFKD", title.replace("đ", "d").replace("Đ", "D"))
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.encode("ascii", "ignore").decode().lower()).strip("-")[:60]
    return f"{slug or 'tin'}-{now.strftime('%Y%m%d%H%M%S%f')}"


def audiences_of(plan: Plan) -> list[AudienceGroup]:
    """The plan's audience groups in their order."""
    return list(plan.audiences)
