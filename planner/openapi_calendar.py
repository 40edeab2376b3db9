"""OpenAPI paths and schemas of the calendar and 'Cần xử lý' endpoints (views/api_calendar.py)."""
from __future__ import annotations


def calendar_paths(op, path_param) -> dict:
    """Move/pin/cancel/undo of an occurrence, make-up and handled of a delivery, the attention list."""
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
        "/plans/{plan_id}/attention": {"parameters": [plan], "get": op(
            "schedule", "Cần xử lý: lượt chưa rõ kết quả, quá hạn, thất bại, bị lỡ (chưa xử lý)",
            ok=(200, "AttentionPage"), errors=(400, 401, 403, 404))},
    }
