"""OpenAPI entries for changing plans: create from a plan document, edit, copy, life cycle, delete, export, retire."""
from __future__ import annotations

from planner.openapi import BOOL, CHANNELS, STR, _path_param, obj, op, stamp

STATUSES = ["draft", "active", "closed", "archived"]
CODE_NAME = {"type": "array", "items": obj({"code": STR, "name": STR}, ["code", "name"])}
DATE = {**STR, "description": "dd/mm/yyyy"}

SCHEMAS = {
    "PlanDocument": obj({
        "code": {**STR, "description": "Mã kế hoạch (chữ thường không dấu); không đổi khi sửa"},
        "number": STR, "issuer": STR, "unit": {**STR, "description": "Mã đơn vị chủ trì (trong phạm vi người dùng)"},
        "place": STR, "issued_on": DATE, "title": STR, "summary": STR, "starts_on": DATE, "ends_on": DATE,
        "period_rule": {"enum": ["decree_09", "calendar"]}, "replan_missed": BOOL,
        "audiences": CODE_NAME, "themes": CODE_NAME, "channels": {"type": "array", "items": {"enum": CHANNELS}},
        "notes": {"type": "array", "items": STR},
        "governing_body": {**STR, "maxLength": 200, "description": "Báo cáo (NĐ 30/2020): cơ quan chủ quản, dòng trên"},
        "issuing_body": {**STR, "maxLength": 200,
                         "description": "Báo cáo: cơ quan ban hành, dòng dưới (trống: tên đơn vị chủ trì)"},
        "issuer_abbreviation": {**STR, "maxLength": 20, "description": "Chữ viết tắt sau 'BC-' trong số, ví dụ UBND"},
        "signer_authority": {**STR, "maxLength": 100,
                             "description": "Dòng thẩm quyền ký báo cáo: bắt đầu bằng KT., TM., Q., TL. hoặc TUQ."},
        "signer_title": {**STR, "maxLength": 200, "description": "Chức vụ người ký báo cáo, ví dụ CHỦ TỊCH"},
        "signer_name": {**STR, "maxLength": 200, "description": "Họ tên người ký báo cáo"},
        "details": {"type": "object", "description": "purposes, requirements, funding, indicators, duties, deadlines, "
                                                     "reporting, signer {on_behalf, title, position, name} … "
                                                     "như docs/formats.md"}},
        description="Kế hoạch đúng như tệp plan.yaml (docs/formats.md), kiểm tra bằng cùng quy tắc với lệnh import; "
                    "lỗi: 400 với error.fields theo đường dẫn trường (ví dụ details.indicators[1].target)"),
}


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


def add_to(paths_: dict, schemas: dict) -> None:
    """Merge these entries into the document's paths and schemas; plans gain `status`."""
    paths_.update(paths())
    for path, operations in plan_operations().items():
        paths_.setdefault(path, {}).update(operations)
    schemas.update(SCHEMAS)
    schemas["Plan"]["properties"] |= {"status": {"enum": STATUSES}, "status_label": STR}
    schemas["Message"]["properties"] |= stamp("retired_at")
