"""JSON API under /api/v1: bearer tokens, the error shape, body parsing; resources live in api_*.py."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from planner import localtime
from planner.access import AccessDenied, can, get_plan
from planner.auth import LoginThrottled, authenticate, issue_token, user_for_token
from planner.db import utcnow
from planner.models import Plan, User
from planner.views.common import db_session

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Endpoints reachable without a bearer token.
PUBLIC_ENDPOINTS = {"api.issue_token", "api.openapi"}

HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
              415: "unsupported_media_type", 422: "unprocessable", 429: "too_many_requests", 500: "internal_error"}
NOT_FOUND = "Không tìm thấy dữ liệu hoặc bạn không có quyền xem."
FORBIDDEN = "Vai trò của bạn không được thực hiện thao tác này."
MAX_ID = 2**31 - 1  # the largest value an INTEGER column holds (bigger ids cannot exist)


def json_error(status: int, code: str, message: str, fields: dict | None = None):
    """The API's error shape: {"error": {"code", "message"[, "fields"]}} with a 4xx/5xx status."""
    error = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return jsonify(error=error), status


class ApiError(Exception):
    """Raised anywhere in an API view; rendered by json_error."""

    def __init__(self, status: int, message: str, *, code: str | None = None, fields: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.fields = status, message, fields
        self.code = code or HTTP_CODES.get(status, "error")


def invalid(fields: dict[str, str], message: str = "Dữ liệu không hợp lệ.") -> ApiError:
    """A 400 with per-field Vietnamese messages."""
    return ApiError(400, message, code="validation_failed", fields=fields)


def not_found() -> ApiError:
    """404 for missing objects and for objects outside the user's scope alike."""
    return ApiError(404, NOT_FOUND)


@bp.errorhandler(ApiError)
def _api_error(err: ApiError):
    db_session().rollback()  # nothing half-done survives a refused request
    response = json_error(err.status, err.code, err.message, err.fields)
    if err.status == 401:
        response[0].headers["WWW-Authenticate"] = 'Bearer realm="planner"'
    return response


@bp.errorhandler(HTTPException)
def _http_error(err: HTTPException):
    from planner.views import ERROR_TEXT

    status = err.code or 500
    message = ERROR_TEXT.get(status, (None, "Yêu cầu không được chấp nhận."))[1]
    return json_error(status, HTTP_CODES.get(status, "error"), message)


@bp.url_value_preprocessor
def _check_ids(_endpoint, values):
    """An id no row can have is simply not found (rather than a database overflow)."""
    if any(isinstance(v, int) and v > MAX_ID for v in (values or {}).values()):
        raise not_found()


@bp.before_request
def _authenticate():
    """Every endpoint but the public ones needs `Authorization: Bearer <token>`."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
    user = None
    if scheme.lower() == "bearer" and token.strip():
        user = user_for_token(db_session(), token.strip(), now=utcnow())
    if user is None:
        raise ApiError(401, "Thiếu hoặc sai mã truy cập (tiêu đề Authorization: Bearer …).")
    g.api_user = user
    return None


def api_user() -> User:
    """The user behind the request's bearer token."""
    return g.api_user


def require(*permissions: str) -> None:
    """403 unless the user's role grants one of `permissions`."""
    if not any(can(api_user(), p) for p in permissions):
        raise ApiError(403, FORBIDDEN)


def load_plan(plan_id: int) -> Plan:
    """A plan the user may see; 404 otherwise (no hint whether it exists)."""
    try:
        return get_plan(db_session(), api_user(), plan_id)
    except AccessDenied:
        raise not_found() from None


# --------------------------------------------------------------------------- request bodies

def json_body(schema: dict[str, type], *, required: tuple[str, ...] = ()) -> dict:
    """The request's JSON object, type-checked against {field: str|int|float|bool}; unknown fields are ignored.

    Numbers may also be sent as strings (as HTML forms do); ranges are checked by the operations.
    """
    if request.mimetype != "application/json":
        raise ApiError(415, "Nội dung gửi lên phải là JSON (Content-Type: application/json).")
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, "JSON không hợp lệ.", code="malformed_json")
    if not isinstance(data, dict):
        raise ApiError(400, "Nội dung JSON phải là một đối tượng.", code="malformed_json")
    fields, values = {}, {}
    for name, kind in schema.items():
        value = data.get(name)
        if value is None or value == "":
            if name in required:
                fields[name] = "Trường này là bắt buộc."
            continue
        if not _type_ok(value, kind):
            fields[name] = {str: "Phải là chuỗi ký tự.", int: "Phải là số nguyên không âm.", float: "Phải là số.",
                            bool: "Phải là true hoặc false."}[kind]
            continue
        values[name] = value
    if fields:
        raise invalid(fields)
    return values


