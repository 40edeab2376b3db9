"""JSON API under /api/v1: bearer tokens, the error shape, body parsing; resources live in api_*.py."""
from __future__ import annotations

import datetime as dt

from flask import Blueprint, current_app, g, jsonify, request
from werkzeug.datastructures import MultiDict

from planner import api_queries, api_responses, api_schemas, localtime
from planner.api_responses import dump
from planner.access import AccessDenied, can, get_plan
from planner.auth import (LoginThrottled, PasswordRejected, authenticate, change_password, issue_token, list_tokens,
                          revoke_token, token_row)
from planner.db import utcnow
from planner.models import Plan, User
from planner.views.common import db_session
from planner.views.errors import HTTP_CODES, json_error

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# Endpoints reachable without a bearer token.
PUBLIC_ENDPOINTS = {"api.issue_token", "api.openapi"}

NOT_FOUND = "Không tìm thấy dữ liệu hoặc bạn không có quyền xem."
FORBIDDEN = "Vai trò của bạn không được thực hiện thao tác này."
MAX_ID = 2**31 - 1  # the largest value an INTEGER column holds (bigger ids cannot exist)


class ApiError(Exception):
    """Raised anywhere in an API view; rendered by json_error."""

    def __init__(self, status: int, message: str, *, code: str | None = None, fields: dict | None = None,
                 retry_after: int | None = None):
        super().__init__(message)
        self.status, self.message, self.fields = status, message, fields
        self.code = code or HTTP_CODES.get(status, "error")
        self.headers = {"Retry-After": str(retry_after)} if retry_after else {}


def invalid(fields: dict[str, str], message: str = "Dữ liệu không hợp lệ.") -> ApiError:
    """A 400 with per-field Vietnamese messages."""
    return ApiError(400, message, code="validation_failed", fields=fields)


def not_found() -> ApiError:
    """404 for missing objects and for objects outside the user's scope alike."""
    return ApiError(404, NOT_FOUND)


@bp.errorhandler(ApiError)
def _api_error(err: ApiError):
    db_session().rollback()  # nothing half-done survives a refused request
    headers = dict(err.headers)
    if err.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="planner"'
    return json_error(err.status, err.code, err.message, err.fields, headers)


@bp.after_request
def _check_response(response):
    """With API_CHECK_RESPONSES (the tests): every JSON answer must match its documented schema; a mismatch is an
    error in the app, so the test that provoked it fails, naming the field."""
    if not current_app.config.get("API_CHECK_RESPONSES") or not response.is_json or request.url_rule is None:
        return response
    from planner.openapi import build_openapi, query_problem, response_problem

    doc = current_app.extensions.get("openapi_checked")
    if doc is None:
        doc = current_app.extensions["openapi_checked"] = build_openapi()
    problem = response_problem(doc, request.url_rule.rule, request.method, response.status_code,
                               response.get_json()) or \
        query_problem(doc, request.url_rule.rule, request.method, g.get("query_read", {}))
    if problem:
        raise AssertionError(f"the answer does not match the OpenAPI document: {problem}")
    return response


class _ReadArgs(MultiDict):
    """The query string, noting which parameters the view reads (API_CHECK_RESPONSES only)."""

    def _note(self, name, bounds=None):
        g.setdefault("query_read", {}).setdefault(name, bounds)

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        self._note(key)
        return super().get(key, default, type)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)


@bp.before_request
def _note_query_reads():
    if current_app.config.get("API_CHECK_RESPONSES"):
        request.args = _ReadArgs(request.args)


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
    row = None
    if scheme.lower() == "bearer" and token.strip():
        row = token_row(db_session(), token.strip(), now=utcnow())
    if row is None:
        raise ApiError(401, "Thiếu hoặc sai mã truy cập (tiêu đề Authorization: Bearer …).")
    g.api_user, g.api_token_id = row.user, row.id
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

def accepts(model: type[api_schemas.Body] | str, *, optional: bool = False, media: str = "application/json"):
    """Register the request body of a view: `model` validates it (through `body()`) and is what the OpenAPI
    document shows, so the two cannot drift. A string names a component described by hand (a plan document,
    checked by the import rules; a multipart upload). `optional`: an empty request is an empty body."""

    def mark(view):
        view.body_model, view.body_optional, view.body_media = model, optional, media
        return view

    return mark


def json_object() -> dict:
    """The request's JSON object (415 unless JSON, 400 malformed_json unless an object)."""
    if request.mimetype != "application/json":
        raise ApiError(415, "Nội dung gửi lên phải là JSON (Content-Type: application/json).")
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, "JSON không hợp lệ.", code="malformed_json")
    if not isinstance(data, dict):
        raise ApiError(400, "Nội dung JSON phải là một đối tượng.", code="malformed_json")
    return data


