"""OpenAPI paths and schemas of the calendar and 'Cần xử lý' endpoints (views/api_calendar.py)."""
from __future__ import annotations


def calendar_paths(op, path_param) -> dict:
    """Move/pin/cancel/undo of an occurrence, make-up and handled of a delivery, the attention list."""
    from planner.openapi_schedule import IDEMPOTENCY_KEY

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
            ok=(200, "AttentionPage"), errors=(400, 401, 403, 404))},
    }
