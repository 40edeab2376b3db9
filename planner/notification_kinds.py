"""What each kind of notification is about (also the e-mail preference keys). Pure: the models, the operations and
the API's response models (planner.api_responses) share it."""

NOTIFICATION_KINDS = {
    "message.submitted": "Tin bài chờ duyệt",
    "message.reviewed": "Tin bài đã duyệt / yêu cầu sửa",
    "print_order": "Đơn in",
    "delivery.problem": "Lượt phát/đăng lỗi, chưa rõ, bị lỡ",
    "report.due": "Báo cáo sắp đến hạn",
    "emergency": "Tin khẩn được chèn",
}
