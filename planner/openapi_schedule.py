"""OpenAPI pieces for schedule generation, targets, scheduled posts and the concurrency headers.

Kept beside planner/openapi.py (which merges them) so the two areas change independently.
"""
from __future__ import annotations

from planner.openapi import STR, op

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key", "in": "header", "required": False,
    "schema": {"type": "string", "minLength": 8, "maxLength": 200, "pattern": "^[!-~]+$"},
    "description": "Mã gửi một lần (8–200 ký tự ASCII): gửi lại cùng mã trong 24 giờ nhận lại đúng phản hồi lần đầu "
                   "(cùng mã trạng thái, kèm tiêu đề Idempotent-Replayed: true) thay vì tạo thêm; cùng mã với "
                   "nội dung khác → 422 idempotency_key_reused."}


def paths(path_param) -> dict:
    """Paths of this area, built with openapi.py's helpers."""
    plan, message, run = path_param("plan_id"), path_param("message_id"), path_param("run_id")
    key = [IDEMPOTENCY_KEY]
    return {
        "/targets": {"get": op("schedule", "Điểm phát / trang người dùng được dùng (đơn vị mình và cấp dưới)",
                               ok=(200, "TargetPage"), errors=(400, 401, 403))},
        "/messages/{message_id}/posts": {
            "parameters": [message],
            "post": op("schedule", "Lên lịch đăng bản đã duyệt lên một trang (ghim; đúng khung thời gian của nền "
                                   "tảng: sớm hơn 10 phút hoặc xa hơn 30 ngày là 422 outside_window); "
                                   "Idempotency-Key: gửi lại không tạo bài trùng",
                       ok=(201, "Occurrence"), params=key, errors=(401, 403, 404, 409, 422))},
        "/plans/{plan_id}/schedule-runs": {
            "parameters": [plan],
            "post": op("schedule", "Lập lịch (201: đã xong; 202: xếp hàng cho worker). Mỗi kế hoạch × kênh chỉ "
                                   "một lần lập lịch tại một thời điểm: 409 schedule_in_progress",
                       ok=(201, "ScheduleRun"), params=key,
                       errors=(401, 403, 404, 409, 422))},
        "/plans/{plan_id}/schedule-runs/{run_id}": {
            "parameters": [plan, run],
            "get": op("schedule", "Một lần lập lịch và báo cáo ngoại lệ", ok=(200, "ScheduleRun"))},
    }


IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": STR,
            "description": "ETag đã đọc (GET): chỉ lưu nếu dữ liệu chưa bị người khác đổi, nếu không → 412"}
ETAG_HEADER = {"ETag": {"description": "Phiên bản hiện tại; gửi lại trong If-Match khi sửa", "schema": STR}}
# Operations whose object carries an ETag: (path, method, is a write honouring If-Match).
VERSIONED = [("/plans/{plan_id}", "get", False), ("/messages/{message_id}", "get", False),
             ("/messages/{message_id}", "put", True), ("/messages/{message_id}", "patch", True),
             ("/messages/{message_id}/versions/{version_id}/submit", "post", True),
             ("/messages/{message_id}/versions/{version_id}/review", "post", True),
             ("/print-orders/{order_id}", "get", False), ("/print-orders/{order_id}/status", "post", True)]


def annotate(paths: dict) -> None:
    """Other areas' operations: creates that honour Idempotency-Key, objects with ETag / If-Match."""
    create = paths["/print-orders"]["post"]
    create.setdefault("parameters", []).append(IDEMPOTENCY_KEY)
    create["responses"]["422"] = {"$ref": "#/components/responses/Unprocessable"}
    for path, method, is_write in VERSIONED:
        operation = paths.get(path, {}).get(method)
        if operation is None:
            continue
        ok = next(code for code in operation["responses"] if code.startswith("2"))
        operation["responses"][ok]["headers"] = ETAG_HEADER
        if is_write:
            operation.setdefault("parameters", []).append(IF_MATCH)
            operation["responses"]["412"] = {"$ref": "#/components/responses/PreconditionFailed"}
            operation["responses"]["409"] = {"$ref": "#/components/responses/Conflict"}
