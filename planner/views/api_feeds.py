"""API: a unit's iCal link, and rotating it (what the calendar page offers)."""
from __future__ import annotations

from flask import current_app, jsonify, request, url_for

from planner import api_responses
from planner.access import sees_unit
from planner.api_responses import dump
from planner.db import utcnow
from planner.models import Unit
from planner.operations import feeds
from planner.views.api import api_user, bp, commit, not_found, require
from planner.views.common import db_session


def _unit(unit_id: int) -> Unit:
    unit = db_session().get(Unit, unit_id)
    if unit is None or not sees_unit(api_user(), unit):
        raise not_found()
    return unit


def _link(unit: Unit) -> dict:
    cfg = current_app.config
    token = feeds.current_feed_token(db_session(), cfg["SECRET_KEY"], "u", unit.id)
    base = cfg["BASE_URL"].rstrip("/") or request.host_url.rstrip("/")
    return dump(api_responses.IcalLink(unit_id=unit.id, ical_url=base + url_for("feeds.ical", token=token),
                                       valid_days=cfg["ICAL_LINK_DAYS"]))


@bp.get("/units/<int:unit_id>/ical")
def unit_ical(unit_id: int):
    """The unit's current iCal subscription link."""
    require("plan.view")
    return jsonify(_link(_unit(unit_id)))


@bp.post("/units/<int:unit_id>/ical/rotate")
def rotate_unit_ical(unit_id: int):
    """Replace the unit's iCal link; every earlier link stops working."""
    require("schedule.edit")
    unit = _unit(unit_id)
    feeds.rotate_feed(db_session(), unit, user=api_user(), now=utcnow())
    commit()
    return jsonify(_link(unit))
