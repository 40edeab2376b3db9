"""The OpenAPI 3.1 document of the JSON API (/api/v1), built as a plain dict: operations from the area modules
(planner/openapi_*.py), request bodies from planner.api_schemas and response bodies from planner.api_responses."""
from __future__ import annotations

import copy
import functools
import re

from planner import api_queries, api_responses, api_schemas
from planner.openapi_calendar import calendar_paths

STR = {"type": "string"}
INT = {"type": "integer"}
# Every error body's `code`: one per HTTP status, plus the specific ones the endpoints name.
ERROR_CODES = list(api_responses.ERROR_CODES)


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


ERRORS = {400: ("BadRequest", "Dữ liệu không hợp lệ (JSON hỏng, thiếu trường, sai kiểu; xem error.fields)"),
          401: ("Unauthorized", "Thiếu hoặc sai mã truy cập"),
          403: ("Forbidden", "Vai trò không được phép"),
          404: ("NotFound", "Không tồn tại hoặc nằm ngoài phạm vi đơn vị của người dùng"),
          409: ("Conflict", "Xung đột: chuyển trạng thái không hợp lệ, đang lập lịch, không lên lịch được"),
          412: ("PreconditionFailed", "If-Match không khớp ETag hiện tại: dữ liệu đã đổi sau lần đọc"),
          413: ("PayloadTooLarge", "Nội dung gửi lên quá lớn (giới hạn MAX_CONTENT_LENGTH)"),
          415: ("UnsupportedMediaType", "Phải gửi Content-Type: application/json"),
          422: ("Unprocessable", "Không thực hiện được (kèm lý do): không tạo được PDF, phiên không còn chỗ, "
                                 "Idempotency-Key đã dùng cho yêu cầu khác"),
          429: ("TooManyRequests", "Đăng nhập sai quá nhiều lần (tiêu đề Retry-After: số giây chờ)"),
          503: ("ServiceUnavailable", "Cơ sở dữ liệu đang bận; thử lại sau số giây trong Retry-After")}

PARAMS = api_queries.components()   # limit, offset, cursor, count: shared by the list endpoints


