"""JSON API: the caller's own notifications (paged, `unread` filter), marking them read, e-mail preferences."""
from __future__ import annotations

from planner import api_queries, api_schemas
from flask import jsonify

from planner.db import utcnow
from planner.operations import notifications as ops
from planner.views.api import accepts, api_user, body, bp, commit, invalid, not_found, paged, query, reads, stamp
from planner.views.common import db_session


def notification_json(item) -> dict:
    return {"id": item.id, "kind": item.kind, "text": item.text, "link": item.link, "is_read": item.read_at is not None,
            **stamp("created_at", item.created_at), **stamp("read_at", item.read_at)}


@bp.get("/notifications")
@reads(*api_queries.notifications(ops.PAGE_SIZE))
def list_notifications():
    limit, offset = query("limit"), query("offset")
    unread = query("unread") or ""
    rows, total = ops.inbox(db_session(), api_user(), limit=limit, offset=offset,
                            unread_only=unread in ("1", "true"))
    response = paged([notification_json(n) for n in rows], total, limit, offset)
    response.headers["X-Unread-Count"] = str(ops.unread_count(db_session(), api_user()))
    return response


@bp.post("/notifications/<int:notification_id>/read")
@accepts(api_schemas.EmptyInput, optional=True)
def read_notification(notification_id: int):
    item = ops.mark_read(db_session(), api_user(), notification_id, now=utcnow())
    if item is None:
        raise not_found()
    commit()
    return jsonify(notification_json(item))


@bp.post("/notifications/read-all")
@accepts(api_schemas.EmptyInput, optional=True)
def read_all_notifications():
    count = ops.mark_all_read(db_session(), api_user(), now=utcnow())
    commit()
    return jsonify(marked=count, unread=0)


@bp.get("/account/notifications")
def get_notification_settings():
    user = api_user()
    return jsonify(email=user.email, kinds=list(user.email_kinds or []), available=dict(ops.NOTIFICATION_KINDS))


@bp.put("/account/notifications")
@accepts(api_schemas.NotificationSettingsInput)
def put_notification_settings():
    data = body()
    email, kinds = data.get("email", ""), data.get("kinds", [])
    errors = ops.set_email_preferences(db_session(), api_user(), email, kinds)
    if errors:
        db_session().rollback()
        raise invalid(errors)
    commit()
    return get_notification_settings()
