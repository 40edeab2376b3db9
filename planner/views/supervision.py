"""The supervisor's dashboard: drill-down by unit with filters, charts, and XLSX/CSV of every table."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import select

from planner import dashboard_tables as tables
from planner import localtime
from planner.access import sees_unit
from planner.db import utcnow
from planner.models import Message, Plan, Unit, UnitKind, User
from planner.operations.due_items import due_items_for
from planner.reports import plan_dashboard, sorted_groups
from planner.supervision import Filters, drilldown, progress_series_many, weekly_activity
from planner.tables import Table, to_csv, to_xlsx
from planner.views.common import db_session, require_permission, small_int
from planner.views.plans import load_plan

bp = Blueprint("supervision", __name__)


class FilterError(ValueError):
    """A filter in the query string that cannot be read; the message is Vietnamese."""


def read_filters(session, plan: Plan, user: User, args, *, today: dt.date) -> tuple[Unit, Filters]:
    """The unit drilled into and the filters, from ?unit=&from=&to=&channel=&audience=&message=."""
    unit = user.unit
    if args.get("unit"):
        unit = session.get(Unit, small_int(args.get("unit")) or 0)
        if unit is None or not sees_unit(user, unit):
            raise LookupError("unit")
    last_default = min(today, plan.ends_on) if plan.ends_on else today
    try:
        first = localtime.parse_date(args["from"]) if args.get("from") else plan.starts_on
        last = localtime.parse_date(args["to"]) if args.get("to") else max(last_default, first)
    except ValueError as exc:
        raise FilterError(str(exc)) from None
    if last < first:
        raise FilterError("Ngày kết thúc phải sau ngày bắt đầu.")
    if (last - first).days > 3 * 366:
        raise FilterError("Khoảng thời gian tối đa là 3 năm.")
    audience = small_int(args.get("audience")) if args.get("audience") else None
    message = small_int(args.get("message")) if args.get("message") else None
    if message and session.scalar(select(Message.id).where(Message.id == message, Message.plan_id == plan.id)) is None:
        raise FilterError("Tin bài không thuộc kế hoạch này.")
    return unit, Filters(first, last, (args.get("channel") or "")[:32], audience, message)


def _load(plan_id: int):
    plan = load_plan(plan_id)
    require_permission("report.view")
    session = db_session()
    try:
        unit, filters = read_filters(session, plan, current_user, request.args, today=localtime.today(utcnow()))
    except LookupError:
        abort(404)
    except FilterError:
        abort(400)
    return session, plan, unit, filters


def dashboard_page(plan_id: int):
    """GET /plans/<id>/dashboard (registered on the plans blueprint)."""
    plan = load_plan(plan_id)
    require_permission("report.view")
    session = db_session()
    error = ""
    try:
        unit, filters = read_filters(session, plan, current_user, request.args, today=localtime.today(utcnow()))
    except LookupError:
        abort(404)
    except FilterError as exc:
        error = str(exc)
        unit, filters = read_filters(session, plan, current_user, {"unit": request.args.get("unit")},
                                     today=localtime.today(utcnow()))
    data = drilldown(session, plan, unit, filters, scope_top=current_user.unit)
    # Above a commune the audience table and the loss reasons would read every delivery of the province: they
    # are left to the communes' pages and the CSV. The counts the drill-down read are reused (unfiltered only).
    plain = not (filters.channel or filters.audience_id or filters.message_id)
    summary = plan_dashboard(session, plan, current_user, first=filters.first, last=filters.last, root=unit,
                             details=unit.kind not in (UnitKind.COUNTRY, UnitKind.PROVINCE),
                             found=data.activity if plain else None, names=data.child_names)
    weeks = weekly_activity(session, plan, unit, filters)
    charted = [ind for ind, fig in zip(data.indicators, data.root.figures) if fig.is_applicable][:3]  # 3 charts
    progress = [tables.progress_chart(ind, points) for ind, points in
                zip(charted, progress_series_many(session, charted, unit, filters.first, filters.last))]
    messages = session.execute(select(Message.id, Message.code).where(Message.plan_id == plan.id)
                               .order_by(Message.code)).all()
    due = due_items_for(session, plan, unit, today=localtime.today(utcnow()))
    session.commit()  # due items are created from the plan's reporting duties the first time they are needed
    return render_template(
        "pages/plans/dashboard.html", plan=plan, data=data, summary=summary, sorted_groups=sorted_groups,
        t=tables, activity_svg=tables.activity_chart(weeks), ranking_svg=tables.ranking_chart(data),
        progress_svgs=progress, messages=messages, error=error, args=request.args, due=due), (400 if error else 200)


def all_tables(session, plan: Plan, unit: Unit, filters: Filters) -> dict[str, Table]:
    """Every table the dashboard shows, by name (units, indicators, channels, audiences, weeks)."""
    data = drilldown(session, plan, unit, filters, scope_top=current_user.unit)
    summary = plan_dashboard(session, plan, current_user, first=filters.first, last=filters.last, root=unit)
    return {"units": tables.unit_table(data), "indicators": tables.indicator_table(data),
            "channels": tables.tally_table("Theo kênh", "Kênh", summary.by_channel, summary.total),
            "audiences": tables.tally_table("Theo nhóm đối tượng", "Nhóm đối tượng", summary.by_audience,
                                            summary.total),
            "weeks": tables.weekly_table(weekly_activity(session, plan, unit, filters))}


@bp.get("/plans/<int:plan_id>/dashboard.xlsx")
@login_required
def dashboard_xlsx(plan_id: int):
    session, plan, unit, filters = _load(plan_id)
    body = to_xlsx(list(all_tables(session, plan, unit, filters).values()))
    return _download(body, f"theo-doi-{plan.code}-{unit.code}.xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/plans/<int:plan_id>/dashboard.csv")
@login_required
def dashboard_csv(plan_id: int):
    session, plan, unit, filters = _load(plan_id)
    name = request.args.get("table") or "units"
    found = all_tables(session, plan, unit, filters)
    if name not in found:
        abort(404)
    return _download(to_csv(found[name]), f"theo-doi-{plan.code}-{unit.code}-{name}.csv", "text/csv; charset=utf-8")


def _download(body: bytes, name: str, mimetype: str) -> Response:
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})
