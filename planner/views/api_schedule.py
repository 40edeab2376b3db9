"""JSON API: schedule generation, occurrences (filtered, paged) and their deliveries, logged-in confirmation,
targets and scheduled online posts."""
from __future__ import annotations

from planner import api_queries, api_schemas
import datetime as dt
from dataclasses import replace

from flask import current_app, jsonify, request, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from planner import localtime
from planner.access import AccessDenied, get_plan, sees_unit, unit_scope, visible_plans
from planner.channels import CHANNEL_LABELS, get_channel
from planner.db import utcnow
from planner.models import (ConfirmedVia, Delivery, MessageVersion, Occurrence, Plan, Role, RunStatus, ScheduleRun,
                            Target, Unit)
from planner.operations import delivery as ops
from planner.operations import placement
from planner.operations.calendar import STATUS_FILTERS, for_audience
from planner.operations.counts import occurrence_total
from planner.operations.schedule import ScheduleBusy, ScheduleError, start_schedule
from planner.views import once, paging
from planner.views.api import (ApiError, accepts, api_user, body, bp, commit, invalid, load_plan, not_found, paged,
                               query, reads, require, stamp, unit_ref, user_ref)
from planner.views.common import db_session
from planner.views import versions  # noqa: F401,E402 — registers ETag / If-Match on the API blueprint


def delivery_json(delivery: Delivery | None) -> dict | None:
    if delivery is None:
        return None
    return {"id": delivery.id, "occurrence_id": delivery.occurrence_id, "channel": delivery.channel,
            "status": delivery.status.value, "status_label": delivery.status_label, **stamp("due_at", delivery.due_at),
            **stamp("finished_at", delivery.finished_at),
            "confirmed_via": delivery.confirmed_via.value if delivery.confirmed_via else None,
            "confirmed_by": user_ref(delivery.confirmed_by), "confirmed_by_name": delivery.confirmed_by_name,
            "reason": delivery.reason, "external_id": delivery.external_id, "error": delivery.error,
            **stamp("updated_at", delivery.updated_at)}


def occurrence_json(occ: Occurrence, *, with_delivery: bool = True) -> dict:
    out = {"id": occ.id, "plan_id": occ.plan_id,
           "target": {"id": occ.target.id, "name": occ.target.name, "channel": occ.target.channel,
                      "unit": unit_ref(occ.target.unit)},
           "message_id": occ.version.message_id, "message_version_id": occ.message_version_id,
           "title": occ.version.title, **stamp("starts_at", occ.starts_at),
           **stamp("session_starts_at", occ.session_starts_at), "duration_seconds": occ.duration_seconds,
           "is_pinned": occ.is_pinned, "is_ad_hoc": occ.is_ad_hoc, "source": occ.source.value}
    if with_delivery:
        out["delivery"] = delivery_json(occ.delivery)
    return out


def _date_arg(name: str, fields: dict):
    raw = request.args.get(name)
    if not raw:
        return None
    try:
        return localtime.parse_date(raw)
    except ValueError as exc:
        fields[name] = f"{exc}."
        return None


def _in_scope(session, model, object_id: int, unit_of):
    """An object by id whose unit is within the user's scope; 404 otherwise."""
    obj = session.get(model, object_id)
    if obj is None or not sees_unit(api_user(), unit_of(obj)):
        raise not_found()
    return obj


