"""OpenAPI of the print order's job ticket, its distribution over villages and the per-village delivery."""
from __future__ import annotations


def annotate(schemas: dict, paths: dict, *, op, path_param, obj, ref, stamp) -> None:
    """Add the ticket fields to PrintOrder and the ticket PDF and delivery paths (the input: api_schemas)."""
    str_, int_ = {"type": "string"}, {"type": "integer"}
    schemas["PrintTicket"] = obj({
        "product_label": str_, "finished_size_mm": {"type": "array", "items": int_}, "quantity": int_,
        "paper": str_, "paper_label": str_, "paper_gsm": int_, "colours": str_, "colours_label": str_,
        "sides": int_, "finishing": {"type": "array", "items": str_},
        "finishing_labels": {"type": "array", "items": str_,
                             "description": "'Xén', 'Gấp 3 (cuộn)', 'May viền 3 cm', 'Khoen mỗi 50 cm'"},
        "hem_cm": int_, "grommet_every_cm": int_,
        "print_size_mm": {"type": "array", "items": int_, "description": "khổ in: thành phẩm cộng viền may"},
        "delivery_date": {"type": ["string", "null"], "format": "date"}, "delivery_address": str_, "contact": str_})
    schemas["PrintDistribution"] = obj({
        "by_households": {"type": "boolean", "description": "false: chia đều vì thiếu số hộ của một số thôn"},
        "villages": {"type": "array", "items": obj({
            "unit": ref("UnitRef"), "quantity": int_, "households": {"type": ["integer", "null"]},
            "delivered": {"type": "boolean"}, **stamp("delivered_at")})}})
    schemas["PrintOrder"]["properties"].update({"ticket": ref("PrintTicket"),
                                                "distribution": ref("PrintDistribution"), "ticket_pdf_url": str_})
    paths["/print-orders"]["post"]["responses"]["422"] = {"$ref": "#/components/responses/Unprocessable"}
    order = path_param("order_id")
    paths["/print-orders/{order_id}/ticket.pdf"] = {
        "parameters": [order],
        "get": op("printing", "Phiếu yêu cầu in (trang đầu) và phiếu giao nhận cho từng thôn (trưởng thôn ký): tệp đã "
                  "lưu cùng bản in thử, ETag = khóa SHA-256 của nội dung phiếu; chỉ dựng lại khi nội dung phiếu đổi",
                  ok=(200, None), pdf=True, errors=(401, 403, 404, 422))}
    deliver = op("printing", "Cơ sở in ghi nhận đã giao cho một thôn; giao đủ mọi thôn thì đơn thành 'đã giao'",
                 ok=(200, "PrintOrder"), errors=(401, 403, 404, 409))
    paths["/print-orders/{order_id}/villages/{unit_id}/delivered"] = {
        "parameters": [order, path_param("unit_id")], "post": deliver}
