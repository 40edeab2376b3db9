"""JSON API: slot grids per unit with their preview (windows: api_windows.py; same checks as pages)."""
from __future__ import annotations

from planner import api_queries, api_responses, api_schemas
from planner.api_responses import dump
from flask import jsonify


from planner.access import AccessDenied
from planner.models import SlotGrid
from planner.operations import grids as ops
from planner.operations import windows as wops
from planner.operations.units import get_managed_unit
from planner.views.api import (ApiError, accepts, api_user, body, bp, commit, invalid, not_found, query, reads, require,
                               stamp)
from planner.views.common import db_session


def grid_json(grid: SlotGrid) -> dict:
    per = 60 if grid.channel == "loudspeaker" else ops.ONLINE_POST_SECONDS
    return dump(api_responses.Grid(
        id=grid.id, code=grid.code, unit_id=grid.unit_id, channel=grid.channel, name=grid.name,
        weekdays=ops.fmt_weekdays(grid.weekdays), start=grid.start_time.strftime("%H:%M"),
        end=grid.end_time.strftime("%H:%M"), capacity=grid.capacity_seconds // per,
        **stamp("valid_from", grid.valid_from), **stamp("valid_to", grid.valid_to)))


def _unit(unit_id: int):
    require("unit.manage")
    try:
        return get_managed_unit(db_session(), api_user(), unit_id)
    except AccessDenied:
        raise not_found() from None


def _grid(grid_id: int) -> SlotGrid:
    grid = db_session().get(SlotGrid, grid_id)
    if grid is None or grid.unit_id is None:
        raise not_found()
    _unit(grid.unit_id)
    return grid


def _call(action):
    try:
        return action(db_session())
    except (ops.GridError, wops.WindowError) as exc:
        if set(exc.errors) == {"form"}:
            raise ApiError(409, exc.errors["form"], code="conflict") from None
        raise invalid(exc.errors) from None


@bp.get("/units/<int:unit_id>/grids")
@reads(*api_queries.UNIT_GRIDS)
def list_grids(unit_id: int):
    unit = _unit(unit_id)
    channel = query("channel")
    session = db_session()
    source, inherited = ops.inherited_grids(session, unit, channel)
    return jsonify(channel=channel, own=[grid_json(g) for g in ops.own_grids(session, unit) if g.channel == channel],
                   inherited_from=None if source is None else {"id": source.id, "code": source.code,
                                                               "name": source.name},
                   inherited=[grid_json(g) for g in inherited], preview=ops.preview(session, unit, channel))


@bp.post("/units/<int:unit_id>/grids")
@accepts(api_schemas.GridInput)
def create_grid(unit_id: int):
    unit = _unit(unit_id)
    data = body()
    grid = _call(lambda s: ops.create_grid(s, api_user(), unit, data))
    commit()
    return jsonify(grid_json(grid)), 201


@bp.post("/units/<int:unit_id>/grids/copy")
@accepts(api_schemas.ChannelInput)
def copy_grids(unit_id: int):
    unit = _unit(unit_id)
    data = body()
    grids = _call(lambda s: ops.copy_inherited(s, api_user(), unit, data["channel"]))
    commit()
    return jsonify(items=[grid_json(g) for g in grids], total=len(grids)), 201


@bp.patch("/grids/<int:grid_id>")
@accepts(api_schemas.GridEdit)
def update_grid(grid_id: int):
    grid = _grid(grid_id)
    current = grid_json(grid)
    data = body()
    merged = {**current, "weekdays": current["weekdays"].replace("–", "-"),
              "valid_from": current["valid_from_local"] or "", "valid_to": current["valid_to_local"] or "", **data}
    _call(lambda s: ops.update_grid(s, api_user(), grid, merged))
    commit()
    return jsonify(grid_json(grid))


@bp.delete("/grids/<int:grid_id>")
def delete_grid(grid_id: int):
    grid = _grid(grid_id)
    _call(lambda s: ops.delete_grid(s, api_user(), grid))
    commit()
    return "", 204