@bp.get("/occurrences")
@reads(*api_queries.OCCURRENCES)
def list_occurrences():
    """Occurrences of visible plans at targets within the user's units; filters plan, unit, target, dates, channel.

    Ordered by start time; `cursor` (from `next_cursor`) pages by key, `count=true` adds the total."""
    require("plan.view")
    session, user = db_session(), api_user()
    fields: dict[str, str] = {}
    first, last = _date_arg("from", fields), _date_arg("to", fields)
    if first and last and last < first:
        fields["to"] = "Ngày kết thúc phải sau ngày bắt đầu."
    channel = query("channel", fields)
    ids = {name: query(name) for name in ("plan", "unit", "target", "message", "audience")}
    status = query("status", fields) or ""
    page = paging.page_request((dt.datetime, int))
    if fields:
        raise invalid(fields, "Bộ lọc không hợp lệ.")
    plan_ids = visible_plans(user).with_only_columns(Plan.id).order_by(None)
    stmt = (select(Occurrence).join(Target, Target.id == Occurrence.target_id)
            .join(Unit, Unit.id == Target.unit_id).where(unit_scope(user), Occurrence.plan_id.in_(plan_ids)))
    plan = unit = None
    if ids["plan"]:
        plan = load_plan(ids["plan"])
        stmt = stmt.where(Occurrence.plan_id == plan.id)
    if ids["unit"]:
        unit = _in_scope(session, Unit, ids["unit"], lambda u: u)
        stmt = stmt.where(Unit.path.startswith(unit.path, autoescape=True))
    if ids["target"]:
        stmt = stmt.where(Occurrence.target_id == _in_scope(session, Target, ids["target"], lambda t: t.unit).id)
    if channel:
        stmt = stmt.where(Target.channel == channel)
    if ids["message"]:
        stmt = stmt.where(Occurrence.message_version_id.in_(
            select(MessageVersion.id).where(MessageVersion.message_id == ids["message"])))
    if ids["audience"]:
        stmt = stmt.where(for_audience(ids["audience"]))
    if status:
        stmt = stmt.where(Occurrence.id.in_(select(Delivery.occurrence_id)
                                            .where(Delivery.status.in_(STATUS_FILTERS[status][1]))))
    if first:
        stmt = stmt.where(Occurrence.starts_at >= localtime.local_day_bounds(first)[0])
    if last:
        stmt = stmt.where(Occurrence.starts_at < localtime.local_day_bounds(last)[1])
    stmt = stmt.options(selectinload(Occurrence.version), selectinload(Occurrence.delivery),
                        selectinload(Occurrence.target).selectinload(Target.unit))
    total = None
    if page.count and plan is not None and not (ids["target"] or ids["message"] or ids["audience"]):
        # One plan, filters the counts carry: the total is summed from the trigger-kept counts (a province plan's
        # ≈ 600 k occurrences were counted one by one); tests/app/test_paging.py checks both agree.
        within = [u for u in (None if user.role is Role.ADMIN else user.unit, unit) if u is not None]
        total = occurrence_total(session, plan, within, channel=channel or "",
                                 statuses=STATUS_FILTERS[status][1] if status else None, first=first, last=last)
    rows, next_cursor, counted = paging.fetch_page(session, stmt, [Occurrence.starts_at, Occurrence.id],
                                                   page if total is None else replace(page, count=False))
    return paging.page_response([occurrence_json(o) for o in rows], page, next_cursor,
                                counted if total is None else total)


def load_delivery(delivery_id: int) -> Delivery:
    """A delivery at a target within the user's scope, of a plan they may see; 404 otherwise."""
    delivery = db_session().get(Delivery, delivery_id)
    if delivery is None or not sees_unit(api_user(), delivery.occurrence.target.unit):
        raise not_found()
    try:
        get_plan(db_session(), api_user(), delivery.occurrence.plan_id)
    except AccessDenied:
        raise not_found() from None
    return delivery


@bp.get("/deliveries/<int:delivery_id>")
def get_delivery(delivery_id: int):
    require("plan.view")
    delivery = load_delivery(delivery_id)
    return jsonify(delivery_json(delivery) | {"occurrence": occurrence_json(delivery.occurrence, with_delivery=False)})


