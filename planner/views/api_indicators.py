"""JSON API: units in scope, a plan's indicators, recording results, the drill-down dashboard."""
from __future__ import annotations

from planner import api_queries, api_schemas
import datetime as dt

from flask import jsonify, request, url_for
from sqlalchemy import select

from planner import localtime
from planner.access import sees_unit, unit_scope
from planner.db import utcnow
from planner.models import Indicator, IndicatorResult, ResultSource, Unit, UnitKind
from planner.operations.indicators import ResultError, plan_indicators, record_result, result_history
from planner.supervision import Figure, Row, drilldown
from planner.views.api import (accepts, api_user, body, bp, commit, created, invalid, load_plan, not_found, query, reads,
                               require, stamp, unit_ref, user_ref)
from planner.views.common import db_session
from planner.vnsort import vietnamese_key


@bp.get("/units")
@reads(*api_queries.UNITS)
def list_units():
    """Units the user sees, in Vietnamese order; ?kind=village&parent=<id>."""
    require("plan.view", "report.view")
    stmt = select(Unit).where(unit_scope(api_user()))
    kind = query("kind")
    if kind:
        try:
            stmt = stmt.where(Unit.kind == UnitKind(kind))
        except ValueError:
            raise invalid({"kind": "Loại đơn vị không hợp lệ (" + ", ".join(k.value for k in UnitKind) + ")."}) from None
    parent = query("parent")
    if parent is not None:
        stmt = stmt.where(Unit.parent_id == parent)
    units = sorted(db_session().scalars(stmt), key=lambda u: vietnamese_key(u.name))
    return jsonify(items=[unit_ref(u) | {"parent_id": u.parent_id, "kind_label": u.kind_label} for u in units],
                   total=len(units))


def indicator_json(ind: Indicator) -> dict:
    return {"id": ind.id, "plan_id": ind.plan_id, "code": ind.code, "name": ind.name, "measure": ind.measure.value,
            "numerator": ind.numerator_label, "denominator": ind.denominator_label, "unit_label": ind.unit_label,
            "target": ind.target, "baseline": ind.baseline, **stamp("starts_on", ind.starts_on),
            **stamp("deadline", ind.deadline), "level": ind.level.value, "recorded_by": ind.recorded_by,
            "note": ind.note}


def result_json(result: IndicatorResult) -> dict:
    return {"id": result.id, "indicator_id": result.indicator_id, "unit": unit_ref(result.unit),
            **stamp("on", result.measured_on), "value": result.value, "denominator": result.denominator,
            "source": result.source.value, "entered_by": user_ref(result.entered_by),
            "entered_by_name": result.entered_by_name, **stamp("created_at", result.created_at),
            **stamp("replaced_at", result.replaced_at), "replaced_by_id": result.replaced_by_id}


@bp.get("/plans/<int:plan_id>/indicators")
def list_indicators(plan_id: int):
    require("plan.view", "report.view")
    plan = load_plan(plan_id)
    items = plan_indicators(db_session(), plan.id)
    return jsonify(items=[indicator_json(i) for i in items], total=len(items))


def load_indicator(indicator_id: int) -> Indicator:
    ind = db_session().get(Indicator, indicator_id)
    if ind is None:
        raise not_found()
    load_plan(ind.plan_id)
    return ind


def _scoped_unit(unit_id) -> Unit:
    unit = db_session().get(Unit, int(unit_id)) if unit_id is not None else None
    if unit is None or not sees_unit(api_user(), unit):
        raise invalid({"unit_id": "Không có đơn vị này trong phạm vi của bạn."})
    return unit


@bp.post("/indicators/<int:indicator_id>/results")
@accepts(api_schemas.ResultInput)
def create_result(indicator_id: int):
    """Record a figure; the same indicator, unit and date again is a correction (the old one is kept)."""
    require("result.record")
    ind = load_indicator(indicator_id)
    data = body()
    unit = _scoped_unit(data["unit_id"])
    try:
        on = dt.date.fromisoformat(data["on"].strip())
    except ValueError:
        raise invalid({"on": "Ngày phải có dạng yyyy-mm-dd."}) from None
    try:
        result = record_result(db_session(), ind, unit, on, data["value"], data.get("denominator"), user=api_user(),
                               source=ResultSource.API, now=utcnow())
    except ResultError as exc:
        raise invalid(exc.errors) from None
    commit()
    return created(result_json(result), url_for("api.list_results", indicator_id=ind.id, unit=unit.id))


@bp.get("/indicators/<int:indicator_id>/results")
@reads(*api_queries.RESULTS)
def list_results(indicator_id: int):
    """Every figure for one unit (?unit=), corrections included, newest first."""
    require("plan.view", "report.view")
    ind = load_indicator(indicator_id)
    unit = _scoped_unit(query("unit") or api_user().unit_id)
    items = result_history(db_session(), ind.id, unit.id)
    return jsonify(items=[result_json(r) for r in items], total=len(items))


def figure_json(fig: Figure) -> dict:
    return {"indicator_id": fig.indicator.id, "applies": fig.is_applicable, "value": fig.value,
            "denominator": fig.denominator, "measure": fig.measure, "target": fig.indicator.target,
            "progress": round(fig.progress, 4), "trend": fig.trend}


def row_json(row: Row) -> dict:
    b = row.broadcasts
    return {"unit": unit_ref(row.unit), "has_children": row.has_children,
            "broadcasts": {"planned": b.planned, "aired": b.delivered, "made_up": b.made_up, "missed": b.lost,
                           "pending": b.pending},
            "posts_published": row.posts_published, "leaflets_delivered": row.leaflets_delivered,
            "indicators": [figure_json(f) for f in row.figures]}


@bp.get("/plans/<int:plan_id>/dashboard")
def plan_dashboard_json(plan_id: int):
    """The drill-down level: ?unit=<id> (default: the user's unit), one row per child unit, furthest behind first."""
    from planner.views.supervision import FilterError, read_filters

    require("report.view")
    plan = load_plan(plan_id)
    session = db_session()
    try:
        unit, filters = read_filters(session, plan, api_user(), request.args, today=localtime.today(utcnow()))
    except LookupError:
        raise not_found() from None
    except FilterError as exc:
        raise invalid({"from": str(exc)}) from None
    data = drilldown(session, plan, unit, filters, scope_top=api_user().unit)
    return jsonify(unit=unit_ref(unit), **stamp("from", filters.first), **stamp("to", filters.last),
                   indicators=[indicator_json(i) for i in data.indicators], total=row_json(data.root),
                   rows=[row_json(r) for r in data.rows])
