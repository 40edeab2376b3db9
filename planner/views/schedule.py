"""Schedule pages: generate, the week/month calendar, manual placement, move/pin, village rosters."""
from __future__ import annotations

import datetime as dt
import secrets

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from planner import localtime
from planner.access import sees_unit
from planner.db import utcnow
from planner.models import ScheduleRun, Target, Unit
from planner.operations import calendar as cal
from planner.operations import calendar_counts as counts
from planner.operations import placement
from planner.operations.schedule import ScheduleBusy, ScheduleError, hold_generation_lock, start_schedule
from planner.views import once
from planner.views.common import db_session, require_permission, small_int
from planner.views.messages import load_message
from planner.views.pager import page_of
from planner.views.plans import load_plan

bp = Blueprint("schedule", __name__)


def _unit_arg(name: str = "unit") -> Unit:
    unit_id = small_int(request.values.get(name))
    unit = db_session().get(Unit, unit_id) if unit_id else current_user.unit
    if unit is None or not sees_unit(current_user, unit):
        abort(404)
    return unit


def _plan_channels(plan) -> list[str]:
    return [c for c in (plan.details.get("channels") or []) if c in ("loudspeaker", "fanpage", "zalo", "portal")] \
        or ["loudspeaker"]


@bp.route("/plans/<int:plan_id>/schedule", methods=["GET", "POST"])
@login_required
def generate(plan_id: int):
    plan = load_plan(plan_id)
    require_permission("schedule.edit")
    session = db_session()
    units = cal.unit_options(session, current_user.unit)
    form = dict(request.form) if request.method == "POST" else _default_generate_form(plan)
    errors, busy = {}, False
    if request.method == "POST":
        try:
            unit = _unit_arg()
            start, end = _parse_range(form, errors)
            if form.get("channel") not in _plan_channels(plan):
                errors["channel"] = "Vui lòng chọn kênh của kế hoạch."
            if not errors:
                claimed = once.claim(session, current_user, form.get(once.FIELD), "schedule.generate",
                                     once.form_payload(plan_id=plan.id))
                if claimed.replay:      # a double submit of the same form: show the run it started
                    flash("Biểu mẫu này đã được gửi; đây là lần lập lịch đã tạo (không lập lịch lần nữa).", "info")
                    return redirect(url_for("schedule.run", plan_id=plan.id, run_id=claimed.replay.resource_id))
                run = start_schedule(session, plan, unit=unit, channel=form["channel"], start=start, end=end,
                                     now=utcnow(), settings=current_app.config, user=current_user)
                once.complete(claimed, resource="schedule_run", resource_id=run.id, status=302)
                session.commit()
                return redirect(url_for("schedule.run", plan_id=plan.id, run_id=run.id))
        except (once.KeyReused, once.BadKey) as exc:
            errors["form"], form[once.FIELD] = f"{exc} Bấm Lập lịch lần nữa nếu bạn muốn lập lịch lại.", once.new_key()
        except ScheduleError as exc:
            session.rollback()
            errors["form"] = str(exc)
            busy = isinstance(exc, ScheduleBusy)
    return render_template("pages/schedule/generate.html", plan=plan, units=units, form=form, errors=errors,
                           channels=_plan_channels(plan)), (409 if busy else 400 if errors else 200)


def _default_generate_form(plan) -> dict:
    today = localtime.today(utcnow())
    peak = next((w for w in plan.windows if w.kind.value == "peak" and not w.is_yearly and w.ends_on >= today), None)
    start, end = (max(today, peak.starts_on), peak.ends_on) if peak else (today, today + dt.timedelta(days=27))
    return {"start": localtime.fmt_date(start), "end": localtime.fmt_date(end), "channel": _plan_channels(plan)[0],
            "unit": str(current_user.unit_id)}


def _parse_range(form: dict, errors: dict) -> tuple[dt.date | None, dt.date | None]:
    dates = {}
    for name in ("start", "end"):
        try:
            dates[name] = localtime.parse_date(form.get(name, ""))
        except ValueError as exc:
            errors[name] = str(exc)
    if not errors and dates["end"] < dates["start"]:
        errors["end"] = "Ngày kết thúc phải sau ngày bắt đầu."
    return dates.get("start"), dates.get("end")