@bp.post("/deliveries/<int:delivery_id>/confirm")
@accepts(api_schemas.ConfirmInput)
def confirm_delivery(delivery_id: int):
    """Record that a broadcast aired (or why not); confirming the same outcome again changes nothing."""
    require("delivery.confirm")
    delivery = load_delivery(delivery_id)
    data = body()
    try:
        changed = ops.confirm_delivery(db_session(), delivery, aired=data["aired"], reason=data.get("reason", ""),
                                       via=ConfirmedVia.USER, now=utcnow(), user=api_user())
    except ops.DeliveryError as exc:
        if not data["aired"] and not data.get("reason", "").strip() and not isinstance(exc, ops.OnlineConfirmError):
            raise invalid({"reason": str(exc)}) from None
        raise ApiError(409, str(exc), code="cannot_confirm") from None
    commit()
    return jsonify(delivery_json(delivery) | {"changed": changed})


# --------------------------------------------------------------------------- targets and scheduled posts

def target_json(target: Target) -> dict:
    out = {"id": target.id, "code": target.code, "name": target.name, "channel": target.channel,
           "channel_label": CHANNEL_LABELS.get(target.channel, target.channel),
           "is_online": get_channel(target.channel).is_online, "unit": unit_ref(target.unit)}
    if target.channel == "zalo":   # the OA's daily broadcast quota, before anyone schedules
        from planner.operations.placement import daily_quota

        out["daily_quota"] = [{**stamp("date", q["date"]), "used": q["used"], "limit": q["limit"]}
                              for q in daily_quota(db_session(), target, today=localtime.today(utcnow()),
                                                   settings=current_app.config)]
    return out


@bp.get("/targets")
@reads(*api_queries.TARGETS)
def list_targets():
    """Active targets (pages, loudspeaker clusters) at the user's unit and below; filter `channel`."""
    require("plan.view")
    fields: dict[str, str] = {}
    channel = query("channel", fields)
    if fields:
        raise invalid(fields, "Bộ lọc không hợp lệ.")
    limit, offset = query("limit"), query("offset")
    stmt = (select(Target).join(Unit, Unit.id == Target.unit_id).where(unit_scope(api_user()), Target.is_active))
    if channel:
        stmt = stmt.where(Target.channel == channel)
    session = db_session()
    total = session.scalar(select(func.count()).select_from(stmt.subquery()))
    rows = session.scalars(stmt.options(selectinload(Target.unit)).order_by(Unit.path, Target.id)
                           .limit(limit).offset(offset)).all()
    return paged([target_json(t) for t in rows], total, limit, offset)


