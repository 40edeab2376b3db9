"""Writing messages and moving their versions through review: draft → submitted → approved / changes requested."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy.orm import Session

from planner.models import AudienceGroup, Message, MessageVersion, Plan, User, VersionStatus
from planner.operations import notify_events
from planner.operations.audit import record
from planner.operations.plan_state import message_locked_reason, read_only_reason
from planner.operations.message_form import (  # noqa: F401 — part of this module's interface
    MAX_BODY, PUBLIC_FIELDS, ContentError, body_problem, validate_message_form)
from planner.public_fields import link_problem  # noqa: F401 — the pages check links the same way


def create_message(session: Session, plan: Plan, user: User, data: dict, *, now: dt.datetime) -> Message:
    """Create a message with its first (draft) version."""
    _refuse(read_only_reason(plan, "viết tin mới"))
    values = validate_message_form(plan, data)
    message = Message(plan=plan, code=_new_code(values["title"], now), created_at=now)
    _set_message_fields(message, values)
    version = _new_version(message, values, number=1, user=user, now=now)
    session.add_all([message, version])
    session.flush()
    record(session, user=user, action="message.create", entity=version, to_state=version.status)
    return message


def edit_message(session: Session, message: Message, user: User, data: dict, *, now: dt.datetime) -> MessageVersion:
    """Save an edit.

    A draft is changed in place. When the latest version is submitted or approved, a change to anything
    the public sees or where it goes (PUBLIC_FIELDS) makes a new draft version that needs approval; the
    approved one keeps airing exactly as approved meanwhile. Scheduling rules alone change in place.
    """
    _refuse(message_locked_reason(message, "sửa tin"))
    values = validate_message_form(message.plan, data)
    latest = message.latest
    if latest.status in (VersionStatus.DRAFT, VersionStatus.CHANGES_REQUESTED):
        _set_message_fields(message, values)
        _set_version_fields(latest, values)
        latest.status = VersionStatus.DRAFT
        session.flush()
        record(session, user=user, action="message.edit", entity=latest, to_state=latest.status)
        return latest
    changed = [name for name in PUBLIC_FIELDS if public_values(latest).get(name) != _public(values).get(name)]
    _set_message_fields(message, values)
    if not changed:
        session.flush()
        record(session, user=user, action="message.edit_rules", entity=latest, to_state=latest.status)
        return latest
    version = _new_version(message, values, number=latest.number + 1, user=user, now=now)
    from planner.operations.images import copy_images

    session.add(version)
    copy_images(latest, version)     # the pictures are public content too: the new draft keeps them
    session.flush()
    record(session, user=user, action="message.new_version", entity=version, to_state=version.status,
           previous_version=latest.number, changed=changed)
    return version


def _refuse(reason: str | None) -> None:
    """A closed plan or a retired message is read-only: refuse with the reason, as a form-level error."""
    if reason:
        raise ContentError({"form": reason})


def form_values(message: Message) -> dict:
    """The message's working copy as form/API input (strings as people type them), for edits and PATCH."""
    from planner.localtime import fmt_date
    from planner.public_fields import ALL_WEEKDAYS, format_post_at, format_weekdays

    latest = message.latest
    return {"title": latest.title, "body_md": latest.body_md, "headline": latest.headline, "link": latest.link,
            "audience_ids": [str(a.id) for a in latest.audiences] or [str(message.audience_id)],
            "channel": message.channel, "min_per_week": message.min_per_week, "peak_per_day": message.peak_per_day,
            "min_gap_hours": message.min_gap_hours, "priority": message.priority.value,
            "valid_from": fmt_date(latest.valid_from), "valid_to": fmt_date(latest.valid_to),
            "audio_seconds": latest.audio_seconds or "",
            "weekdays": "" if latest.weekdays == ALL_WEEKDAYS else format_weekdays(latest.weekdays),
            "post_at": format_post_at(latest.post_times)}


def public_values(version: MessageVersion) -> dict:
    """What a version says in public and where it goes, comparable with `_public(values)`."""
    return {"title": version.title, "body_md": version.body_md, "headline": version.headline,
            "link": version.link, "channel": version.channel, "audience_ids": sorted(a.id for a in version.audiences),
            "valid_from": version.valid_from, "valid_to": version.valid_to, "weekdays": version.weekdays,
            "post_at": list(version.post_at or []), "audio_seconds": version.audio_seconds}


FIELD_LABELS = {"title": "tiêu đề nội bộ", "body_md": "nội dung", "headline": "tiêu đề công khai", "link": "liên kết",
                "channel": "kênh", "audience_ids": "nhóm đối tượng", "valid_from": "ngày bắt đầu hiệu lực",
                "valid_to": "ngày hết hiệu lực", "weekdays": "ngày trong tuần", "post_at": "giờ đăng",
                "audio_seconds": "thời lượng bản ghi"}


def changes_since_approved(version: MessageVersion) -> list[str]:
    """What `version` changes in public compared with the message's approved version (Vietnamese labels)."""
    approved = version.message.approved
    if approved is None or approved is version:
        return []
    from planner.operations.images import image_keys

    before, after = public_values(approved), public_values(version)
    changed = [FIELD_LABELS[name] for name in PUBLIC_FIELDS if before[name] != after[name]]
    return changed + (["ảnh"] if image_keys(approved) != image_keys(version) else [])


def open_change_request(message: Message) -> MessageVersion | None:
    """The latest version if an approver sent it back and it has not been approved since (edited, resubmitted
    or not): the approver's note stays in view until the next approval."""
    latest = message.latest
    if latest.reviewed_at is not None and latest.review_note and latest.status is not VersionStatus.APPROVED:
        return latest
    return None


def _public(values: dict) -> dict:
    return {**{name: values.get(name) for name in PUBLIC_FIELDS},
            "audience_ids": sorted(a.id for a in values["audiences"])}


def _new_version(message: Message, values: dict, *, number: int, user: User | None,
                 now: dt.datetime) -> MessageVersion:
    version = MessageVersion(message=message, number=number, status=VersionStatus.DRAFT,
                             created_by_id=user.id if user else None, created_at=now)
    _set_version_fields(version, values)
    return version


def _set_version_fields(version: MessageVersion, values: dict) -> None:
    """Everything public lives on the version (so an approved version is what was approved)."""
    for name in ("title", "body_md", "headline", "link", "channel", "valid_from", "valid_to", "weekdays",
                 "post_at", "audio_seconds"):
        setattr(version, name, values[name])
    version.audiences = list(values["audiences"])


def _set_message_fields(message: Message, values: dict) -> None:
    """Scheduling rules live on the message; channel, first audience and dates mirror the latest version."""
    message.audience = values["audiences"][0]
    for name in ("channel", "min_per_week", "peak_per_day", "min_gap_hours", "priority", "valid_from",
                 "valid_to"):
        setattr(message, name, values[name])


def submit_version(session: Session, version: MessageVersion, user: User, *, now: dt.datetime) -> None:
    """Send a draft for approval."""
    _transition(session, version, user, {VersionStatus.DRAFT, VersionStatus.CHANGES_REQUESTED},
                VersionStatus.SUBMITTED, "message.submit")
    version.submitted_at = now
    notify_events.message_submitted(session, version, user, now=now)


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
    notify_events.message_reviewed(session, version, user, approved=approve, note=note, now=now)


def _transition(session, version, user, allowed_from, to_state, action, **detail) -> None:
    _refuse(message_locked_reason(version.message, "gửi duyệt hoặc duyệt tin"))
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