@bp.get("/plans/<int:plan_id>/calendar")
@login_required
def calendar(plan_id: int):
    plan = load_plan(plan_id)
    session = db_session()
    unit = _unit_arg()
    channel = request.args.get("channel") or _plan_channels(plan)[0]
    shown = _plan_channels(plan) if channel == cal.ALL_CHANNELS else [channel]
    view = request.args.get("view") if request.args.get("view") in ("month", "day") else "week"
    try:
        anchor = localtime.parse_date(request.args["date"]) if request.args.get("date") else localtime.today(utcnow())
    except ValueError:
        anchor = localtime.today(utcnow())
    first, last = _view_range(view, anchor)
    status = request.args.get("status") if request.args.get("status") in cal.STATUS_FILTERS else ""
    message_id = small_int(request.args.get("message"))
    audience_id = small_int(request.args.get("audience"))
    audience_id = audience_id if audience_id in {a.id for a in plan.audiences} else None
    statuses = cal.STATUS_FILTERS[status][1] if status else None
    targets, data, unit_rows, month = [], {}, None, None
    cfg = current_app.config
    days = cal.day_infos(session, plan, channel, first, last, unit)
    how_many = counts.count_targets(session, unit, shown)
    if how_many > cfg["CALENDAR_MAX_TARGETS"]:
        unit_rows = counts.child_unit_counts(session, plan, unit, shown, first, last, statuses=statuses,
                                             message_id=message_id, audience_id=audience_id)
    elif view == "month" and how_many > 1:     # day totals only: no sessions or items built
        targets, month = cal.unit_month(session, plan, unit, shown, days, message_id=message_id,
                                        statuses=statuses, audience_id=audience_id)
    else:
        targets, data = cal.unit_calendar(session, plan, unit, shown, first, last, message_id=message_id,
                                          statuses=statuses, audience_id=audience_id)
    nav = {"plan_id": plan.id, "unit": unit.id, "channel": channel,
           **({"status": status} if status else {}), **({"message": message_id} if message_id else {}),
           **({"audience": audience_id} if audience_id else {})}
    from planner.operations.feeds import current_feed_token

    base = current_app.config["BASE_URL"].rstrip("/") or request.host_url.rstrip("/")
    ical_url = base + url_for("feeds.ical", token=current_feed_token(session, current_app.config["SECRET_KEY"],
                                                                     "u", unit.id))
    if month is None:
        month = cal.month_days(targets, data, days) if view == "month" and targets else {}
    return render_template("pages/schedule/calendar.html", plan=plan, unit=unit, channel=channel, view=view,
                           ical_url=ical_url, today=localtime.today(utcnow()), now=utcnow(), nav=nav,
                           status_options=[(k, v[0]) for k, v in cal.STATUS_FILTERS.items()],
                           message_options=cal.message_options(session, plan, shown),
                           anchor=anchor, first=first, last=last, targets=targets, data=data, unit_rows=unit_rows,
                           days=days, month=month,
                           units=counts.picker_units(session, current_user.unit, unit,
                                                     limit=cfg["CALENDAR_PICKER_MAX_UNITS"]),
                           channels=_plan_channels(plan),
                           prev_date=first - dt.timedelta(days=1), next_date=last + dt.timedelta(days=1))


def _view_range(view: str, anchor: dt.date) -> tuple[dt.date, dt.date]:
    if view == "day":
        return anchor, anchor
    if view == "month":
        first = anchor.replace(day=1)
        nxt = (first + dt.timedelta(days=32)).replace(day=1)
        return first, nxt - dt.timedelta(days=1)
    first = anchor - dt.timedelta(days=anchor.weekday())
    return first, first + dt.timedelta(days=6)


@bp.post("/messages/<int:message_id>/place")
@login_required
def place(message_id: int):
    """Schedule an approved post into a chosen time at a page (pinned); a double submit schedules it once."""
    message = load_message(message_id)
    require_permission("schedule.edit")
    session = db_session()
    target = session.get(Target, small_int(request.form.get("target_id")) or 0)
    if target is None or not sees_unit(current_user, target.unit):
        abort(404)
    back = redirect(url_for("messages.show", message_id=message_id))
    try:
        claimed = once.claim(session, current_user, request.form.get(once.FIELD), "schedule.place",
                             once.form_payload(message_id=message_id))
    except (once.KeyReused, once.BadKey) as exc:
        flash(f"{exc} Vui lòng tải lại trang rồi gửi lại.", "error")
        return back
    if claimed.replay:
        flash("Biểu mẫu này đã được gửi: bài đã được lên lịch một lần, không tạo thêm bài trùng.", "info")
        return back
    try:
        occ = placement.place_message(session, message, target, request.form.get("day", ""),
                                      request.form.get("at", ""), user=current_user, now=utcnow(),
                                      settings=current_app.config)
    except placement.PlacementError as exc:
        session.rollback()
        flash(str(exc), "error")
    else:
        once.complete(claimed, resource="occurrence", resource_id=occ.id, status=302)
        session.commit()
        flash(f"Đã lên lịch đăng lúc {localtime.fmt_datetime(occ.starts_at)} trên {target.name}.", "success")
    return back


