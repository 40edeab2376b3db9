"""OpenAPI paths and schemas of the calendar and 'Cần xử lý' endpoints (views/api_calendar.py)."""
from __future__ import annotations


def calendar_schemas(obj, ref, STR, INT, BOOL) -> dict:
    """Request and response bodies of the calendar endpoints."""
    return {
        "UndoResult": {"allOf": [ref("Occurrence"), obj({"undone": {"enum": ["move", "cancel"]}})]},
        "AttentionItem": {"allOf": [ref("Delivery"), obj({"occurrence": ref("Occurrence"), "can_make_up": BOOL})]},
        "AttentionPage": obj({"items": {"type": "array", "items": ref("AttentionItem")}, "limit": INT, "offset": INT,
                              "next_cursor": {"type": ["string", "null"]},
                              "total": {**INT, "description": "Chỉ có khi count=true (hoặc khi dùng offset)"},
                              "deadlines": {"type": "array", "description": (
                                  "Chỉ ở trang đầu: báo cáo, mốc kế hoạch và hạn chỉ tiêu đến hạn trong 30 ngày"),
                                  "items": obj({"due": {"type": "string", "format": "date"}, "due_local": STR,
                                                "what": STR, "days_left": INT},
                                               ["due", "due_local", "what", "days_left"])}},
                             ["items", "limit", "offset", "next_cursor"]),
        "AttentionBulkResult": obj({"action": {"enum": ["make_up", "handled"]},
                                    "matched": {**INT, "description": "Số lượt khớp (tối đa 500)"},
                                    "done": INT, "skipped": {**INT, "description": "Phát bù: lượt chưa rõ kết quả"},
                                    "errors": {"type": "array", "items": STR}},
                                   ["action", "matched", "done", "skipped", "errors"]),
        "EmergencyResult": obj({"placed": {**INT, "description": "Số lượt tin khẩn đã chèn"},
                                "moved": {"type": "array", "items": STR, "description": "Lượt bị dời để nhường chỗ"},
                                "dropped": {"type": "array", "items": STR,
                                            "description": "Lượt bị dời không xếp lại được"},
                                "issues": {"type": "array", "items": STR}},
                               ["placed", "moved", "dropped", "issues"]),
    }


def calendar_paths(op, path_param, query, STR, INT, CHANNELS) -> dict:
    """Move/pin/cancel/undo of an occurrence, make-up and handled of a delivery, the attention list."""
    from planner.openapi import limit_param
    from planner.openapi_schedule import IDEMPOTENCY_KEY
    from planner.operations.attention import PAGE_SIZE

    occurrence, delivery, plan = path_param("occurrence_id"), path_param("delivery_id"), path_param("plan_id")

    refused = (401, 403, 404, 409, 422)
    return {
        "/occurrences/{occurrence_id}/move": {"parameters": [occurrence], "post": op(
            "schedule", "Dời một lượt vào phiên còn chỗ (ghim); 422 kèm lý do khi không có phiên/đầy/trùng tin",
            ok=(200, "Occurrence"), errors=refused)},
        "/occurrences/{occurrence_id}/pin": {"parameters": [occurrence], "post": op(
            "schedule", "Ghim hoặc bỏ ghim", ok=(200, "Occurrence"))},
        "/occurrences/{occurrence_id}/cancel": {"parameters": [occurrence], "post": op(
            "schedule", "Hủy lượt chưa thực hiện (hoàn tác được)", ok=(200, "Occurrence"),
            errors=(401, 403, 404, 409))},
        "/occurrences/{occurrence_id}/undo": {"parameters": [occurrence], "post": op(
            "schedule", "Hoàn tác lần dời/hủy gần nhất", ok=(200, "UndoResult"), errors=refused)},
        "/deliveries/{delivery_id}/make-up": {"parameters": [delivery], "post": op(
            "schedule", "Phát bù lượt loa bị lỡ/thất bại vào phiên trống gần nhất của thôn", ok=(201, "Occurrence"),
            errors=(401, 403, 404, 409))},
        "/deliveries/{delivery_id}/handled": {"parameters": [delivery], "post": op(
            "schedule", "Đánh dấu đã xử lý (kèm lý do)", ok=(200, "Delivery"),
            errors=(401, 403, 404, 409))},
        "/plans/{plan_id}/attention/bulk": {"parameters": [plan], "post": op(
            "schedule", "Cần xử lý hàng loạt: phát bù hoặc đánh dấu đã xử lý các lượt đã chọn hoặc mọi lượt theo bộ lọc "
                        "(tối đa 500 một lần)", ok=(200, "AttentionBulkResult"), errors=(400, 401, 403, 404))},
        "/plans/{plan_id}/emergency": {"parameters": [plan], "post": op(
            "schedule", "Chèn tin khẩn (tin loa đã duyệt) vào 1–6 phiên sắp tới của mọi cụm loa thuộc đơn vị, sau các "
                        "lượt đã ghim và tin khẩn trước đó; lượt bị dời được xếp lại và liệt kê. 409 schedule_in_progress "
                        "khi đang lập lịch; Idempotency-Key: gửi lại không chèn thêm",
            ok=(201, "EmergencyResult"), params=[IDEMPOTENCY_KEY], errors=(400, 401, 403, 404, 409, 422))},
        "/plans/{plan_id}/attention": {"parameters": [plan], "get": op(
            "schedule", "Cần xử lý: lượt chưa rõ kết quả, quá hạn, thất bại, bị lỡ (chưa xử lý)",
            ok=(200, "AttentionPage"), errors=(400, 401, 403, 404), params=[
                query("channel", {"enum": CHANNELS}, "Kênh"),
                query("status", {"enum": ["unknown", "expired", "failed", "missed"]}, "Tình trạng"),
                query("village", {**INT, "minimum": 1}, "Thôn (mã đơn vị)"),
                limit_param(500, PAGE_SIZE), {"$ref": "#/components/parameters/offset"},
                {"$ref": "#/components/parameters/cursor"}, {"$ref": "#/components/parameters/count"}])},
    }