def parse_moment(text: str) -> dt.datetime:
    """ISO 8601 date-time; without an offset it is Vietnam time (as the page's day and hour fields)."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise invalid({"at": "Thời điểm phải theo ISO 8601, ví dụ 2026-04-10T19:30:00+07:00."}) from None
    if moment.tzinfo is None:
        moment = localtime.local_datetime(moment.date(), moment.time())
    return moment.astimezone(dt.timezone.utc)


@bp.post("/messages/<int:message_id>/posts")
@accepts(api_schemas.PostInput)
def schedule_post(message_id: int):
    """Schedule the approved version of a message at an online target (pinned), as 'Lên lịch đăng' does.

    An `Idempotency-Key` header makes retries safe: the same key again answers the first response.
    """
    from planner.views.api_content import load_message

    require("schedule.edit")
    message = load_message(message_id)
    data = body()
    when = parse_moment(data["at"])
    session = db_session()
    target = _in_scope(session, Target, int(data["target_id"]), lambda t: t.unit)
    if not get_channel(target.channel).is_online:
        raise invalid({"target_id": "Chỉ lên lịch đăng trên trang/kênh trực tuyến."})
    claimed = once.api_claim("api.schedule_post", {"message_id": message_id, **data})
    if claimed.replay:
        return once.api_replay(claimed.replay)
    try:
        occ = placement.place_message_at(session, message, target, when, user=api_user(), now=utcnow(),
                                         settings=current_app.config)
    except placement.OutsideWindow as exc:      # Facebook's scheduling window: 10 minutes to 30 days ahead
        raise ApiError(422, str(exc), code="outside_window") from None
    except placement.PlacementError as exc:
        raise ApiError(409, str(exc), code="cannot_schedule") from None
    return once.api_created(claimed, resource="occurrence", resource_id=occ.id, body=occurrence_json(occ),
                            location=url_for("api.get_delivery", delivery_id=occ.delivery.id))


# --------------------------------------------------------------------------- schedule generation

def run_json(run: ScheduleRun) -> dict:
    return {"id": run.id, "plan_id": run.plan_id, "unit": unit_ref(run.unit), "channel": run.channel,
            **stamp("first_day", run.first_day), **stamp("last_day", run.last_day), "status": run.status.value,
            "status_label": run.status_label, "targets": run.targets, "placed": run.placed, "removed": run.removed,
            "kept": run.kept, "issues": run.issues or [], "error": run.error, "note": run.note or "",
            **stamp("created_at", run.created_at),
            **stamp("finished_at", run.finished_at)}


@bp.post("/plans/<int:plan_id>/schedule-runs")
@accepts(api_schemas.ScheduleRunInput)
def start_schedule_run(plan_id: int):
    """'Lập lịch': generate now (201) or queue for the worker (202); 409 while the plan × channel is being scheduled."""
    from planner.views.schedule import _plan_channels

    require("schedule.edit")
    plan = load_plan(plan_id)
    data = body()
    fields, days = {}, {}
    for name in ("start", "end"):
        try:
            days[name] = localtime.parse_date(data[name])
        except ValueError as exc:
            fields[name] = str(exc)
    if data["channel"] not in _plan_channels(plan):
        fields["channel"] = "Kênh không thuộc kế hoạch."
    if fields:
        raise invalid(fields)
    session = db_session()
    unit = _in_scope(session, Unit, int(data["unit_id"]), lambda u: u) if "unit_id" in data else api_user().unit
    claimed = once.api_claim("api.start_schedule_run", {"plan_id": plan_id, **data})
    if claimed.replay:
        return once.api_replay(claimed.replay)
    try:
        run = start_schedule(session, plan, unit=unit, channel=data["channel"], start=days["start"], end=days["end"],
                             now=utcnow(), settings=current_app.config, user=api_user())
    except ScheduleBusy as exc:
        raise ApiError(409, str(exc), code="schedule_in_progress") from None
    except ScheduleError as exc:
        raise ApiError(400, str(exc), code="cannot_schedule") from None
    return once.api_created(claimed, resource="schedule_run", resource_id=run.id, body=run_json(run),
                            location=url_for("api.get_schedule_run", plan_id=plan.id, run_id=run.id),
                            status=201 if run.status is RunStatus.DONE else 202)


@bp.get("/plans/<int:plan_id>/schedule-runs/<int:run_id>")
def get_schedule_run(plan_id: int, run_id: int):
    """One generation and its exception report (poll a queued one until done or failed)."""
    require("plan.view")
    plan = load_plan(plan_id)
    run = db_session().get(ScheduleRun, run_id)
    if run is None or run.plan_id != plan.id or not sees_unit(api_user(), run.unit):
        raise not_found()
    return jsonify(run_json(run))


@bp.post("/deliveries/<int:delivery_id>/reconcile")
@accepts(api_schemas.ReconcileInput)
def reconcile_delivery(delivery_id: int):
    """Settle an online post whose outcome is unknown, after checking the page (as the attention page does)."""
    require("schedule.edit")
    delivery = load_delivery(delivery_id)
    data = body()
    try:
        ops.reconcile_delivery(db_session(), delivery, published=data["published"],
                               external_id=data.get("external_id", ""), note=data.get("note", ""), user=api_user(),
                               now=utcnow())
    except ops.DeliveryError as exc:
        if data["published"] and not data.get("external_id", "").strip():
            raise invalid({"external_id": str(exc)}) from None
        raise ApiError(409, str(exc), code="cannot_reconcile") from None
    commit()
    return jsonify(delivery_json(delivery))
