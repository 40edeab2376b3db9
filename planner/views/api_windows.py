"""JSON API: peak/blackout windows of a unit (inherited down the tree, with a preview) and of a plan, and
holiday exemptions (same checks as the pages)."""
from __future__ import annotations

from planner import api_queries, api_responses, api_schemas
from planner.api_responses import dump
from flask import jsonify

from planner.models import Plan, Unit, Window
from planner.operations import windows as wops
from planner.views.api import accepts, api_user, body, bp, commit, not_found, query, reads, stamp
from planner.views.api_grids import _call
from planner.views.common import db_session


def window_json(window: Window, exempt: bool | None = None) -> dict:
    fields = {"id": window.id, "code": window.code, "name": window.name, "kind": window.kind.value,
              **stamp("starts_on", window.starts_on), **stamp("ends_on", window.ends_on),
              "is_yearly": window.is_yearly, "channels": list(window.channels or []), "plan_id": window.plan_id,
              "unit_id": window.unit_id}
    if exempt is None:
        return dump(api_responses.Window(**fields))
    return dump(api_responses.PlanWindow(**fields, exempt=exempt))


def _plan(plan_id: int) -> Plan:
    plan = db_session().get(Plan, plan_id)
    if plan is None or not wops.manages_plan(api_user(), plan):
        raise not_found()
    return plan


def _unit(unit_id: int) -> Unit:
    unit = db_session().get(Unit, unit_id)
    if unit is None or not wops.edits_windows(api_user(), unit):
        raise not_found()
    return unit


def _input() -> dict:
    return {"channels": [], **body()}


@bp.get("/units/<int:unit_id>/windows")
@reads(*api_queries.UNIT_WINDOWS)
def list_unit_windows(unit_id: int):
    unit = _unit(unit_id)
    channel = query("channel")
    session = db_session()
    return jsonify(channel=channel, own=[window_json(w) for w in wops.own_windows(session, unit)],
                   inherited=[window_json(w) for w in wops.inherited_windows(session, unit)],
                   shared=[window_json(w) for w in wops.shared_windows(session)],
                   preview=wops.preview(session, unit, channel))


@bp.post("/units/<int:unit_id>/windows")
@accepts(api_schemas.WindowInput)
def create_unit_window(unit_id: int):
    unit = _unit(unit_id)
    data = _input()
    window = _call(lambda s: wops.create_window(s, api_user(), unit, data))
    commit()
    return jsonify(window_json(window)), 201


@bp.delete("/units/<int:unit_id>/windows/<int:window_id>")
def delete_unit_window(unit_id: int, window_id: int):
    unit = _unit(unit_id)
    window = db_session().get(Window, window_id)
    if window is None or window.unit_id != unit.id:
        raise not_found()
    _call(lambda s: wops.delete_window(s, api_user(), unit, window))
    commit()
    return "", 204


@bp.get("/plans/<int:plan_id>/windows")
def list_windows(plan_id: int):
    plan = _plan(plan_id)
    session = db_session()
    return jsonify(windows=[window_json(w) for w in wops.plan_windows(session, plan)],
                   unit_windows=[window_json(w) for w in wops.inherited_windows(session, plan.unit)
                                 + wops.own_windows(session, plan.unit)],
                   holidays=[window_json(w, exempt) for w, exempt in wops.holidays(session, plan)])


@bp.post("/plans/<int:plan_id>/windows")
@accepts(api_schemas.WindowInput)
def create_window(plan_id: int):
    plan = _plan(plan_id)
    data = _input()
    window = _call(lambda s: wops.create_window(s, api_user(), plan, data))
    commit()
    return jsonify(window_json(window)), 201


@bp.delete("/plans/<int:plan_id>/windows/<int:window_id>")
def delete_window(plan_id: int, window_id: int):
    plan = _plan(plan_id)
    window = db_session().get(Window, window_id)
    if window is None or window.plan_id != plan.id:
        raise not_found()
    _call(lambda s: wops.delete_window(s, api_user(), plan, window))
    commit()
    return "", 204


@bp.post("/plans/<int:plan_id>/holidays/<int:window_id>")
@accepts(api_schemas.ExemptInput)
def exempt_holiday(plan_id: int, window_id: int):
    """{"exempt": true}: this plan airs on that automatic holiday; false: it pauses like every plan."""
    plan = _plan(plan_id)
    window = db_session().get(Window, window_id)
    if window is None:
        raise not_found()
    data = body()
    _call(lambda s: wops.set_holiday_exemption(s, api_user(), plan, window, data["exempt"]))
    commit()
    return jsonify(window_json(window, data["exempt"]))


