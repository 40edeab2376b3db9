"""OpenAPI entries for changing plans: create from a plan document, edit, copy, life cycle, delete, export, retire."""
from __future__ import annotations

from planner.openapi import _path_param, op


def paths() -> dict:
    plan, message = _path_param("plan_id"), _path_param("message_id")
    retire = op("messages", "Ngừng dùng tin (giữ trong lịch sử và báo cáo, không lên lịch nữa)", ok=(200, "Message"),
                errors=(401, 403, 404, 409))
    return {
        "/plans/{plan_id}/document": {
            "parameters": [plan],
            "get": op("plans", "Kế hoạch dưới dạng tài liệu plan.yaml", ok=(200, "PlanDocument"))},
        "/plans/{plan_id}/copy": {
            "parameters": [plan],
            "post": op("plans", "Sao chép kế hoạch thành kế hoạch dự thảo mới (ngày được dời)", ok=(201, "PlanDetail"), errors=(401, 403, 404))},
        "/plans/{plan_id}/status": {
            "parameters": [plan],
            "post": op("plans", "Chuyển trạng thái kế hoạch (ETag/If-Match)", ok=(200, "PlanDetail"), errors=(401, 403, 404, 409, 412))},
        "/plans/{plan_id}/export": {
            "parameters": [plan],
            "get": _zip(op("plans", "Bộ tệp kế hoạch (ZIP theo định dạng thư viện; planner import đọc lại được)",
                           ok=(200, None)))},
        "/messages/{message_id}/retire": {"parameters": [message], "post": retire},
    }


def plan_operations() -> dict:
    """Operations added to paths the base document already has (/plans, /plans/{plan_id})."""
    return {
        "/plans": {"post": op("plans", "Lập kế hoạch mới (dự thảo) từ tài liệu plan.yaml", ok=(201, "PlanDetail"), errors=(401, 403))},
        "/plans/{plan_id}": {
            "patch": op("plans", "Sửa kế hoạch: các trường gửi lên thay giá trị cũ; khóa trong details thay từng "
                        "khóa (ETag/If-Match). Kế hoạch đã kết thúc: 409", ok=(200, "PlanDetail"), errors=(401, 403, 404, 409, 412)),
            "delete": op("plans", "Xóa kế hoạch chưa từng chạy; đã có lượt phát, đơn in hay báo cáo: 409 "
                         "(plan_has_history), hãy lưu trữ", ok=(204, None), errors=(401, 403, 404, 409))},
    }


def _zip(operation: dict) -> dict:
    operation["responses"]["200"]["content"] = {"application/zip": {"schema": {"type": "string", "format": "binary"}}}
    return operation


def add_to(paths_: dict) -> None:
    """Merge these entries into the document's paths (their bodies: planner.api_responses)."""
    paths_.update(paths())
    for path, operations in plan_operations().items():
        paths_.setdefault(path, {}).update(operations)
