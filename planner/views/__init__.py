"""Thin blueprints: pages and the JSON API. Forms are parsed next to their view."""
from __future__ import annotations

from flask import Flask, render_template, request

ERROR_TEXT = {
    400: ("Yêu cầu không hợp lệ", "Dữ liệu gửi lên không hợp lệ. Vui lòng thử lại."),
    403: ("Không có quyền", "Bạn không có quyền xem hoặc thực hiện thao tác này."),
    404: ("Không tìm thấy", "Trang hoặc dữ liệu bạn tìm không tồn tại."),
    405: ("Không được phép", "Thao tác này không được hỗ trợ."),
    413: ("Tệp quá lớn", "Dữ liệu gửi lên quá lớn."),
    429: ("Quá nhiều lần thử", "Bạn đã thử quá nhiều lần. Vui lòng đợi rồi thử lại."),
    500: ("Lỗi hệ thống", "Đã có lỗi xảy ra. Vui lòng thử lại sau."),
}


def register_views(app: Flask) -> None:
    """Register every blueprint, filters and the error pages."""
    from planner.views import (admin_accounts, admin_schedules, admin_units, admin_users, admin_villages, api,
                               auth, confirm, deliveries, feeds, health, messages, occurrences, plans, printing,
                               reports, roster, schedule)
    from planner.views.common import register_filters

    for module in (auth, plans, messages, schedule, occurrences, deliveries, roster, confirm, feeds, printing,
                   reports, health, admin_users, admin_units, admin_villages,
                   admin_accounts, admin_schedules, api):
        app.register_blueprint(module.bp)
    app.extensions["csrf"].exempt(api.bp)
    register_filters(app)
    app.url_value_preprocessor(_ids_in_range)
    for code in ERROR_TEXT:
        app.register_error_handler(code, _error_page)
    from flask_wtf.csrf import CSRFError

    app.register_error_handler(CSRFError, _csrf_error)


def _ids_in_range(_endpoint, values) -> None:
    """Ids in URLs beyond a database integer can name nothing: 404 instead of a database overflow."""
    from flask import abort

    from planner.views.common import MAX_ID

    for value in (values or {}).values():
        if isinstance(value, int) and value > MAX_ID:
            abort(404)


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _error_page(err):
    code = getattr(err, "code", 500) or 500
    heading, message = ERROR_TEXT.get(code, ERROR_TEXT[500])
    if _wants_json():
        from planner.views.api import json_error

        return json_error(code, heading.lower().replace(" ", "_"), message)
    return render_template("pages/errors/error.html", code=code, heading=heading, message=message), code


def _csrf_error(err):
    message = "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang và thử lại."
    return render_template("pages/errors/error.html", code=400, heading="Biểu mẫu hết hạn", message=message), 400