def _type_ok(value, kind: type) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind is int:
        if isinstance(value, str) and _digits(value.strip()):
            value = int(value)
        return isinstance(value, int) and 0 <= value <= MAX_ID
    if kind is float:
        return isinstance(value, (int, float)) or isinstance(value, str)
    return isinstance(value, str)


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def query_int(name: str, *, default: int | None = None, low: int = 0, high: int | None = None) -> int | None:
    """An integer query parameter within [low, high]; 400 with the field otherwise."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not _digits(raw) or not low <= int(raw) <= (MAX_ID if high is None else high):
        bound = f" đến {high}" if high is not None else " trở lên"
        raise invalid({name: f"Phải là số nguyên từ {low}{bound}."})
    return int(raw)


# --------------------------------------------------------------------------- output helpers

def iso(value: dt.datetime | dt.date | None) -> str | None:
    """ISO 8601; datetimes in UTC with a Z."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def stamp(name: str, value: dt.datetime | dt.date | None) -> dict:
    """{name: ISO, name_local: dd/mm/yyyy[ HH:MM] in Vietnam time}."""
    local = localtime.fmt_datetime(value) if isinstance(value, dt.datetime) else localtime.fmt_date(value)
    return {name: iso(value), f"{name}_local": local or None}


def unit_ref(unit) -> dict | None:
    return None if unit is None else {"id": unit.id, "code": unit.code, "name": unit.name, "kind": unit.kind.value}


def user_ref(user: User | None) -> dict | None:
    return None if user is None else {"id": user.id, "username": user.username, "full_name": user.full_name}


def user_json(user: User) -> dict:
    return {**user_ref(user), "role": user.role.value, "role_label": user.role_label, "unit": unit_ref(user.unit)}


def paged(items: list, total: int, limit: int, offset: int):
    return jsonify(items=items, total=total, limit=limit, offset=offset)


def commit() -> None:
    """The one commit of a write request (transactions end at the edge)."""
    db_session().commit()


def created(body: dict, location: str, status: int = 201):
    response = jsonify(body)
    response.status_code = status
    response.headers["Location"] = location
    return response


# --------------------------------------------------------------------------- tokens and the document

@bp.post("/tokens", endpoint="issue_token")
def issue_token_view():
    """Exchange a username and password for a bearer token (throttled like the login page)."""
    data = json_body({"username": str, "password": str}, required=("username", "password"))
    session, cfg, now = db_session(), current_app.config, utcnow()
    try:
        user = authenticate(session, data["username"], data["password"], remote_addr=request.remote_addr or "",
                            now=now, max_failures=cfg["LOGIN_MAX_FAILURES"],
                            window_seconds=cfg["LOGIN_WINDOW_SECONDS"])
    except LoginThrottled:
        raise ApiError(429, "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút.") from None
    if user is None:
        session.commit()  # keep the failed attempt: it counts towards the throttle
        raise ApiError(401, "Tên đăng nhập hoặc mật khẩu không đúng.", code="invalid_credentials")
    token, row = issue_token(session, user, now=now, hours=cfg["API_TOKEN_HOURS"])
    session.commit()
    response = jsonify(token=token, token_type="Bearer", **stamp("expires_at", row.expires_at), user=user_json(user))
    response.status_code = 201
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API (no token needed)."""
    from planner.openapi import build_openapi

    return jsonify(build_openapi())


# Resource modules register their routes on `bp`.
from planner.views import api_content, api_printing, api_reports, api_schedule  # noqa: E402,F401
from planner.views import api_grids, api_units, api_users  # noqa: E402,F401
