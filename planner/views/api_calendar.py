"""JSON API of the calendar and 'Cần xử lý': move/pin/cancel/undo an occurrence, make up or mark handled."""
from __future__ import annotations

from planner import api_queries, api_schemas
import datetime as dt

from flask import current_app, jsonify, url_for

from planner.access import AccessDenied, get_plan, sees_unit
from planner.db import utcnow
from planner.models import Delivery, Message, Occurrence, Target, Unit
from planner.operations import attention, moves
from planner.operations import delivery as ops
from planner.operations.placement import PlacementError
from planner.views.api import (ApiError, accepts, api_user, body, bp, commit, invalid, load_plan, not_found, query, reads,
                               require)
from planner.views.api_schedule import delivery_json, load_delivery, occurrence_json
from planner.views import once, paging
from planner.views.common import db_session


def load_occurrence(occurrence_id: int) -> Occurrence:
    """An occurrence at a target within the user's units, of a plan they may see; 404 otherwise."""
    occ = db_session().get(Occurrence, occurrence_id)
    if occ is None or not sees_unit(api_user(), occ.target.unit):
        raise not_found()
    try:
        get_plan(db_session(), api_user(), occ.plan_id)
    except AccessDenied:
        raise not_found() from None
    return occ


def _refused(exc: PlacementError) -> ApiError:
    """The target cannot take it (422 with the reason) or the item is in no state for it (409)."""
    if isinstance(exc, moves.MoveRefused):
        return ApiError(422, str(exc), code=exc.code)
    return ApiError(409, str(exc), code="conflict")


