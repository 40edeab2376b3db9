"""GET /ical/<token>.ics: a unit's or a target's schedule for phone calendars (signed link, no login);
POST /plans/<id>/ical/rotate: void the unit's old links."""
from __future__ import annotations

import gzip
import os

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from werkzeug.http import http_date
from flask_login import current_user, login_required

from planner.access import sees_unit
from planner.bytecache import ByteLRU, FileCache, TieredCache
from planner.db import utcnow
from planner.models import Unit
from planner.operations import feeds
from planner.views.common import db_session, require_permission, small_int

bp = Blueprint("feeds", __name__)


@bp.get("/ical/<token>.ics")
def ical(token: str):
    session, cfg = db_session(), current_app.config
    try:
        kind, object_id = feeds.check_feed_token(session, cfg["SECRET_KEY"], token, max_age_days=cfg["ICAL_LINK_DAYS"])
        title, target_ids = feeds.feed_targets(session, kind, object_id)
    except feeds.FeedError:
        abort(404)
    if len(target_ids) > cfg["ICAL_MAX_TARGETS"]:
        return current_app.response_class(
            f"Lịch iCal chỉ dành cho một xã hoặc một thôn ({len(target_ids)} điểm phát là quá nhiều; "
            f"tối đa {cfg['ICAL_MAX_TARGETS']}). Hãy chọn đơn vị nhỏ hơn trên trang lịch.\n",
            status=422, mimetype="text/plain")
    now = utcnow()
    window = feeds.feed_window(session, target_ids, now=now, past_days=cfg["ICAL_PAST_DAYS"],
                               future_days=cfg["ICAL_FUTURE_DAYS"])
    headers = {"ETag": window.etag, "Last-Modified": http_date(window.last_modified),
               "Cache-Control": "private, max-age=300",
               "Content-Disposition": 'inline; filename="lich-truyen-thong.ics"'}
    if _not_modified(window):
        return current_app.response_class(status=304, headers=headers)
    host = request.host.split(":")[0]

    def make() -> bytes:
        # A commune's half-year is ≈ 2 MB of repeated lines; calendar apps accept gzip (≈ 20× smaller).
        return gzip.compress(feeds.build_ical(session, title, target_ids, now=now, lo=window.lo, hi=window.hi,
                                              host=host), compresslevel=5)

    # The ETag stands for the events' content (as for a 304); the rest of the key for what else the body holds.
    key = (kind, object_id, title, hash(tuple(target_ids)), window.lo, window.hi, host, window.etag)
    cache = _body_cache()
    body = cache.get_or_make(key, make) if cache is not None else make()
    headers["Vary"] = "Accept-Encoding"
    if request.accept_encodings["gzip"]:
        headers["Content-Encoding"] = "gzip"
    else:
        body = gzip.decompress(body)
    return current_app.response_class(body, mimetype="text/calendar", headers=headers)


def _body_cache() -> TieredCache | None:
    """The cache of compressed feed bodies: this process's LRU in front of files under the instance folder that
    every web process shares (a body written by one gunicorn worker serves the others); None when
    ICAL_CACHE_BYTES is 0."""
    size = current_app.config.get("ICAL_CACHE_BYTES", 0)
    if not size:
        return None
    cache = current_app.extensions.get("planner_ical_cache")
    if cache is None or cache.memory.max_bytes != size:
        files = FileCache(os.path.join(current_app.instance_path, "ical-cache"), size)
        cache = current_app.extensions["planner_ical_cache"] = TieredCache(ByteLRU(size), files)
    return cache


def _not_modified(window: feeds.FeedWindow) -> bool:
    """If-None-Match decides when sent (RFC 9110); else If-Modified-Since."""
    if request.if_none_match:
        return request.if_none_match.contains_weak(window.etag.removeprefix("W/").strip('"'))
    since = request.if_modified_since
    return since is not None and window.last_modified <= since


@bp.post("/plans/<int:plan_id>/ical/rotate")
@login_required
def rotate(plan_id: int):
    """Replace the unit's iCal link: every link handed out before stops working."""
    from planner.views.plans import load_plan

    require_permission("schedule.edit")
    load_plan(plan_id)
    session = db_session()
    unit = session.get(Unit, small_int(request.form.get("unit")) or 0)
    if unit is None or not sees_unit(current_user, unit):
        abort(404)
    feeds.rotate_feed(session, unit, user=current_user, now=utcnow())
    session.commit()
    flash("Đã đổi liên kết iCal. Liên kết cũ không còn dùng được; hãy đăng ký lại lịch bằng liên kết mới.", "success")
    return redirect(url_for("schedule.calendar", plan_id=plan_id, unit=unit.id,
                            channel=request.form.get("channel") or None))
