"""OpenAPI entries for supervision: units, indicators and results, the drill-down dashboard, report downloads."""
from __future__ import annotations

from planner.openapi import BOOL, INT, NULL_INT, STR, _path_param, _query, listing, nullable, obj, op, ref, stamp

NUM = {"type": "number"}
REPORT_KINDS = ["monthly", "first_half", "second_half", "annual", "quarter", "custom"]
PURPOSES = ["monthly", "six_monthly", "annual", "final"]
NULL_NUM = {"type": ["number", "null"]}

SCHEMAS = {
    "UnitItem": obj({"id": INT, "code": STR, "name": STR, "kind": STR, "kind_label": STR, "parent_id": NULL_INT}),
    "Indicator": obj({"id": INT, "plan_id": INT, "code": STR, "name": STR, "measure": {"enum": ["count", "percentage"]},
                      "numerator": STR, "denominator": STR, "unit_label": STR, "target": NUM, "baseline": NULL_NUM,
                      **stamp("starts_on", date_only=True), **stamp("deadline", date_only=True),
                      "level": {"enum": ["village", "commune", "unit"]}, "recorded_by": STR, "note": STR}),
    "IndicatorResult": obj({"id": INT, "indicator_id": INT, "unit": ref("UnitRef"), **stamp("on", date_only=True),
                            "value": NUM, "denominator": NULL_NUM, "source": {"enum": ["form", "phone", "upload", "api"]},
                            "entered_by": nullable("UserRef"), "entered_by_name": STR, **stamp("created_at"),
                            **stamp("replaced_at"), "replaced_by_id": NULL_INT}),
    "DashboardFigure": obj({"indicator_id": INT, "applies": BOOL, "value": NULL_NUM, "denominator": NULL_NUM,
                            "measure": NULL_NUM, "target": NUM, "progress": NUM, "trend": NULL_NUM}),
    "DashboardRow": obj({"unit": ref("UnitRef"), "has_children": BOOL,
                         "broadcasts": obj({"planned": INT, "aired": INT, "made_up": INT, "missed": INT,
                                            "pending": INT}),
                         "posts_published": INT, "leaflets_delivered": INT,
                         "indicators": {"type": "array", "items": ref("DashboardFigure")}}),
    "Dashboard": obj({"unit": ref("UnitRef"), **stamp("from", date_only=True), **stamp("to", date_only=True),
                      "indicators": {"type": "array", "items": ref("Indicator")}, "total": ref("DashboardRow"),
                      "rows": {"type": "array", "items": ref("DashboardRow"),
                               "description": "Một dòng cho mỗi đơn vị cấp dưới, chậm nhất trước"}}),
    # Reports gain a purpose, custom periods, a draft → issued life and corrections (these replace the base entries).
    "Report": obj({"id": INT, "plan_id": INT, "unit": ref("UnitRef"), "kind": {"enum": REPORT_KINDS},
                   "kind_label": STR, "year": INT, "month": {**NULL_INT, "description": "Tháng, hoặc quý khi kind = quarter"},
                   **stamp("period_start", date_only=True), **stamp("period_end", date_only=True), "period_label": STR,
                   "number": STR, "signer_name": STR, "signer_title": STR,
                   "status": {"enum": ["queued", "ready", "failed"], "description": "Trạng thái tệp PDF"},
                   "status_label": STR, "error": STR, "requested_by": nullable("UserRef"), **stamp("created_at"),
                   **stamp("finished_at"), "purpose": {"enum": PURPOSES}, "purpose_label": STR, "is_issued": BOOL,
                   **stamp("issued_at"), "register_no": NULL_INT, "replaces_id": NULL_INT, "narrative_md": STR,
                   "pdf_url": {"type": ["string", "null"]}, "xlsx_url": STR}),
    "UnitList": listing("UnitItem"), "IndicatorList": listing("Indicator"), "ResultList": listing("IndicatorResult"),
}


def paths() -> dict:
    """The supervision endpoints."""
    plan, indicator, report = _path_param("plan_id"), _path_param("indicator_id"), _path_param("report_id")
    dates = "dd/mm/yyyy hoặc yyyy-mm-dd"
    filters = [_query("unit", INT, "Đơn vị xem (mặc định: đơn vị của người dùng)"),
               _query("from", STR, f"Từ ngày, {dates}"), _query("to", STR, f"Đến ngày, {dates}"),
               _query("channel", STR, "Kênh"), _query("audience", INT, "Nhóm đối tượng"), _query("message", INT, "Tin bài")]
    return {
        "/units": {"get": op("supervision", "Đơn vị trong phạm vi (thứ tự tiếng Việt)", ok=(200, "UnitList"),
                             params=[_query("kind", STR, "country, province, commune, village, …"),
                                     _query("parent", INT, "Đơn vị cấp trên")], errors=(400, 401, 403))},
        "/plans/{plan_id}/indicators": {"parameters": [plan], "get": op(
            "supervision", "Chỉ tiêu của kế hoạch", ok=(200, "IndicatorList"))},
        "/indicators/{indicator_id}/results": {
            "parameters": [indicator],
            "get": op("supervision", "Số liệu của một đơn vị, gồm các lần sửa", ok=(200, "ResultList"),
                      params=[_query("unit", INT, "Đơn vị")], errors=(400, 401, 403, 404)),
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