@bp.get("/plans/<int:plan_id>/schedule/runs")
@login_required
def runs(plan_id: int):
    plan = load_plan(plan_id)
    session = db_session()
    rows, pager = page_of(session, select(ScheduleRun).join(Unit, Unit.id == ScheduleRun.unit_id)
                          .where(ScheduleRun.plan_id == plan.id,
                                 Unit.path.startswith(current_user.unit.path, autoescape=True)),
                          ScheduleRun.id.desc())
    return render_template("pages/schedule/runs.html", plan=plan, runs=rows, pager=pager)


@bp.get("/plans/<int:plan_id>/schedule/runs/<int:run_id>")
@login_required
def run(plan_id: int, run_id: int):
    """One generation and its exception report (grouped by kind); refreshes while the worker runs it."""
    plan = load_plan(plan_id)
    row = db_session().get(ScheduleRun, run_id)
    if row is None or row.plan_id != plan.id or not sees_unit(current_user, row.unit):
        abort(404)
    groups: dict[str, list] = {}
    for issue in row.issues or []:
        groups.setdefault(issue["kind"], []).append(issue)
    return render_template("pages/schedule/run.html", plan=plan, run=row, groups=groups, labels=ISSUE_LABELS,
                           max_lead_days=current_app.config["FACEBOOK_MAX_LEAD_DAYS"])


ISSUE_LABELS = {
    "target_shortfall": "Không đạt chỉ tiêu tần suất",
    "too_long": "Tin dài hơn phiên phát",
    "post_at": "Giờ đăng ghi trong tin không thực hiện được",
    "post_at_far": "Giờ đăng xa hơn giới hạn đặt lịch của nền tảng (lập lịch lại gần ngày đó)",
    "no_sessions": "Không có khung giờ",
    "pinned_conflict": "Xung đột giữa các lượt đã ghim",
    "empty_session": "Phiên trống trong cao điểm",
    "underfilled_session": "Phiên còn trống quá nửa trong cao điểm",
    "emergency_blocked": "Không chèn được tin khẩn",
    "displaced_unplaced": "Tin bị dời không xếp lại được",
    "missed_unplaced": "Lượt bị lỡ không xếp lại được",
}


@bp.route("/plans/<int:plan_id>/emergency", methods=["GET", "POST"])
@login_required
def emergency(plan_id: int):
    """Insert an approved message as an emergency into the next session(s) of a unit's targets."""
    from planner.models import Message
    from planner.operations.repairs import insert_emergency_message

    plan = load_plan(plan_id)
    require_permission("schedule.edit")
    session = db_session()
    messages = [m for m in session.scalars(select(Message).where(Message.plan_id == plan.id).order_by(Message.id))
                if m.approved is not None and m.approved.channel == "loudspeaker"]
    form = dict(request.form) if request.method == "POST" else {
        "unit": str(current_user.unit_id), "sessions": "1", "nonce": secrets.token_urlsafe(12)}
    errors, outcome = {}, None
    if request.method == "POST":
        message = next((m for m in messages if str(m.id) == form.get("message_id")), None)
        sessions = form.get("sessions", "")
        if message is None:
            errors["message_id"] = "Vui lòng chọn tin đã duyệt."
        if not 1 <= (small_int(sessions) or 0) <= 6:
            errors["sessions"] = "Số phiên phải từ 1 đến 6."
        if not errors:
            try:
                # The form's one-time key (stored with the insertion): a refresh, a double click or two tabs
                # sending the same form never insert the emergency into further sessions.
                claimed = once.claim(session, current_user, form.get("nonce"), "schedule.emergency",
                                     once.form_payload(plan_id=plan.id))
                if claimed.replay:
                    raise once.KeyReused("")
                hold_generation_lock(session, plan, "loudspeaker", utcnow(), current_app.config)  # not mid-generation
                outcome = insert_emergency_message(session, message, _unit_arg(), sessions_ahead=int(sessions),
                                                   now=utcnow(), settings=current_app.config, user=current_user)
                once.complete(claimed, resource="plan", resource_id=plan.id, status=200)
                session.commit()
            except once.KeyReused:
                errors["form"] = "Biểu mẫu này đã được gửi, tin khẩn đã được chèn. Mở lại trang nếu cần chèn thêm."
            except (ScheduleError, once.BadKey) as exc:
                session.rollback()
                errors["form"] = str(exc)
    return render_template("pages/schedule/emergency.html", plan=plan, messages=messages, form=form, errors=errors,
                           outcome=outcome, units=cal.unit_options(session, current_user.unit)), \
        (400 if errors else 200)