def _path_param(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": INT}


def _query(name: str, schema: dict, description: str) -> dict:
    return {"name": name, "in": "query", "schema": schema, "description": description}


def op(tag: str, summary: str, *, ok: tuple[int, str | None], errors=(401, 403, 404),
       params: list | None = None, public: bool = False, pdf: bool = False) -> dict:
    """One operation: its tag, summary, parameters, request body and responses (errors by reference)."""
    status, schema = ok
    if pdf:
        content = {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
    else:
        content = {"application/json": {"schema": ref(schema) if schema else {}}}
    answer = {"description": "OK", "content": content} if status != 204 else {"description": "Không có nội dung"}
    out = {"tags": [tag], "summary": summary, "responses": {str(status): answer}}
    if params:
        out["parameters"] = params
    for code in (*errors, 503):  # any operation may meet a busy database
        out["responses"][str(code)] = {"$ref": f"#/components/responses/{ERRORS[code][0]}"}
    if public:
        out["security"] = []
    return out


def _png(operation: dict) -> dict:
    operation["responses"]["200"]["content"] = {"image/png": {"schema": {"type": "string", "format": "binary"}}}
    return operation


def _paths() -> dict:
    # The list endpoints' query parameters are declared on their views (planner.api_queries, add_query_parameters).
    plan, message, version = _path_param("plan_id"), _path_param("message_id"), _path_param("version_id")
    order, report, delivery = _path_param("order_id"), _path_param("report_id"), _path_param("delivery_id")
    return {
        "/tokens": {"post": op("auth", "Lấy mã truy cập (bearer token)", ok=(201, "Token"),
                               errors=(401, 429), public=True),
                    "get": op("auth", "Các mã truy cập còn hạn của tôi", ok=(200, "TokenList"), errors=(401,))},
        "/account/password": {"post": op("auth", "Đổi mật khẩu của tôi (mọi phiên và mã API bị huỷ)",
                                         ok=(204, None), errors=(401,))},
        "/tokens/{token_id}": {"parameters": [_path_param("token_id")],
                               "delete": op("auth", "Thu hồi một mã truy cập của tôi", ok=(204, None),
                                            errors=(401, 404))},
        "/units/{unit_id}/ical": {"parameters": [_path_param("unit_id")],
                                  "get": op("schedule", "Liên kết iCal của đơn vị", ok=(200, "IcalLink"))},
        "/units/{unit_id}/ical/rotate": {
            "parameters": [_path_param("unit_id")],
            "post": op("schedule", "Đổi liên kết iCal (liên kết cũ hết hiệu lực)", ok=(200, "IcalLink"))},
        "/openapi.json": {"get": op("auth", "Tài liệu OpenAPI 3.1 này", ok=(200, None), errors=(), public=True)},
        "/plans": {"get": op("plans", "Danh sách kế hoạch trong phạm vi", ok=(200, "PlanPage"),
                             errors=(400, 401, 403))},
        "/plans/{plan_id}": {"parameters": [plan],
                             "get": op("plans", "Kế hoạch: đối tượng, đợt cao điểm, nội dung", ok=(200, "PlanDetail"))},
        "/plans/{plan_id}/messages": {
            "parameters": [plan],
            "get": op("messages", "Tin bài của kế hoạch", ok=(200, "MessageList"),
                      errors=(400, 401, 403, 404)),
            "post": op("messages", "Viết tin bài (phiên bản nháp 1); kế hoạch đã đóng/lưu trữ: 409 read_only",
                       ok=(201, "MessageDetail"), errors=(401, 403, 404, 409))},
        "/messages/{message_id}": {
            "parameters": [message],
            "get": op("messages", "Tin bài và các phiên bản", ok=(200, "MessageDetail")),
            "put": op("messages", "Sửa tin bài (bản đã gửi/duyệt → phiên bản nháp mới)", ok=(200, "MessageDetail")),
            "patch": op("messages", "Sửa một phần tin bài", ok=(200, "MessageDetail"))},
        "/messages/{message_id}/versions/{version_id}/submit": {
            "parameters": [message, version],
            "post": op("messages", "Gửi duyệt", ok=(200, "MessageDetail"), errors=(401, 403, 404, 409))},
        "/messages/{message_id}/versions/{version_id}/review": {
            "parameters": [message, version],
            "post": op("messages", "Duyệt hoặc yêu cầu sửa (người viết không tự duyệt)", ok=(200, "MessageDetail"), errors=(401, 403, 404, 409))},
        "/occurrences": {"get": op("schedule", "Lịch phát/đăng (lọc, phân trang)", ok=(200, "OccurrencePage"),
                                   errors=(400, 401, 403, 404))},
        "/deliveries/{delivery_id}": {"parameters": [delivery],
                                      "get": op("schedule", "Kết quả một lượt phát/đăng", ok=(200, "DeliveryDetail"))},
        "/deliveries/{delivery_id}/confirm": {
            "parameters": [delivery],
            "post": op("schedule",
                       "Xác nhận đã phát / không phát được (lặp lại không đổi gì); bài đăng trực tuyến: 409",
                       ok=(200, "Delivery"), errors=(401, 403, 404, 409))},
        "/deliveries/{delivery_id}/reconcile": {
            "parameters": [delivery],
            "post": op("schedule", "Đối soát bài đăng trực tuyến chưa rõ kết quả (đã/không lên trang)",
                       ok=(200, "Delivery"), errors=(400, 401, 403, 404, 409))},
        "/print-orders": {
            "get": op("printing", "Đơn in trong phạm vi (cơ sở in: đơn của mình)", ok=(200, "PrintOrderPage"),
                      errors=(400, 401, 403)),
            "post": op("printing", "Đặt in nội dung đã duyệt", ok=(201, "PrintOrder"),
                       errors=(401, 403, 404))},
        "/print-orders/{order_id}": {"parameters": [order],
                                     "get": op("printing", "Đơn in", ok=(200, "PrintOrder"))},
        "/print-orders/{order_id}/status": {
            "parameters": [order],
            "post": op("printing", "Chuyển trạng thái đơn in", ok=(200, "PrintOrder"),
                       errors=(401, 403, 404, 409))},
        "/print-orders/{order_id}/pdf": {
            "parameters": [order],
            "get": op("printing", "Tệp in đã lưu (bản in thử; sau khi duyệt: đúng tệp để in), ETag = SHA-256; "
                      "không dựng lại", ok=(200, None), pdf=True, errors=(401, 403, 404, 409))},
        "/print-orders/{order_id}/approve": {
            "parameters": [order],
            "post": op("printing", "Đơn vị đặt in duyệt bản in thử; cơ sở in nhận đơn từ đây",
                       ok=(200, "PrintOrder"), errors=(401, 403, 404, 409))},
        "/print-orders/{order_id}/proof/{page}.png": {
            "parameters": [order, _path_param("page")],
            "get": _png(op("printing", "Ảnh một trang của bản in thử (cạnh dài 1400 px)", ok=(200, None)))},
        "/plans/{plan_id}/reports": {
            "parameters": [plan],
            "get": op("reports", "Báo cáo của kế hoạch", ok=(200, "ReportList")),
            "post": op("reports", "Yêu cầu tạo báo cáo (xếp hàng; worker tạo PDF)", ok=(202, "Report"))},
        "/reports/{report_id}": {"parameters": [report], "get": op("reports", "Báo cáo", ok=(200, "Report"))},
        "/reports/{report_id}/pdf": {
            "parameters": [report],
            "get": op("reports", "Tệp PDF báo cáo (404 cho đến khi sẵn sàng)", ok=(200, None), pdf=True)},
        **calendar_paths(op, _path_param),
    }



# --------------------------------------------------------------------------- generated parts

API_PREFIX = "/api/v1"
MAX_ID = api_schemas.MAX_ID

# Links between operations: (source "METHOD path", status) → {name: (target "METHOD path", {param: expression})}.
# The targets' parameters are filled from the source's answer (OpenAPI runtime expressions).
LINKS: dict[tuple[str, str], dict[str, tuple[str, dict[str, str]]]] = {
    ("POST /tokens", "201"): {"ListTokens": ("GET /tokens", {}),
                              "RevokeToken": ("DELETE /tokens/{token_id}", {"token_id": "$response.body#/id"})},
    ("POST /plans", "201"): {"GetPlan": ("GET /plans/{plan_id}", {"plan_id": "$response.body#/id"}),
                             "EditPlan": ("PATCH /plans/{plan_id}", {"plan_id": "$response.body#/id"}),
                             "WriteMessage": ("POST /plans/{plan_id}/messages", {"plan_id": "$response.body#/id"}),
                             "SetStatus": ("POST /plans/{plan_id}/status", {"plan_id": "$response.body#/id"})},
    ("POST /plans/{plan_id}/copy", "201"): {"GetPlan": ("GET /plans/{plan_id}", {"plan_id": "$response.body#/id"})},
    ("GET /plans/{plan_id}", "200"): {
        "Messages": ("GET /plans/{plan_id}/messages", {"plan_id": "$response.body#/id"}),
        "Document": ("GET /plans/{plan_id}/document", {"plan_id": "$response.body#/id"}),
        "Reports": ("GET /plans/{plan_id}/reports", {"plan_id": "$response.body#/id"}),
        "Schedule": ("POST /plans/{plan_id}/schedule-runs", {"plan_id": "$response.body#/id"}),
        "Dashboard": ("GET /plans/{plan_id}/dashboard", {"plan_id": "$response.body#/id"})},
    ("POST /plans/{plan_id}/messages", "201"): {
        "GetMessage": ("GET /messages/{message_id}", {"message_id": "$response.body#/id"}),
        "SubmitVersion": ("POST /messages/{message_id}/versions/{version_id}/submit",
                          {"message_id": "$response.body#/id", "version_id": "$response.body#/latest_version/id"})},
    ("GET /messages/{message_id}", "200"): {
        "EditMessage": ("PATCH /messages/{message_id}", {"message_id": "$response.body#/id"}),
        "SubmitVersion": ("POST /messages/{message_id}/versions/{version_id}/submit",
                          {"message_id": "$response.body#/id", "version_id": "$response.body#/latest_version/id"}),
        "ReviewVersion": ("POST /messages/{message_id}/versions/{version_id}/review",
                          {"message_id": "$response.body#/id", "version_id": "$response.body#/latest_version/id"}),
        "AddImage": ("POST /messages/{message_id}/images", {"message_id": "$response.body#/id"}),
        "PublishPost": ("POST /messages/{message_id}/posts", {"message_id": "$response.body#/id"})},
    ("POST /messages/{message_id}/posts", "201"): {
        "Move": ("POST /occurrences/{occurrence_id}/move", {"occurrence_id": "$response.body#/id"}),
        "Cancel": ("POST /occurrences/{occurrence_id}/cancel", {"occurrence_id": "$response.body#/id"})},
    ("POST /occurrences/{occurrence_id}/move", "200"): {
        "Undo": ("POST /occurrences/{occurrence_id}/undo", {"occurrence_id": "$response.body#/id"}),
        "Pin": ("POST /occurrences/{occurrence_id}/pin", {"occurrence_id": "$response.body#/id"})},
    ("POST /occurrences/{occurrence_id}/cancel", "200"): {
        "Undo": ("POST /occurrences/{occurrence_id}/undo", {"occurrence_id": "$response.body#/id"})},
    ("POST /occurrences/{occurrence_id}/pin", "200"): {
        "Move": ("POST /occurrences/{occurrence_id}/move", {"occurrence_id": "$response.body#/id"})},
    ("GET /deliveries/{delivery_id}", "200"): {
        "Confirm": ("POST /deliveries/{delivery_id}/confirm", {"delivery_id": "$response.body#/id"}),
        "Reconcile": ("POST /deliveries/{delivery_id}/reconcile", {"delivery_id": "$response.body#/id"}),
        "MakeUp": ("POST /deliveries/{delivery_id}/make-up", {"delivery_id": "$response.body#/id"}),
        "Move": ("POST /occurrences/{occurrence_id}/move", {"occurrence_id": "$response.body#/occurrence/id"})},
    ("POST /deliveries/{delivery_id}/make-up", "201"): {
        "Move": ("POST /occurrences/{occurrence_id}/move", {"occurrence_id": "$response.body#/id"})},
    ("POST /print-orders", "201"): {
        "GetOrder": ("GET /print-orders/{order_id}", {"order_id": "$response.body#/id"}),
        "Proof": ("GET /print-orders/{order_id}/pdf", {"order_id": "$response.body#/id"}),
        "ProofPage": ("GET /print-orders/{order_id}/proof/{page}.png", {"order_id": "$response.body#/id", "page": 1}),
        "Approve": ("POST /print-orders/{order_id}/approve", {"order_id": "$response.body#/id"}),
        "Ticket": ("GET /print-orders/{order_id}/ticket.pdf", {"order_id": "$response.body#/id"})},
    ("GET /print-orders/{order_id}", "200"): {
        "Proof": ("GET /print-orders/{order_id}/pdf", {"order_id": "$response.body#/id"}),
        "Approve": ("POST /print-orders/{order_id}/approve", {"order_id": "$response.body#/id"}),
        "Move": ("POST /print-orders/{order_id}/status", {"order_id": "$response.body#/id"})},
    ("POST /plans/{plan_id}/reports", "202"): {
        "GetReport": ("GET /reports/{report_id}", {"report_id": "$response.body#/id"}),
        "Pdf": ("GET /reports/{report_id}/pdf", {"report_id": "$response.body#/id"}),
        "Xlsx": ("GET /reports/{report_id}/xlsx", {"report_id": "$response.body#/id"}),
        "Issue": ("POST /reports/{report_id}/issue", {"report_id": "$response.body#/id"})},
    ("GET /reports/{report_id}", "200"): {
        "Pdf": ("GET /reports/{report_id}/pdf", {"report_id": "$response.body#/id"}),
        "Xlsx": ("GET /reports/{report_id}/xlsx", {"report_id": "$response.body#/id"}),
        "Correct": ("POST /reports/{report_id}/correct", {"report_id": "$response.body#/id"})},
    ("POST /plans/{plan_id}/roster-batches", "201"): {
        "GetBatch": ("GET /roster-batches/{batch_id}", {"batch_id": "$response.body#/id"}),
        "Pdf": ("GET /roster-batches/{batch_id}.pdf", {"batch_id": "$response.body#/id"}),
        "Zip": ("GET /roster-batches/{batch_id}.zip", {"batch_id": "$response.body#/id"})},
    ("POST /users", "201"): {"GetUser": ("GET /users/{user_id}", {"user_id": "$response.body#/id"})},
    ("POST /units", "201"): {"GetUnit": ("GET /units/{unit_id}", {"unit_id": "$response.body#/id"}),
                             "Grids": ("GET /units/{unit_id}/grids", {"unit_id": "$response.body#/id"})},
}


def api_routes():
    """(path as in the document, method, view function) of every route of the API blueprint."""
    from flask import current_app, has_app_context

    app = current_app if has_app_context() and "api" in current_app.blueprints else _routes_only_app()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(API_PREFIX))
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield path, method.lower(), app.view_functions[rule.endpoint]


@functools.cache
def _routes_only_app():
    """For the document without a running app: only the API's routes are needed."""
    from flask import Flask

    from planner.views.api import bp

    app = Flask("planner.openapi")
    app.register_blueprint(bp)
    return app


def add_request_bodies(paths: dict, schemas: dict) -> None:
    """Each operation's request body is the model its view validates with (planner.views.api.accepts)."""
    generated = api_schemas.json_schemas()
    for path, method, view in api_routes():
        operation = paths.get(path, {}).get(method)
        model = getattr(view, "body_model", None)
        if operation is None or model is None:
            continue    # an undocumented route: test_openapi_document_describes_every_registered_route names it
        name = model if isinstance(model, str) else model.__name__
        if not isinstance(model, str):
            schemas[name] = generated[name]
        operation["requestBody"] = {"required": not view.body_optional,
                                    "content": {view.body_media: {"schema": ref(name)}}}
        for code in (400, 413, 415) if view.body_media == "application/json" else (413,):
            operation["responses"].setdefault(str(code), {"$ref": f"#/components/responses/{ERRORS[code][0]}"})
        operation["responses"] = dict(sorted(operation["responses"].items()))


def add_query_parameters(paths: dict) -> None:
    """An operation whose view declares its query parameters (planner.views.api.reads) lists exactly those, in
    their order, then its other (header) parameters."""
    for path, method, view in api_routes():
        operation = paths.get(path, {}).get(method)
        declared = getattr(view, "query_params", None)
        if operation is None or declared is None:
            continue
        others = [p for p in operation.get("parameters", []) if "$ref" not in p and p.get("in") != "query"]
        operation["parameters"] = [p.document() for p in declared.values()] + others


def add_links(paths: dict) -> None:
    for (source, status), links in LINKS.items():
        method, path = source.split(" ", 1)
        response = paths[path][method.lower()]["responses"][status]
        response["links"] = {name: {"operationRef": _pointer(target), "parameters": parameters}
                             for name, (target, parameters) in links.items()}


def _pointer(operation: str) -> str:
    method, path = operation.split(" ", 1)
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method.lower()

def response_problem(doc: dict, rule: str, method: str, status: int, body) -> str | None:
    """Why a JSON answer does not match what the document says of it (None when it does). For the response
    check that tests turn on (config API_CHECK_RESPONSES); needs jsonschema_rs (a test dependency)."""
    import jsonschema_rs

    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.removeprefix(API_PREFIX))
    operation = doc["paths"].get(path, {}).get(method.lower())
    if operation is None:
        return None     # HEAD, OPTIONS
    answer = operation["responses"].get(str(status))
    if answer is None:
        return f"{method} {path}: status {status} is not documented"
    if "$ref" in answer:
        answer = doc["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    content = answer.get("content", {}).get("application/json")
    if content is None:
        return f"{method} {path}: status {status} is documented without a JSON body"
    cache = doc.setdefault("x-validators", {})
    key = f"{method} {path} {status}"
    if key not in cache:
        cache[key] = jsonschema_rs.Draft202012Validator({**content["schema"], "components": doc["components"]})
    errors = [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in cache[key].iter_errors(body)]
    return f"{method} {path} {status}: " + "; ".join(errors[:5]) if errors else None


def query_problem(doc: dict, rule: str, method: str, read: dict) -> str | None:
    """Query parameters the view read that the document does not declare, or integer bounds that differ."""
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.removeprefix(API_PREFIX))
    item = doc["paths"].get(path, {})
    operation = item.get(method.lower())
    if operation is None:
        return None
    declared = {}
    for param in [*item.get("parameters", []), *operation.get("parameters", [])]:
        if "$ref" in param:
            param = doc["components"]["parameters"][param["$ref"].rsplit("/", 1)[1]]
        if param["in"] == "query":
            declared[param["name"]] = param.get("schema", {})
    problems = []
    for name, bounds in read.items():
        if name not in declared:
            problems.append(f"reads ?{name}, which is not documented")
        elif bounds is not None:
            schema = declared[name]
            documented = (schema.get("minimum", 0), schema.get("maximum", MAX_ID))
            if schema.get("type") != "integer" or documented != bounds:
                problems.append(f"?{name} is checked as an integer in {list(bounds)}, documented as {schema}")
    return f"{method} {path}: " + "; ".join(problems) if problems else None