def body() -> dict:
    """The request body checked by the model the view registered with `accepts`: only the fields sent (null and
    "" count as not sent), or a 400 `validation_failed` with a Vietnamese message per field."""
    view = current_app.view_functions[request.endpoint]
    model = view.body_model
    if view.body_optional and not request.content_length:
        return {}
    try:
        return api_schemas.validate(model, json_object())
    except api_schemas.BodyInvalid as exc:
        raise invalid(exc.fields) from None


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def query_int(name: str, *, default: int | None = None, low: int = 0, high: int | None = None) -> int | None:
    """An integer query parameter within [low, high]; 400 with the field otherwise."""
    raw = request.args.get(name)
    if isinstance(request.args, _ReadArgs):
        g.query_read[name] = (low, MAX_ID if high is None else high)
    if raw is None or raw == "":
        return default
    if not _digits(raw) or not low <= int(raw) <= (MAX_ID if high is None else high):
        bound = f" đến {high}" if high is not None else " trở lên"
        raise invalid({name: f"Phải là số nguyên từ {low}{bound}."})
    return int(raw)


def reads(*params: api_queries.Param):
    """Register the query parameters a view reads (planner.api_queries): `query(name)` parses each with its
    declaration and the OpenAPI document lists exactly these, so the two cannot drift."""

    def mark(view):
        view.query_params = {p.name: p for p in params}
        return view

    return mark


def declared(name: str) -> api_queries.Param | None:
    """The current view's declaration of query parameter `name` (None without `@reads`)."""
    view = current_app.view_functions.get(request.endpoint)
    return getattr(view, "query_params", {}).get(name)


def query(name: str, fields: dict[str, str] | None = None):
    """A declared query parameter, parsed by its declaration: an integer within its bounds (400 otherwise), a
    string among its choices (the declaration's message goes into `fields` when given, else a 400), or None."""
    param = current_app.view_functions[request.endpoint].query_params[name]   # KeyError: declare it in @reads
    if param.kind == "integer":
        return query_int(name, default=param.default, low=param.low,
                         high=None if param.high == api_queries.MAX_ID else param.high)
    raw = request.args.get(name) or None
    if raw is not None and param.choices and raw not in param.choices:
        if fields is None:
            raise invalid({name: param.invalid})
        fields[name] = param.invalid
        return None
    return param.default if raw is None else raw


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
    return dump(api_responses.User(**user_ref(user), role=user.role.value, role_label=user.role_label,
                                   unit=unit_ref(user.unit)))


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
@accepts(api_schemas.TokenRequest)
def issue_token_view():
    """Exchange a username and password for a bearer token (throttled like the login page)."""
    from planner.views.auth import client_address

    data = body()
    session, cfg, now = db_session(), current_app.config, utcnow()
    try:
        result = authenticate(session, data["username"], data["password"], device=None, now=now, settings=cfg,
                              **client_address())
    except LoginThrottled as exc:
        raise ApiError(429, exc.message, retry_after=exc.wait_seconds) from None
    if result.user is None:
        session.commit()  # keep the failed attempt: the owner is told at their next login
        raise ApiError(401, "Tên đăng nhập hoặc mật khẩu không đúng.", code="invalid_credentials")
    token, row = issue_token(session, result.user, now=now, hours=cfg["API_TOKEN_HOURS"])
    session.commit()
    response = jsonify(token=token, token_type="Bearer", id=row.id, **stamp("expires_at", row.expires_at),
                       user=user_json(result.user), failed_attempts_since_last_login=result.earlier_failures)
    response.status_code = 201
    return response


@bp.get("/tokens")
def list_tokens_view():
    """The caller's unexpired API tokens (never the tokens themselves)."""
    now = utcnow()
    items = [{"id": t.id, **stamp("created_at", t.created_at), **stamp("expires_at", t.expires_at),
              "current": t.id == g.api_token_id} for t in list_tokens(db_session(), api_user(), now=now)]
    return jsonify(items=items)


@bp.delete("/tokens/<int:token_id>")
def revoke_token_view(token_id: int):
    """Revoke one of the caller's tokens (their current one included): it stops working at once."""
    if not revoke_token(db_session(), api_user(), token_id):
        raise not_found()
    commit()
    return "", 204


@bp.post("/account/password")
@accepts(api_schemas.PasswordChange)
def change_password_view():
    """Change one's own password; every session and API token of the user (this one too) ends."""
    data = body()
    try:
        change_password(db_session(), api_user(), data["current_password"], data["new_password"],
                        data["new_password"])
    except PasswordRejected as exc:
        raise invalid(exc.args[1], str(exc)) from None
    commit()
    return "", 204


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API (no token needed)."""
    from planner.openapi import build_openapi

    return jsonify(build_openapi())


# Resource modules register their routes on `bp`.
from planner.views import api_calendar, api_content, api_feeds, api_printing, api_reports, api_schedule  # noqa: E402,F401
from planner.views import api_indicators, api_plans  # noqa: E402,F401
from planner.views import api_grids, api_units, api_users, api_windows  # noqa: E402,F401
from planner.views import api_images, api_notifications, api_rosters  # noqa: E402,F401
