"""OpenAPI entries for supervision: units, indicators and results, the drill-down dashboard, report downloads."""
from __future__ import annotations

from planner.openapi import INT, STR, _path_param, _query, op


def paths() -> dict:
    """The supervision endpoints."""
    plan, indicator, report = _path_param("plan_id"), _path_param("indicator_id"), _path_param("report_id")
    dates = "dd/mm/yyyy hoặc yyyy-mm-dd"
    filters = [_query("unit", INT, "Đơn vị xem (mặc định: đơn vị của người dùng)"),
               _query("from", STR, f"Từ ngày, {dates}"), _query("to", STR, f"Đến ngày, {dates}"),
               _query("channel", STR, "Kênh"), _query("audience", INT, "Nhóm đối tượng"), _query("message", INT, "Tin bài")]
    return {
        "/units": {"get": op("supervision", "Đơn vị trong phạm vi (thứ tự tiếng Việt)", ok=(200, "UnitList"),
                             errors=(400, 401, 403))},
        "/plans/{plan_id}/indicators": {"parameters": [plan], "get": op(
            "supervision", "Chỉ tiêu của kế hoạch", ok=(200, "IndicatorList"))},
        "/indicators/{indicator_id}/results": {
            "parameters": [indicator],
            "get": op("supervision", "Số liệu của một đơn vị, gồm các lần sửa", ok=(200, "ResultList"),
                      errors=(400, 401, 403, 404)),
            "post": op("supervision", "Ghi số liệu (cùng ngày, cùng đơn vị: là bản sửa, bản cũ được giữ)",
                       ok=(201, "IndicatorResult"))},
        "/reports/{report_id}": {
            "parameters": [report], "get": op("reports", "Báo cáo", ok=(200, "Report")),
            "patch": op("reports", "Sửa dự thảo (409 khi đã ban hành)", ok=(200, "Report"),
                        errors=(401, 403, 404, 409))},
        "/reports/{report_id}/issue": {"parameters": [report], "post": op(
            "reports", "Ban hành: khóa, cấp số theo sổ của đơn vị, tạo PDF (202); thân (không bắt buộc): sửa lần cuối",
            ok=(202, "Report"), errors=(401, 403, 404, 409))},
        "/reports/{report_id}/correct": {"parameters": [report], "post": op(
            "reports", "Đính chính: tạo dự thảo mới thay thế báo cáo đã ban hành; thân (không bắt buộc): nội dung mới",
            ok=(202, "Report"), errors=(401, 403, 404, 409))},
        "/reports/{report_id}/xlsx": {"parameters": [report], "get": op(
            "reports", "Các bảng của báo cáo (XLSX)", ok=(200, None))},
        "/plans/{plan_id}/dashboard": {"parameters": [plan], "get": op(
            "supervision", "Bảng theo dõi theo cấp: hoạt động và kết quả chỉ tiêu của từng đơn vị cấp dưới",
            ok=(200, "Dashboard"), params=filters, errors=(400, 401, 403, 404))},
    }