def _starts_at(raw: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        raise invalid({"starts_at": "Phải là thời điểm ISO 8601, ví dụ 2026-03-02T17:00:00+07:00."}) from None
    if value.tzinfo is None:
        raise invalid({"starts_at": "Cần ghi múi giờ (Z hoặc +07:00)."})
    try:
        return value.astimezone(dt.timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+07:00 has no UTC time
        raise invalid({"starts_at": "Thời điểm nằm ngoài khoảng cho phép."}) from None


@bp.post("/occurrences/<int:occurrence_id>/move")
@accepts(api_schemas.MoveInput)
def move_occurrence(occurrence_id: int):
    """Move into the target's session at starts_at (room and separation checked) or, if ad_hoc, an extra session."""
    require("schedule.edit")
    occ = load_occurrence(occurrence_id)
    data = body()
    try:
        moves.move_occurrence(db_session(), occ, _starts_at(data["starts_at"]), user=api_user(), now=utcnow(),
                              ad_hoc=data.get("ad_hoc", False), settings=current_app.config)
    except PlacementError as exc:
        raise _refused(exc) from None
    commit()
    return jsonify(occurrence_json(occ))


@bp.post("/occurrences/<int:occurrence_id>/pin")
@accepts(api_schemas.PinInput, optional=True)
def pin_occurrence(occurrence_id: int):
    """Pin ({"pinned": true}, the default) or unpin an occurrence."""
    require("schedule.edit")
    occ = load_occurrence(occurrence_id)
    pinned = body().get("pinned", True)
    moves.toggle_pin(db_session(), occ, user=api_user(), pinned=pinned)
    commit()
    return jsonify(occurrence_json(occ))


@bp.post("/occurrences/<int:occurrence_id>/cancel")
@accepts(api_schemas.EmptyInput, optional=True)
def cancel_occurrence(occurrence_id: int):
    """Cancel a planned occurrence (undo with /undo)."""
    require("schedule.edit")
    occ = load_occurrence(occurrence_id)
    try:
        moves.cancel_occurrence(db_session(), occ, user=api_user(), now=utcnow())
    except PlacementError as exc:
        raise _refused(exc) from None
    commit()
    return jsonify(occurrence_json(occ))


@bp.post("/occurrences/<int:occurrence_id>/undo")
@accepts(api_schemas.EmptyInput, optional=True)
def undo_occurrence(occurrence_id: int):
    """Undo the occurrence's last move or cancel."""
    require("schedule.edit")
    occ = load_occurrence(occurrence_id)
    try:
        undone = moves.undo_last_change(db_session(), occ, user=api_user(), now=utcnow())
    except PlacementError as exc:
        raise _refused(exc) from None
    commit()
    return jsonify(occurrence_json(occ) | {"undone": undone})


@bp.post("/deliveries/<int:delivery_id>/make-up")
@accepts(api_schemas.EmptyInput, optional=True)
def make_up_delivery(delivery_id: int):
    """Put a missed or failed loudspeaker broadcast into the village's next free session."""
    require("schedule.edit")
    delivery = load_delivery(delivery_id)
    try:
        occ = attention.make_up_delivery(db_session(), delivery, user=api_user(), now=utcnow(),
                                         settings=current_app.config)
    except ops.DeliveryError as exc:
        raise ApiError(409, str(exc), code="cannot_make_up") from None
    commit()
    response = jsonify(occurrence_json(occ))
    response.status_code = 201
    return response


@bp.post("/deliveries/<int:delivery_id>/handled")
@accepts(api_schemas.HandledInput)
def mark_delivery_handled(delivery_id: int):
    """Take a delivery off 'Cần xử lý' with a reason."""
    require("schedule.edit")
    delivery = load_delivery(delivery_id)
    data = body()
    if not data["reason"].strip():
        raise invalid({"reason": "Vui lòng ghi lý do đánh dấu đã xử lý."})
    try:
        attention.mark_handled(db_session(), delivery, reason=data["reason"], user=api_user(), now=utcnow())
    except ops.DeliveryError as exc:
        raise ApiError(409, str(exc), code="conflict") from None
    commit()
    return jsonify(delivery_json(delivery) | {"handled_reason": delivery.handled_reason})


@bp.get("/plans/<int:plan_id>/attention")
@reads(*api_queries.attention(attention.PAGE_SIZE))
def list_attention(plan_id: int):
    """Open items of 'Cần xử lý' (not handled, not made up), newest first; filters channel, status, village."""
    require("schedule.edit")
    plan = load_plan(plan_id)
    fields: dict[str, str] = {}
    channel, status = query("channel", fields) or "", query("status", fields) or ""
    if fields:
        raise invalid(fields, "Bộ lọc không hợp lệ.")
    flt = attention.AttentionFilter(channel, status, query("village"))
    page = paging.page_request((dt.datetime, int))
    rows, next_cursor, total = paging.fetch_page(db_session(), attention.open_items_loading(plan, api_user().unit, flt),
                                                 list(attention.SORT_KEY), page, descending=True)
    response = paging.page_response([delivery_json(d) | {"occurrence": occurrence_json(d.occurrence,
                                                                                         with_delivery=False),
                                                         "can_make_up": attention.can_make_up(d)} for d in rows],
                                    page, next_cursor, total)
    if page.after is None and not page.offset:     # the first page also says what falls due soon
        response = jsonify(response.get_json() | {"deadlines": _deadlines(plan)})
    return response


def _deadlines(plan) -> list[dict]:
    """Reports, milestones and indicator deadlines of the user's units due within 30 days (as on the page)."""
    from planner import localtime
    from planner.operations.due_items import due_items_for

    today = localtime.today(utcnow())
    due = due_items_for(db_session(), plan, api_user().unit, today=today, ahead=30)
    commit()    # due items are created from the plan's reporting duties when first needed
    return [{"due": d.due.isoformat(), "due_local": localtime.fmt_date(d.due), "what": d.what, "days_left": d.days_left}
            for d in attention.upcoming_deadlines(plan, today, due=due)]


@bp.post("/plans/<int:plan_id>/emergency")
@accepts(api_schemas.EmergencyInput)
def insert_emergency(plan_id: int):
    """Insert an approved loudspeaker message as an emergency into the next session(s) of a unit's targets,
    after pinned items and earlier emergencies; displaced broadcasts are re-placed and listed."""
    from planner.operations.repairs import insert_emergency_message
    from planner.operations.schedule import ScheduleBusy, ScheduleError, hold_generation_lock

    require("schedule.edit")
    plan = load_plan(plan_id)
    data = body()
    session = db_session()
    message, unit = session.get(Message, int(data["message_id"])), session.get(Unit, int(data["unit_id"]))
    if message is None or message.plan_id != plan.id or unit is None or not sees_unit(api_user(), unit):
        raise not_found()
    if message.approved is None or message.approved.channel != "loudspeaker":
        raise invalid({"message_id": "Chỉ chèn được tin đã duyệt của kênh loa truyền thanh."})
    claimed = once.api_claim("api.insert_emergency", {**data, "plan_id": plan.id})
    if claimed.replay:
        return once.api_replay(claimed.replay)
    try:
        hold_generation_lock(session, plan, "loudspeaker", utcnow(), current_app.config)   # not mid-generation
        outcome = insert_emergency_message(session, message, unit, sessions_ahead=int(data.get("sessions", 1)),
                                           now=utcnow(), settings=current_app.config, user=api_user())
    except ScheduleBusy as exc:
        raise ApiError(409, str(exc), code="schedule_in_progress") from None
    except ScheduleError as exc:
        raise ApiError(422, str(exc), code="cannot_insert_emergency") from None
    result = {"placed": outcome.placed, "moved": outcome.moved, "dropped": outcome.dropped, "issues": outcome.issues}
    return once.api_created(claimed, resource="plan", resource_id=plan.id, body=result,
                            location=url_for("api.list_occurrences", plan=plan.id, unit=unit.id))


BULK_MAX = 500


@bp.post("/plans/<int:plan_id>/attention/bulk")
@accepts(api_schemas.AttentionBulkInput)
def attention_bulk(plan_id: int):
    """Make up or mark handled the listed open items, or every open item matching the filter (at most 500)."""
    from sqlalchemy.orm import selectinload

    require("schedule.edit")
    plan = load_plan(plan_id)
    data = body()
    reason = (data.get("reason") or "").strip()
    if data["action"] == "handled" and not reason:
        raise invalid({"reason": "Vui lòng ghi lý do đánh dấu đã xử lý."})
    if not data.get("all") and not data.get("ids"):
        raise invalid({"ids": "Chọn ít nhất một lượt, hoặc gửi all=true để xử lý mọi lượt theo bộ lọc."})
    session = db_session()
    flt = attention.AttentionFilter(data.get("channel", ""), data.get("status", ""),
                                    int(data["village"]) if data.get("village") else None)
    stmt = attention.open_items_query(plan, api_user().unit, flt)
    if not data.get("all"):
        stmt = stmt.where(Delivery.id.in_(data["ids"]))
    rows = session.scalars(stmt.options(selectinload(Delivery.occurrence).selectinload(Occurrence.target)
                                        .selectinload(Target.unit)).order_by(Delivery.id).limit(BULK_MAX)).all()
    if data["action"] == "make_up":
        able = [d for d in rows if attention.can_make_up(d)]
        done, errors = attention.apply_to_many(session, able, attention.make_up_delivery, user=api_user(),
                                               now=utcnow(), settings=current_app.config)
        skipped = len(rows) - len(able)
    else:
        done, errors = attention.apply_to_many(session, list(rows), attention.mark_handled, reason=reason,
                                               user=api_user(), now=utcnow())
        skipped = 0
    commit()
    return jsonify({"action": data["action"], "matched": len(rows), "done": done, "skipped": skipped,
                    "errors": errors})
