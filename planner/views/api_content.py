"""JSON API: plans, their messages, message versions, submit and review."""
from __future__ import annotations

from planner import api_queries, api_schemas
from flask import jsonify, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from planner.access import may_review, owns_plan, visible_plans
from planner.channels import CHANNEL_LABELS
from planner.db import utcnow
from planner.library import REPORT_HEADER_KEYS
from planner.public_fields import format_post_at, format_weekdays
from planner.markup import render_markdown
from planner.models import Message, MessageVersion, Plan
from planner.models.content import PRIORITY_LABELS
from planner.operations import content
from planner.views.api import (ApiError, accepts, api_user, body, bp, commit, created, invalid, load_plan, not_found,
                               paged, query, reads, require, stamp, unit_ref, user_ref)
from planner.views import paging
from planner.views.common import db_session



def message_body() -> dict:
    """The message fields of the request's JSON, arrays included (400 naming each bad field)."""
    return body()


def plan_json(plan: Plan, *, detail: bool = False) -> dict:
    out = {"id": plan.id, "code": plan.code, "number": plan.number, "title": plan.title, "issuer": plan.issuer,
           "place": plan.place, "unit": unit_ref(plan.unit), "period_rule": plan.period_rule.value,
           "status": plan.status.value, "status_label": plan.status_label,
           **stamp("issued_on", plan.issued_on), **stamp("starts_on", plan.starts_on),
           **stamp("ends_on", plan.ends_on)}
    if detail:
        out.update(summary=plan.summary, is_replanning_missed=plan.is_replanning_missed, details=plan.details,
                   audiences=[{"id": a.id, "code": a.code, "name": a.name} for a in plan.audiences],
                   windows=[{"id": w.id, "code": w.code, "name": w.name, "kind": w.kind.value,
                             **stamp("starts_on", w.starts_on), **stamp("ends_on", w.ends_on),
                             "is_yearly": w.is_yearly, "channels": list(w.channels or [])} for w in plan.windows],
                   report_header={key: getattr(plan, key) for key in REPORT_HEADER_KEYS},
                   **stamp("created_at", plan.created_at))
    return out


def version_json(version: MessageVersion, *, body: bool = False) -> dict:
    out = {"id": version.id, "number": version.number, "title": version.title, "headline": version.headline,
           "link": version.link, "channel": version.channel, "audience_ids": [a.id for a in version.audiences],
           **stamp("valid_from", version.valid_from), **stamp("valid_to", version.valid_to),
           "weekdays": format_weekdays(version.weekdays), "post_at": format_post_at(version.post_times),
           "post_at_utc": [t.isoformat() for t in version.post_times],
           "changes_since_approved": content.changes_since_approved(version), "status": version.status.value,
           "status_label": version.status_label, "audio_seconds": version.audio_seconds,
           "created_by": user_ref(version.created_by), **stamp("created_at", version.created_at),
           **stamp("submitted_at", version.submitted_at), "reviewed_by": user_ref(version.reviewed_by),
           **stamp("reviewed_at", version.reviewed_at), "review_note": version.review_note}
    from planner.views.api_images import images_json

    out["images"] = images_json(version)
    if body:
        out.update(body_md=version.body_md, body_html=render_markdown(version.body_md))
    return out


def message_json(message: Message, *, detail: bool = False) -> dict:
    approved = message.approved
    out = {"id": message.id, "plan_id": message.plan_id, "code": message.code,
           "audience": {"id": message.audience.id, "code": message.audience.code, "name": message.audience.name},
           "audiences": [{"id": a.id, "code": a.code, "name": a.name} for a in message.audiences],
           "channel": message.channel, "channel_label": CHANNEL_LABELS.get(message.channel, message.channel),
           "theme": message.theme, "priority": message.priority.value,
           "priority_label": PRIORITY_LABELS[message.priority], **stamp("valid_from", message.valid_from),
           **stamp("valid_to", message.valid_to), "min_per_week": message.min_per_week,
           "peak_per_day": message.peak_per_day, "min_gap_hours": message.min_gap_hours,
           **stamp("created_at", message.created_at), "latest_version": version_json(message.latest),
           "approved_version_id": approved.id if approved else None, **stamp("retired_at", message.retired_at)}
    if detail:
        out["versions"] = [version_json(v, body=True) for v in message.versions]
        pending = content.open_change_request(message)   # the approver's note, in view until the next approval
        out["change_request"] = None if pending is None else {
            "version_id": pending.id, "note": pending.review_note, "reviewed_by": user_ref(pending.reviewed_by),
            **stamp("reviewed_at", pending.reviewed_at)}
    return out


def load_message(message_id: int) -> Message:
    """A message whose plan the user may see; 404 otherwise."""
    message = db_session().get(Message, message_id)
    if message is None:
        raise not_found()
    load_plan(message.plan_id)
    return message


def load_version(message: Message, version_id: int) -> MessageVersion:
    version = db_session().get(MessageVersion, version_id)
    if version is None or version.message_id != message.id:
        raise not_found()
    return version


