"""Every error answer in one place: Vietnamese pages, JSON with a stable `code`, 503 when the database is busy."""
from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from sqlalchemy.exc import OperationalError, TimeoutError as PoolTimeout
from werkzeug.exceptions import BadRequest, HTTPException

log = logging.getLogger(__name__)

ERROR_TEXT = {
    400: ("Yêu cầu không hợp lệ", "Dữ liệu gửi lên không hợp lệ. Vui lòng thử lại."),
    401: ("Chưa đăng nhập", "Vui lòng đăng nhập để tiếp tục."),
    403: ("Không có quyền", "Bạn không có quyền xem hoặc thực hiện thao tác này."),
    404: ("Không tìm thấy", "Trang hoặc dữ liệu bạn tìm không tồn tại."),
    405: ("Không được phép", "Thao tác này không được hỗ trợ."),
    413: ("Tệp quá lớn", "Dữ liệu gửi lên quá lớn."),
    415: ("Sai định dạng", "Định dạng dữ liệu gửi lên không được hỗ trợ."),
    429: ("Quá nhiều lần thử", "Bạn đã thử quá nhiều lần. Vui lòng đợi rồi thử lại."),
    500: ("Lỗi hệ thống", "Đã có lỗi xảy ra. Vui lòng thử lại sau."),
    503: ("Hệ thống đang bận", "Cơ sở dữ liệu đang bận hoặc tạm thời không truy cập được. "
                              "Vui lòng thử lại sau ít phút; dữ liệu của bạn chưa bị thay đổi."),
}
# The machine codes of the API's error bodies (documented in the OpenAPI description).
HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
              415: "unsupported_media_type", 422: "unprocessable", 429: "too_many_requests", 500: "internal_error",
              503: "service_unavailable"}
RETRY_AFTER_SECONDS = 5
# Shown if even the error template cannot be rendered: the answer stays Vietnamese, never Werkzeug's page.
PLAIN_PAGE = ('<!doctype html><html lang="vi"><meta charset="utf-8"><title>{code}</title>'
              '<h1>{heading}</h1><p>{message}</p><p><a href="/">Về trang chủ</a></p></html>')


class InputRejected(BadRequest):
    """A request carrying text no database stores (NUL, lone surrogates) or JSON nested too deep."""

    def __init__(self, message: str, code: str = "invalid_input"):
        super().__init__(message)
        self.api_code = code


def json_error(status: int, code: str, message: str, fields: dict | None = None, headers: dict | None = None):
    """The API's error shape: {"error": {"code", "message"[, "fields"]}} with a 4xx/5xx status."""
    error = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    response = jsonify(error=error)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def is_busy(exc: BaseException) -> bool:
    """True for a locked/busy SQLite database, a lost or refused PostgreSQL connection, or a pool timeout."""
    if isinstance(exc, PoolTimeout):
        return True
    if not isinstance(exc, OperationalError):
        return False
    if exc.connection_invalidated:
        return True
    text = str(exc.orig).lower()
    if "locked" in text or "busy" in text:
        return True
    return type(exc.orig).__module__.startswith("psycopg")  # connection, lock and statement timeouts


def error_response(status: int, message: str | None = None, *, code: str | None = None,
                   headers: dict | None = None):
    """A JSON error under /api/, else the Vietnamese error page (which never needs the database)."""
    heading, default = ERROR_TEXT.get(status, ERROR_TEXT[500] if status >= 500 else ERROR_TEXT[400])
    message = message or default
    if request.path.startswith("/api/"):
        return json_error(status, code or HTTP_CODES.get(status, "error"), message, headers=headers)
    try:
        body = render_template("pages/errors/error.html", code=status, heading=heading, message=message,
                               plain=status >= 500)
    except Exception:  # noqa: BLE001 — the error page itself must not fail into a bare English page
        log.exception("error page could not be rendered")
        body = PLAIN_PAGE.format(code=status, heading=heading, message=message)
    return body, status, headers or {}


def _http_error(err: HTTPException):
    status = err.code or 500
    message = err.description if isinstance(err, InputRejected) else None
    headers = {k: v for k, v in err.get_headers() if k.lower() in ("allow", "retry-after")}
    return error_response(status, message, code=getattr(err, "api_code", None), headers=headers)


def _internal_error(err):
    original = getattr(err, "original_exception", None)
    _rollback()
    if original is not None and is_busy(original):
        return _busy(original)
    return error_response(500)


def _database_error(err: OperationalError):
    if not is_busy(err):
        raise err  # a real bug: the 500 path (or the test) sees it
    return _busy(err)


def _busy(err):
    _rollback()
    current_app.logger.warning("database busy or unreachable: %s", getattr(err, "orig", err))
    return error_response(503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def _rollback() -> None:
    from flask import g

    session = g.get("db_session")
    if session is not None:
        try:
            session.rollback()
        except Exception:  # noqa: BLE001 — the connection may be the thing that is broken
            log.warning("rollback after an error failed", exc_info=True)


def _csrf_error(_err):
    message = "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang và thử lại."
    body = render_template("pages/errors/error.html", code=400, heading="Biểu mẫu hết hạn", message=message)
    return body, 400


def register_errors(app: Flask) -> None:
    """Error handlers for every status, database trouble and CSRF failures."""
    from flask_wtf.csrf import CSRFError

    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(500, _internal_error)
    app.register_error_handler(OperationalError, _database_error)
    app.register_error_handler(PoolTimeout, _busy)
    app.register_error_handler(CSRFError, _csrf_error)