def _merge_paths(*groups: dict) -> dict:
    """Path items from several areas; two areas may document different methods of one path."""
    merged: dict = {}
    for group in groups:
        for path, item in group.items():
            merged.setdefault(path, {}).update(item)
    return merged


@functools.cache
def _generated_responses() -> dict:
    return api_responses.json_schemas()


def _response_schemas() -> dict:
    return copy.deepcopy(_generated_responses())


def build_openapi() -> dict:
    """The whole document: every endpoint, the bearer scheme, request bodies, the error schema."""
    from planner import openapi_schedule
    from planner import openapi_supervision as supervision
    from planner import openapi_admin, openapi_images, openapi_notify, openapi_printing, openapi_rosters

    error_body = {"application/json": {"schema": ref("Error")}}
    paths = _paths()
    paths.update(openapi_schedule.paths(_path_param))
    openapi_schedule.annotate(paths)
    from planner import openapi_plans

    openapi_plans.add_to(paths)
    openapi_printing.annotate(paths, op=op, path_param=_path_param)
    paths = _merge_paths(paths, supervision.paths(), openapi_admin.paths(), openapi_notify.paths(),
                         openapi_images.paths(), openapi_rosters.paths())
    schemas = _response_schemas()   # every response body: generated from planner.api_responses
    add_request_bodies(paths, schemas)
    add_query_parameters(paths)
    add_links(paths)
    return {
        "openapi": "3.1.0",
        "info": {"title": "planner API", "version": "1",
                 "description": "Kế hoạch, tin bài, lịch phát, xác nhận, đơn in và báo cáo. Lỗi luôn có dạng "
                                "{\"error\": {\"code\", \"message\", \"fields\"?}}; thông báo bằng tiếng Việt. "
                                "Thời gian: ISO 8601 UTC, kèm trường *_local theo giờ Việt Nam."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "tags": [{"name": t} for t in ("auth", "plans", "messages", "schedule", "printing", "reports",
                                       "supervision", "people", "places", "notifications")],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "Mã lấy từ POST /tokens"}},
            "schemas": schemas,
            "parameters": PARAMS,
            "responses": {name: {"description": text, "content": error_body} for name, text in ERRORS.values()},
        },
    }
