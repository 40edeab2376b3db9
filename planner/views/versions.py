"""Optimistic concurrency at the edges: ETag / If-Match on the API's editable resources, and a clear 409
when two saves race on the same row (SQLAlchemy's StaleDataError), on pages and in the API alike.

The API hooks are registered on the API blueprint when this module is imported (from api_schedule.py,
after the bearer-token check, so only a user who may see an object learns its ETag).
"""
from __future__ import annotations

from flask import render_template, request
from sqlalchemy.orm.exc import StaleDataError

from planner.operations.concurrency import etag, if_match_ok
from planner.views.api import bp, json_error, load_plan
from planner.views.common import db_session

FORM_FIELD = "row_version"
# endpoint → (resource kind, is a write that honours If-Match)
RESOURCES = {
    "api.get_plan": ("plan", False), "api.edit_plan": ("plan", True), "api.set_plan_status": ("plan", True),
    "api.get_message": ("message", False), "api.edit_message": ("message", True),
    "api.submit_version": ("message", True), "api.review_version": ("message", True),
    "api.get_print_order": ("order", False), "api.move_print_order": ("order", True),
}
CONFLICT = ("Dữ liệu vừa được người khác lưu cùng lúc; thay đổi của bạn chưa được lưu. "
            "Vui lòng tải lại rồi thử lại.")


def _load(kind: str):
    args = request.view_args or {}
    if kind == "plan":
        return load_plan(args["plan_id"])
    if kind == "message":
        from planner.views.api_content import load_message

        return load_message(args["message_id"])
    from planner.views.api_printing import load_order

    return load_order(args["order_id"])


@bp.before_request
def _check_if_match():
    """A write sent with If-Match applies only to the version the client saw: 412 otherwise."""
    kind, is_write = RESOURCES.get(request.endpoint, (None, False))
    if not is_write or "If-Match" not in request.headers:
        return None
    obj = _load(kind)
    if if_match_ok(obj, request.headers["If-Match"]):
        return None
    return json_error(412, "precondition_failed",
                      "Dữ liệu đã được thay đổi sau lần bạn đọc (If-Match không khớp ETag hiện tại). "
                      "Hãy đọc lại (GET) rồi gửi thay đổi kèm ETag mới.", headers={"ETag": etag(obj)})


@bp.after_request
def _add_etag(response):
    """Successful reads and writes of an editable resource carry its current ETag."""
    kind, _ = RESOURCES.get(request.endpoint, (None, False))
    if kind is None or not 200 <= response.status_code < 300 or response.mimetype != "application/json":
        return response
    try:
        response.headers["ETag"] = etag(_load(kind))
    except Exception:  # noqa: BLE001 — the response stands without a tag if the object cannot be read back
        pass
    return response


def _stale_save(_err):
    db_session().rollback()
    if request.path.startswith("/api/"):
        return json_error(409, "edit_conflict", CONFLICT)
    return render_template("pages/errors/error.html", code=409, heading="Xung đột khi lưu", message=CONFLICT), 409


def register(app) -> None:
    """Two saves racing on one row: the second gets a 409 (page or JSON), never a 500 or a silent overwrite;
    `{{ seen_version(obj) }}` in a form sends the version it was drawn from (checked by expect_version)."""
    from markupsafe import Markup

    app.register_error_handler(StaleDataError, _stale_save)
    app.jinja_env.globals["seen_version"] = lambda obj: Markup(
        f'<input type="hidden" name="{FORM_FIELD}" value="{int(obj.row_version)}">')


def message_conflict(message, exc) -> dict:
    """What the edit page shows beside the person's own text after a stale save: the stored version now."""
    from planner.markup import render_markdown

    latest = message.latest
    return {"message": str(exc), "title": latest.title, "body_md": latest.body_md, "number": latest.number,
            "row_version": message.row_version, "html": render_markdown(latest.body_md, heading_offset=1)}