def require_owned(plan: Plan) -> None:
    """Content of a plan owned by a unit above the user's is read-only (same rule as the pages)."""
    if not owns_plan(api_user(), plan):
        raise ApiError(403, "Nội dung của kế hoạch cấp trên chỉ được xem, không được sửa hoặc duyệt.",
                       code="forbidden")


def content_error(exc: content.ContentError) -> ApiError:
    """A refused transition is a conflict (409); anything else is bad input (400 with fields)."""
    if set(exc.errors) == {"status"}:
        return ApiError(409, exc.errors["status"], code="invalid_transition")
    if set(exc.errors) == {"form"}:    # a closed plan or a retired message (planner/operations/plan_state.py)
        return ApiError(409, exc.errors["form"], code="read_only")
    return invalid(exc.errors)


@bp.get("/plans")
@reads(*api_queries.PLANS)
def list_plans():
    require("plan.view")
    limit, offset = query("limit"), query("offset")
    stmt = visible_plans(api_user())
    total = db_session().scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    plans = db_session().scalars(stmt.order_by(Plan.id.desc()).limit(limit).offset(offset)).all()
    return paged([plan_json(p) for p in plans], total, limit, offset)


@bp.get("/plans/<int:plan_id>")
def get_plan(plan_id: int):
    require("plan.view")
    return jsonify(plan_json(load_plan(plan_id), detail=True))


@bp.get("/plans/<int:plan_id>/messages")
@reads(*api_queries.MESSAGES)
def list_messages(plan_id: int):
    require("plan.view")
    plan = load_plan(plan_id)
    stmt = select(Message).where(Message.plan_id == plan.id)
    channel = query("channel")
    if channel:
        stmt = stmt.where(Message.channel == channel)
    stmt = stmt.options(selectinload(Message.versions).selectinload(MessageVersion.audiences),
                        selectinload(Message.versions).selectinload(MessageVersion.images),
                        selectinload(Message.audience))
    page = paging.page_request((str, int))
    messages, next_cursor, total = paging.fetch_page(db_session(), stmt, [Message.channel, Message.id], page)
    return paging.page_response([message_json(m) for m in messages], page, next_cursor, total)


@bp.post("/plans/<int:plan_id>/messages")
@accepts(api_schemas.MessageInput)
def create_message(plan_id: int):
    require("message.edit")
    plan = load_plan(plan_id)
    require_owned(plan)
    data = message_body()
    try:
        message = content.create_message(db_session(), plan, api_user(), data, now=utcnow())
    except content.ContentError as exc:
        raise content_error(exc) from None
    commit()
    return created(message_json(message, detail=True), url_for("api.get_message", message_id=message.id))


@bp.get("/messages/<int:message_id>")
def get_message(message_id: int):
    require("plan.view")
    return jsonify(message_json(load_message(message_id), detail=True))


@bp.route("/messages/<int:message_id>", methods=["PUT", "PATCH"])
@accepts(api_schemas.MessageInput)
def edit_message(message_id: int):
    """PUT sends every field; PATCH only those that change. A reviewed version gets a new draft version."""
    require("message.edit")
    message = load_message(message_id)
    require_owned(message.plan)
    data = message_body()
    if request.method == "PATCH":
        current = content.form_values(message)
        if "audience_id" in data and "audience_ids" not in data:    # the one-group shorthand replaces the list
            current.pop("audience_ids")
        data = {**current, **data}
    try:
        version = content.edit_message(db_session(), message, api_user(), data, now=utcnow())
    except content.ContentError as exc:
        raise content_error(exc) from None
    commit()
    return jsonify(message_json(message, detail=True) | {"saved_version_id": version.id})


@bp.post("/messages/<int:message_id>/versions/<int:version_id>/submit")
def submit_version(message_id: int, version_id: int):
    require("message.edit")
    message = load_message(message_id)
    require_owned(message.plan)
    version = load_version(message, version_id)
    try:
        content.submit_version(db_session(), version, api_user(), now=utcnow())
    except content.ContentError as exc:
        raise content_error(exc) from None
    commit()
    return jsonify(message_json(message, detail=True))


@bp.post("/messages/<int:message_id>/versions/<int:version_id>/review")
@accepts(api_schemas.ReviewInput)
def review_version(message_id: int, version_id: int):
    """Approve, or request changes with a note; the writer of a version may not review it."""
    require("message.review")
    message = load_message(message_id)
    if not may_review(db_session(), api_user(), message.plan):
        raise ApiError(403, "Tin bài này do người duyệt của đơn vị gần nhất có người duyệt xử lý.", code="forbidden")
    version = load_version(message, version_id)
    data = body()
    if version.created_by_id is not None and version.created_by_id == api_user().id:
        raise ApiError(403, "Người viết không tự duyệt bài của mình.", code="own_version")
    try:
        content.review_version(db_session(), version, api_user(), approve=data["decision"] == "approve",
                               note=data.get("note", ""), now=utcnow())
    except content.ContentError as exc:
        raise content_error(exc) from None
    commit()
    return jsonify(message_json(message, detail=True))
