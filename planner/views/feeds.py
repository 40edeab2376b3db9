"""GET /ical/<token>.ics: a unit's or a target's schedule for phone calendars (signed link, no login)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, request

from planner.db import utcnow
from planner.operations import feeds
from planner.views.common import db_session

bp = Blueprint("feeds", __name__)


@bp.get("/ical/<token>.ics")
def ical(token: str):
    session = db_session()
    try:
        kind, object_id = feeds.read_feed_token(current_app.config["SECRET_KEY"], token)
        title, target_ids = feeds.feed_targets(session, kind, object_id)
    except feeds.FeedError:
        abort(404)
    body = feeds.build_ical(session, title, target_ids, now=utcnow(), host=request.host.split(":")[0])
    return current_app.response_class(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'inline; filename="lich-truyen-thong.ics"', "Cache-Control": "private, max-age=300"})
