"""The JSON response bodies of the API as pydantic models (issue 9 §8): the OpenAPI document's
`components.schemas` are generated from them (planner.openapi), and the response check the tests turn on
(API_CHECK_RESPONSES) validates every JSON answer against that generated document — so the models, the document and
the check are one thing. Pure: neither Flask nor the database.

Conventions (the JSON the serializers write stays as it was):
- a field with a default of None (`x: int = None`) may be absent from an answer; a field without one is required;
  `X | None` means the value may be null. Nothing forbids extra fields.
- times: `dt.datetime | None` (ISO 8601, UTC) and `dt.date | None`, each next to its `*_local` display form.
- a class docstring is the schema's description; a nested model is a component of its own.
Serializers may build through a model: `dump(Model(...))` (alias names, absent fields left out). The hot lists
(occurrences, attention) keep their dict serializers; the tests validate them against the generated schema.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from planner.api_schemas import CHANNELS, PURPOSES, REPORT_KINDS, ROLES
from planner.notification_kinds import NOTIFICATION_KINDS

NOTIFICATION_KIND_NAMES = tuple(sorted(NOTIFICATION_KINDS))
LOCAL = "Giờ Việt Nam (Asia/Ho_Chi_Minh)"
AT_LOCAL = f"dd/mm/yyyy HH:MM, {LOCAL}"   # description of a datetime's *_local form
ON_LOCAL = f"dd/mm/yyyy, {LOCAL}"         # … and of a date's
ERROR_CODES = ("bad_request", "validation_failed", "malformed_json", "invalid_input", "invalid_credentials",
               "unauthorized", "forbidden", "not_found", "method_not_allowed", "conflict", "payload_too_large",
               "unsupported_media_type", "unprocessable", "too_many_requests", "internal_error",
               "service_unavailable", "invalid_transition", "read_only", "plan_conflict", "plan_has_history")


class Out(BaseModel):
    """A response body (the base of every model here)."""

    model_config = ConfigDict(populate_by_name=True)


def dump(model: BaseModel) -> dict:
    """The JSON of an answer built through its model: alias names, only the fields that were given."""
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


class ErrorBody(Out):
    code: str = Field(..., description="Mã máy đọc được, ổn định: " + ", ".join(ERROR_CODES))
    message: str = Field(..., description="Thông báo tiếng Việt")
    fields: dict[str, str] = Field(None, description="Lỗi theo từng trường")


class Error(Out):
    error: ErrorBody


class UnitRef(Out):
    id: int = None
    code: str = None
    name: str = None
    kind: str = None


class UserRef(Out):
    id: int = None
    username: str = None
    full_name: str = None


class User(Out):
    id: int = None
    username: str = None
    full_name: str = None
    role: Literal[ROLES] = None
    role_label: str = None
    unit: UnitRef = None


class Token(Out):
    token: str
    token_type: Literal['Bearer'] = None
    id: int = None
    expires_at: dt.datetime | None
    expires_at_local: str | None = Field(None, description=AT_LOCAL)
    user: User
    failed_attempts_since_last_login: int = None


class TokenInfo(Out):
    id: int = None
    created_at: dt.datetime | None = None
    created_at_local: str | None = Field(None, description=AT_LOCAL)
    expires_at: dt.datetime | None = None
    expires_at_local: str | None = Field(None, description=AT_LOCAL)
    current: bool = Field(None, description='Mã đang dùng cho yêu cầu này')


class IcalLink(Out):
    unit_id: int = None
    ical_url: str = Field(None, json_schema_extra={'format': 'uri'})
    valid_days: int = Field(None, description='Số ngày liên kết còn hiệu lực')


class TokenList(Out):
    items: list[TokenInfo]


class Plan(Out):
    id: int = None
    code: str = None
    number: str = None
    title: str = None
    issuer: str = None
    place: str = None
    unit: UnitRef = None
    period_rule: Literal['decree_09', 'calendar'] = None
    issued_on: dt.date | None = None
    issued_on_local: str | None = Field(None, description=ON_LOCAL)
    starts_on: dt.date | None = None
    starts_on_local: str | None = Field(None, description=ON_LOCAL)
    ends_on: dt.date | None = None
    ends_on_local: str | None = Field(None, description=ON_LOCAL)
    status: Literal['draft', 'active', 'closed', 'archived'] = None
    status_label: str = None


class Audience(Out):
    id: int = None
    code: str = None
    name: str = None


class Window(Out):
    id: int = None
    code: str = None
    name: str = None
    kind: Literal['peak', 'blackout'] = None
    starts_on: dt.date | None = None
    starts_on_local: str | None = Field(None, description=ON_LOCAL)
    ends_on: dt.date | None = None
    ends_on_local: str | None = Field(None, description=ON_LOCAL)
    is_yearly: bool = None
    channels: list[str] = None
    plan_id: int | None = Field(None, description='Đợt riêng của kế hoạch')
    unit_id: int | None = Field(None, description='Đợt của đơn vị (thừa hưởng xuống)')


class PlanDetailReportHeader(Out):
    governing_body: str = None
    issuing_body: str = None
    issuer_abbreviation: str = None
    signer_authority: str = None
    signer_title: str = None
    signer_name: str = None


class PlanDetail(Plan):
    summary: str = None
    is_replanning_missed: bool = None
    details: dict[str, Any] = None
    audiences: list[Audience] = None
    windows: list[Window] = None
    report_header: PlanDetailReportHeader = Field(None, description='Tiêu đề và người ký báo cáo theo Nghị định 30/2020 (sửa bằng PATCH /plans/{id})')
    created_at: dt.datetime | None = None
    created_at_local: str | None = Field(None, description=AT_LOCAL)


class Version(Out):
    id: int = None
    number: int = None
    title: str = Field(None, description='Tiêu đề nội bộ của biên tập viên')
    headline: str = Field(None, description='Tiêu đề công khai (áp phích, bìa tờ rơi, dòng đầu bài đăng)')
    link: str = Field(None, description='Liên kết https (mã QR trên ấn phẩm, cuối bài đăng)')
    channel: Literal[CHANNELS] = Field(None, description='Kênh mà phiên bản này được viết/duyệt cho')
    audience_ids: list[int] = None
    valid_from: dt.date | None = None
    valid_from_local: str | None = Field(None, description=ON_LOCAL)
    valid_to: dt.date | None = None
    valid_to_local: str | None = Field(None, description=ON_LOCAL)
    weekdays: str = Field(None, description='Ngày được phát/đăng, ví dụ T2-T7 (T2-CN: mọi ngày)')
    post_at: list[str] = Field(None, description='Giờ đăng, dd/mm/yyyy HH:MM giờ VN')
    post_at_utc: list[dt.datetime] = None
    changes_since_approved: list[str] = Field(None, description='Những gì phiên bản này đổi so với bản đã duyệt')
    status: Literal['draft', 'submitted', 'approved', 'changes_requested'] = None
    images: list[MessageImage] = Field(None, description='Ảnh đăng kèm (một phần nội dung đã duyệt)')
    status_label: str = None
    audio_seconds: int | None = None
    created_by: UserRef | None = None
    created_at: dt.datetime | None = None
    created_at_local: str | None = Field(None, description=AT_LOCAL)
    submitted_at: dt.datetime | None = None
    submitted_at_local: str | None = Field(None, description=AT_LOCAL)
    reviewed_by: UserRef | None = None
    reviewed_at: dt.datetime | None = None
    reviewed_at_local: str | None = Field(None, description=AT_LOCAL)
    review_note: str = None
    body_md: str = Field(None, description='Chỉ có trong chi tiết tin bài')
    body_html: str = Field(None, description='HTML đã lọc an toàn')


class Message(Out):
    id: int = None
    plan_id: int = None
    code: str = None
    audience: Audience = None
    audiences: list[Audience] = None
    channel: Literal[CHANNELS] = None
    channel_label: str = None
    theme: str = None
    priority: Literal['normal', 'priority', 'emergency'] = None
    priority_label: str = None
    valid_from: dt.date | None = None
    valid_from_local: str | None = Field(None, description=ON_LOCAL)
    valid_to: dt.date | None = None
    valid_to_local: str | None = Field(None, description=ON_LOCAL)
    min_per_week: int = None
    peak_per_day: int = None
    min_gap_hours: int = None
    created_at: dt.datetime | None = None
    created_at_local: str | None = Field(None, description=AT_LOCAL)
    latest_version: Version = None
    approved_version_id: int | None = None
    retired_at: dt.datetime | None = None
    retired_at_local: str | None = Field(None, description=AT_LOCAL)


class MessageDetail(Message):
    versions: list[Version] = None
    change_request: ChangeRequest | None = None
    saved_version_id: int = Field(None, description='Sau PUT/PATCH')


class Delivery(Out):
    id: int = None
    occurrence_id: int = None
    channel: str = None
    status: Literal['planned', 'dispatched', 'delivered', 'missed', 'failed', 'unknown', 'expired', 'cancelled'] = None
    status_label: str = None
    due_at: dt.datetime | None = None
    due_at_local: str | None = Field(None, description=AT_LOCAL)
    finished_at: dt.datetime | None = None
    finished_at_local: str | None = Field(None, description=AT_LOCAL)
    confirmed_via: str | None = None
    confirmed_by: UserRef | None = None
    confirmed_by_name: str = None
    reason: str = None
    external_id: str = None
    error: str = None
    updated_at: dt.datetime | None = None
    updated_at_local: str | None = Field(None, description=AT_LOCAL)
    changed: bool = Field(None, description='Chỉ sau xác nhận: false nếu đã ghi nhận trước đó')


class OccurrenceTarget(Out):
    id: int = None
    name: str = None
    channel: str = None
    unit: UnitRef = None


class Occurrence(Out):
    id: int = None
    plan_id: int = None
    target: OccurrenceTarget = None
    message_id: int = None
    message_version_id: int = None
    title: str = None
    starts_at: dt.datetime | None = None
    starts_at_local: str | None = Field(None, description=AT_LOCAL)
    session_starts_at: dt.datetime | None = None
    session_starts_at_local: str | None = Field(None, description=AT_LOCAL)
    duration_seconds: int = None
    is_pinned: bool = None
    source: Literal['auto', 'manual', 'emergency'] = None
    is_ad_hoc: bool = Field(None, description='Phiên đột xuất ngoài khung giờ')
    delivery: Delivery | None = None


class DeliveryDetail(Delivery):
    occurrence: Occurrence = None


class PrintOrder(Out):
    id: int = None
    number: str = None
    plan_id: int = None
    message_id: int = None
    version_id: int = None
    title: str = None
    channel: str = None
    product: str = None
    width_mm: int = None
    height_mm: int = None
    quantity: int = None
    print_shop: UnitRef = None
    unit: UnitRef = None
    created_by: UserRef | None = None
    status: Literal['submitted', 'accepted', 'printed', 'delivered', 'cancelled'] = None
    status_label: str = None
    next_statuses: list[str] = None
    note: str = None
    created_at: dt.datetime | None = None
    created_at_local: str | None = Field(None, description=AT_LOCAL)
    updated_at: dt.datetime | None = None
    updated_at_local: str | None = Field(None, description=AT_LOCAL)
    pdf_url: str = None
    proof: PrintProof = None
    ticket: PrintTicket = None
    distribution: PrintDistribution = None
    ticket_pdf_url: str = None


class PrintProof(Out):
    status: Literal['queued', 'ready', 'failed', 'approved'] = Field(None, description='queued: worker đang dựng; ready: chờ đơn vị đặt duyệt; failed: không dựng được (đơn bị hủy); approved: cơ sở in tải đúng tệp này')
    status_label: str = None
    error: str | None = None
    checks: list[str] = Field(None, description='Kết quả kiểm tra trước in')
    sha256: str | None = None
    bytes_: int | None = Field(None, alias='bytes')
    pages: int | None = None
    rendered_at: dt.datetime | None = None
    rendered_at_local: str | None = Field(None, description=AT_LOCAL)
    approved_at: dt.datetime | None = None
    approved_at_local: str | None = Field(None, description=AT_LOCAL)
    approved_by: UserRef | None = None
    page_image_urls: list[str] = None


class Report(Out):
    id: int = None
    plan_id: int = None
    unit: UnitRef = None
    kind: Literal[REPORT_KINDS] = None
    kind_label: str = None
    year: int = None
    month: int | None = Field(None, description='Tháng, hoặc quý khi kind = quarter')
    period_start: dt.date | None = None
    period_start_local: str | None = Field(None, description=ON_LOCAL)
    period_end: dt.date | None = None
    period_end_local: str | None = Field(None, description=ON_LOCAL)
    period_label: str = None
    number: str = None
    signer_name: str = None
    signer_title: str = None
    status: Literal['queued', 'ready', 'failed'] = Field(None, description='Trạng thái tệp PDF')
    status_label: str = None
    error: str = None
    requested_by: UserRef | None = None
    created_at: dt.datetime | None = None
    created_at_local: str | None = Field(None, description=AT_LOCAL)
    finished_at: dt.datetime | None = None
    finished_at_local: str | None = Field(None, description=AT_LOCAL)
    purpose: Literal[PURPOSES] = None
    purpose_label: str = None
    is_issued: bool = None
    issued_at: dt.datetime | None = None
    issued_at_local: str | None = Field(None, description=AT_LOCAL)
    register_no: int | None = None
    replaces_id: int | None = None
    narrative_md: str = None
    pdf_url: str | None = None
    xlsx_url: str = None


class PlanPage(Out):
    items: list[Plan]
    total: int
    limit: int
    offset: int


class OccurrencePage(Out):
    items: list[Occurrence]
    limit: int
    offset: int
    next_cursor: str | None = Field(..., description='Giá trị cho tham số cursor để lấy trang sau; null ở trang cuối')
    total: int = Field(None, description='Chỉ có khi count=true (hoặc khi dùng offset)')


class PrintOrderPage(Out):
    items: list[PrintOrder]
    limit: int
    offset: int
    next_cursor: str | None = Field(..., description='Giá trị cho tham số cursor để lấy trang sau; null ở trang cuối')
    total: int = Field(None, description='Chỉ có khi count=true (hoặc khi dùng offset)')


class MessageList(Out):
    items: list[Message]
    limit: int
    offset: int
    next_cursor: str | None = Field(..., description='Giá trị cho tham số cursor để lấy trang sau; null ở trang cuối')
    total: int = Field(None, description='Chỉ có khi count=true (hoặc khi dùng offset)')


class ReportList(Out):
    items: list[Report]
    total: int


class UndoResult(Occurrence):
    undone: Literal['move', 'cancel'] = None


class AttentionItem(Delivery):
    occurrence: Occurrence = None
    can_make_up: bool = None


class AttentionDeadline(Out):
    due: dt.date
    due_local: str
    what: str
    days_left: int


class AttentionPage(Out):
    items: list[AttentionItem]
    limit: int
    offset: int
    next_cursor: str | None
    total: int = Field(None, description='Chỉ có khi count=true (hoặc khi dùng offset)')
    deadlines: list[AttentionDeadline] = Field(
        None, description="Chỉ ở trang đầu: báo cáo, mốc kế hoạch và hạn chỉ tiêu đến hạn trong 30 ngày")


class AttentionBulkResult(Out):
    action: Literal["make_up", "handled"]
    matched: int = Field(..., description="Số lượt khớp (tối đa 500)")
    done: int
    skipped: int = Field(..., description="Phát bù: lượt chưa rõ kết quả")
    errors: list[str]


class EmergencyResult(Out):
    placed: int = Field(..., description="Số lượt tin khẩn đã chèn")
    moved: list[str] = Field(..., description="Lượt bị dời để nhường chỗ")
    dropped: list[str] = Field(..., description="Lượt bị dời không xếp lại được")
    issues: list[str]


class TargetDailyQuotaItem(Out):
    date_: dt.date | None = Field(None, alias='date')
    date_local: str = None
    used: int = None
    limit: int = None


class Target(Out):
    id: int = None
    code: str = None
    name: str = None
    channel: Literal[CHANNELS] = None
    channel_label: str = None
    is_online: bool = None
    unit: UnitRef = None
    daily_quota: list[TargetDailyQuotaItem] = Field(None, description='Chỉ Zalo OA: 7 ngày tới, số tin đã đặt/tối đa mỗi ngày')


class ScheduleRunIssue(Out):
    kind: str = None
    detail: str = None
    target_id: int | None = None
    message_id: int | None = None
    day: str | None = None


class ScheduleRun(Out):
    id: int = None
    plan_id: int = None
    unit: UnitRef = None
    channel: str = None
    first_day: dt.date | None = None
    first_day_local: str | None = Field(None, description=ON_LOCAL)
    last_day: dt.date | None = None
    last_day_local: str | None = Field(None, description=ON_LOCAL)
    status: Literal['queued', 'running', 'done', 'failed'] = None
    status_label: str = None
    targets: int = None
    placed: int = None
    removed: int = None
    kept: int = None
    issues: list[ScheduleRunIssue] = None
    error: str = None
    note: str = Field(None, description="Vì sao lần lập lịch còn chờ (SQLite: chờ khoảng trống giữa các bài đăng đến "
                                        "hạn trước khi ghi một lịch lớn); rỗng khi không chờ")
    created_at: dt.datetime | None = None
    created_at_local: str | None = Field(None, description=AT_LOCAL)
    finished_at: dt.datetime | None = None
    finished_at_local: str | None = Field(None, description=AT_LOCAL)


class TargetPage(Out):
    items: list[Target]
    total: int
    limit: int
    offset: int


class CodeName(Out):
    code: str
    name: str


class PlanDocument(Out):
    """Kế hoạch đúng như tệp plan.yaml (docs/formats.md), kiểm tra bằng cùng quy tắc với lệnh import; lỗi: 400 với error.fields theo đường dẫn trường (ví dụ details.indicators[1].target)"""

    code: str = Field(None, description='Mã kế hoạch (chữ thường không dấu); không đổi khi sửa')
    number: str = None
    issuer: str = None
    unit: str = Field(None, description='Mã đơn vị chủ trì (trong phạm vi người dùng)')
    place: str = None
    issued_on: str = Field(None, description='dd/mm/yyyy')
    title: str = None
    summary: str = None
    starts_on: str = Field(None, description='dd/mm/yyyy')
    ends_on: str = Field(None, description='dd/mm/yyyy')
    period_rule: Literal['decree_09', 'calendar'] = None
    replan_missed: bool = None
    audiences: list[CodeName] = None
    themes: list[CodeName] = None
    channels: list[Literal[CHANNELS]] = None
    notes: list[str] = None
    governing_body: str = Field(None, description='Báo cáo (NĐ 30/2020): cơ quan chủ quản, dòng trên', max_length=200)
    issuing_body: str = Field(None, description='Báo cáo: cơ quan ban hành, dòng dưới (trống: tên đơn vị chủ trì)', max_length=200)
    issuer_abbreviation: str = Field(None, description="Chữ viết tắt sau 'BC-' trong số, ví dụ UBND", max_length=20)
    signer_authority: str = Field(None, description='Dòng thẩm quyền ký báo cáo: bắt đầu bằng KT., TM., Q., TL. hoặc TUQ.', max_length=100)
    signer_title: str = Field(None, description='Chức vụ người ký báo cáo, ví dụ CHỦ TỊCH', max_length=200)
    signer_name: str = Field(None, description='Họ tên người ký báo cáo', max_length=200)
    details: dict[str, Any] = Field(None, description='purposes, requirements, funding, indicators, duties, deadlines, reporting, signer {on_behalf, title, position, name} … như docs/formats.md')


class PrintTicket(Out):
    product_label: str = None
    finished_size_mm: list[int] = None
    quantity: int = None
    paper: str = None
    paper_label: str = None
    paper_gsm: int = None
    colours: str = None
    colours_label: str = None
    sides: int = None
    finishing: list[str] = None
    finishing_labels: list[str] = Field(None, description="'Xén', 'Gấp 3 (cuộn)', 'May viền 3 cm', 'Khoen mỗi 50 cm'")
    hem_cm: int = None
    grommet_every_cm: int = None
    print_size_mm: list[int] = Field(None, description='khổ in: thành phẩm cộng viền may')
    delivery_date: dt.date | None = None
    delivery_address: str = None
    contact: str = None


class PrintDistributionVillage(Out):
    unit: UnitRef = None
    quantity: int = None
    households: int | None = None
    delivered: bool = None
    delivered_at: dt.datetime | None = None
    delivered_at_local: str | None = Field(None, description=AT_LOCAL)


class PrintDistribution(Out):
    by_households: bool = Field(None, description='false: chia đều vì thiếu số hộ của một số thôn')
    villages: list[PrintDistributionVillage] = None


class UnitItem(Out):
    id: int = None
    code: str = None
    name: str = None
    kind: str = None
    kind_label: str = None
    parent_id: int | None = None


class Indicator(Out):
    id: int = None
    plan_id: int = None
    code: str = None
    name: str = None
    measure: Literal['count', 'percentage'] = None
    numerator: str = None
    denominator: str = None
    unit_label: str = None
    target: float = None
    baseline: float | None = None
    starts_on: dt.date | None = None
    starts_on_local: str | None = Field(None, description=ON_LOCAL)
    deadline: dt.date | None = None
    deadline_local: str | None = Field(None, description=ON_LOCAL)
    level: Literal['village', 'commune', 'unit'] = None
    recorded_by: str = None
    note: str = None


class IndicatorResult(Out):
    id: int = None
    indicator_id: int = None
    unit: UnitRef = None
    on: dt.date | None = None
    on_local: str | None = Field(None, description=ON_LOCAL)
    value: float = None
    denominator: float | None = None
    source: Literal['form', 'phone', 'upload', 'api'] = None
    entered_by: UserRef | None = None
    entered_by_name: str = None
    created_at: dt.datetime | None = None
    created_at_local: str | None = Field(None, description=AT_LOCAL)
    replaced_at: dt.datetime | None = None
    replaced_at_local: str | None = Field(None, description=AT_LOCAL)
    replaced_by_id: int | None = None


class DashboardFigure(Out):
    indicator_id: int = None
    applies: bool = None
    value: float | None = None
    denominator: float | None = None
    measure: float | None = None
    target: float = None
    progress: float = None
    trend: float | None = None


class DashboardRowBroadcasts(Out):
    planned: int = None
    aired: int = None
    made_up: int = None
    missed: int = None
    pending: int = None


class DashboardRow(Out):
    unit: UnitRef = None
    has_children: bool = None
    broadcasts: DashboardRowBroadcasts = None
    posts_published: int = None
    leaflets_delivered: int = None
    indicators: list[DashboardFigure] = None


class Dashboard(Out):
    unit: UnitRef = None
    from_: dt.date | None = Field(None, alias='from')
    from_local: str | None = Field(None, description=ON_LOCAL)
    to: dt.date | None = None
    to_local: str | None = Field(None, description=ON_LOCAL)
    indicators: list[Indicator] = None
    total: DashboardRow = None
    rows: list[DashboardRow] = Field(None, description='Một dòng cho mỗi đơn vị cấp dưới, chậm nhất trước')


class UnitList(Out):
    items: list[UnitItem]
    total: int


class IndicatorList(Out):
    items: list[Indicator]
    total: int


class ResultList(Out):
    items: list[IndicatorResult]
    total: int


class AdminUser(User):
    is_active: bool = None
    created_at: dt.datetime | None = None
    created_at_local: str | None = Field(None, description=AT_LOCAL)


class AdminUserList(Out):
    items: list[AdminUser]
    total: int


class AdminUnitLoudspeaker(Out):
    id: int = None
    code: str = None
    name: str = None
    is_active: bool = None


class AdminUnit(Out):
    id: int = None
    code: str = None
    name: str = None
    kind: str = None
    kind_label: str = None
    parent_id: int | None = None
    loudspeakers: list[AdminUnitLoudspeaker] = None


class AdminUnitList(Out):
    items: list[AdminUnit]
    total: int


class VillageImportRow(Out):
    line: int = None
    code: str = None
    name: str = None
    parent_code: str = None
    action: Literal['created', 'updated', 'unchanged', 'moved'] = None
    changes: list[str] = None


class VillageImportProblem(Out):
    file: str = None
    line: int | None = None
    column: str = None
    reason: str = None


class VillageImport(Out):
    ok: bool = None
    dry_run: bool = None
    counts: dict[str, int] = None
    rows: list[VillageImportRow] = None
    problems: list[VillageImportProblem] = None


class ChannelAccount(Out):
    """Mã truy cập không bao giờ được trả về."""

    id: int = None
    unit_id: int = None
    channel: Literal['fanpage', 'zalo'] = None
    name: str = None
    external_id: str = None
    is_active: bool = None
    has_token: bool = None
    token_hint: str | None = Field(None, description='4 ký tự cuối của mã')


class ChannelAccountList(Out):
    items: list[ChannelAccount]
    total: int


class Grid(Out):
    id: int = None
    code: str = None
    unit_id: int = None
    channel: str = None
    name: str = None
    weekdays: str = Field(None, description='T2–CN, T2–T7, T2, T4, T6')
    start: str = None
    end: str = None
    capacity: int = Field(None, description='phút (loa) hoặc số bài (trực tuyến)')
    valid_from: dt.date | None = None
    valid_from_local: str | None = Field(None, description=ON_LOCAL)
    valid_to: dt.date | None = None
    valid_to_local: str | None = Field(None, description=ON_LOCAL)


class GridList(Out):
    items: list[Grid]
    total: int


class UnitGrids(Out):
    channel: str = None
    own: list[Grid] = None
    inherited_from: UnitRef | None = None
    inherited: list[Grid] = None
    preview: list[str] = Field(None, description="Ví dụ 'Thôn 7: sáng 06:00–06:20, chiều 17:30–17:50, T2–T7'")


class PlanWindow(Window):
    exempt: bool = Field(None, description='Chỉ ở ngày lễ tự động')


class PlanWindows(Out):
    windows: list[Window] = None
    unit_windows: list[Window] = Field(None, description='Đợt của đơn vị của kế hoạch và các đơn vị cấp trên')
    holidays: list[PlanWindow] = None


class UnitWindows(Out):
    channel: str = None
    own: list[Window] = None
    inherited: list[Window] = Field(None, description='Đợt của các đơn vị cấp trên (cũng áp dụng ở đây)')
    shared: list[Window] = Field(None, description='Đợt dùng chung cho mọi kế hoạch (không kể ngày lễ tự động)')
    preview: list[str] = Field(None, description="Ví dụ 'Thôn 7: tạm dừng 15/03/2026 – 15/03/2026 (Bầu cử)'")


class Notification(Out):
    id: int = None
    kind: Literal[NOTIFICATION_KIND_NAMES] = None
    text: str = None
    link: str = Field(None, description='Đường dẫn trang liên quan (tương đối), có thể rỗng')
    is_read: bool = None
    created_at: dt.datetime | None = None
    created_at_local: str | None = Field(None, description=AT_LOCAL)
    read_at: dt.datetime | None = None
    read_at_local: str | None = Field(None, description=AT_LOCAL)


class NotificationPage(Out):
    items: list[Notification]
    total: int
    limit: int
    offset: int


class ReadAll(Out):
    marked: int = Field(None, description='Số thông báo vừa được đánh dấu đã đọc')
    unread: int = None


class NotificationSettings(Out):
    email: str = Field(None, description='Địa chỉ nhận thư (rỗng: không nhận thư)')
    kinds: list[Literal[NOTIFICATION_KIND_NAMES]] = Field(None, description='Loại thông báo được gửi kèm thư điện tử')
    available: dict[str, str] = Field(None, description='Mọi loại và tên tiếng Việt')


class ChangeRequest(Out):
    """Yêu cầu sửa của người duyệt, còn hiển thị cho tới lần duyệt tiếp theo"""

    version_id: int = None
    note: str = None
    reviewed_by: UserRef = None
    reviewed_at: dt.datetime | None = None
    reviewed_at_local: str | None = Field(None, description=AT_LOCAL)


class MessageImage(Out):
    id: int = None
    version_id: int = None
    position: int = Field(None, description='Thứ tự trong bài đăng (1, 2, …)')
    sha256: str = Field(None, description='SHA-256 của tệp đã xử lý lại (không còn siêu dữ liệu)')
    mime: Literal['image/jpeg', 'image/png', 'image/webp'] = None
    width: int = None
    height: int = None
    size_bytes: int = None
    alt_text: str = Field(None, description='Mô tả ảnh bằng tiếng Việt (bắt buộc)')
    url: str = Field(None, description='Đường dẫn API tải tệp ảnh')


class MessageImageInput(Out):
    image: bytes = Field(..., description='JPEG, PNG hoặc WebP (kiểm tra theo nội dung tệp), tối đa 4 MB; tối đa 4 ảnh mỗi tin')
    alt_text: str = Field(..., description='Mô tả ảnh cho người khiếm thị, tối đa 300 ký tự')


class MessageImageCreated(MessageImage):
    message: MessageDetail = None


class RosterBatchProgress(Out):
    done: int = Field(None, description='Số thôn đã in')
    total: int = None


class StoredFile(Out):
    """Tệp máy in nền đã lưu (PDF hoặc ZIP)"""

    sha256: str = None
    bytes_: int = Field(None, alias='bytes')
    url: str = None


class RosterBatch(Out):
    id: int = None
    plan_id: int = None
    unit: UnitRef = None
    target_id: int | None = Field(None, description='Điểm phát của một thôn khi đây là lịch phát một thôn')
    first: dt.date = None
    last: dt.date = None
    status: Literal['queued', 'running', 'done', 'failed'] = None
    status_label: str = None
    progress: RosterBatchProgress = None
    error: str | None = None
    pages: int | None = Field(None, description='Số trang của PDF cả xã (mỗi thôn mỗi tuần một trang)')
    pdf: StoredFile | None = None
    zip: StoredFile | None = None
    created_at: dt.datetime | None = None
    created_at_local: str | None = Field(None, description=AT_LOCAL)
    finished_at: dt.datetime | None = None
    finished_at_local: str | None = Field(None, description=AT_LOCAL)


# Every response body that an operation of the document names (and the two hand-described request bodies).
RESPONSES = (Error, UnitRef, UserRef, User, Token, TokenInfo, IcalLink, TokenList, Plan, Audience, Window, PlanDetail, Version, Message, MessageDetail, Delivery, Occurrence, DeliveryDetail, PrintOrder, PrintProof, Report, PlanPage, OccurrencePage, PrintOrderPage, MessageList, ReportList, UndoResult, AttentionItem, AttentionDeadline, AttentionPage, AttentionBulkResult, EmergencyResult, Target, ScheduleRun, TargetPage, PlanDocument, PrintTicket, PrintDistribution, UnitItem, Indicator, IndicatorResult, DashboardFigure, DashboardRow, Dashboard, UnitList, IndicatorList, ResultList, AdminUser, AdminUserList, AdminUnit, AdminUnitList, VillageImport, ChannelAccount, ChannelAccountList, Grid, GridList, UnitGrids, PlanWindow, PlanWindows, UnitWindows, Notification, NotificationPage, ReadAll, NotificationSettings, ChangeRequest, MessageImage, MessageImageInput, MessageImageCreated, RosterBatch)


def _clean(schema: Any) -> None:
    """Drop pydantic's titles and the `None` defaults that only mean "may be absent" (the document never had them)."""
    if isinstance(schema, list):
        for item in schema:
            _clean(item)
        return
    if not isinstance(schema, dict):
        return
    if isinstance(schema.get("title"), str):
        schema.pop("title")
    if "default" in schema and schema["default"] is None:
        schema.pop("default")
    either = schema.get("anyOf")
    if (either and len(either) == 2 and either[1] == {"type": "null"} and isinstance(either[0].get("type"), str)
            and not {"enum", "const", "anyOf"} & either[0].keys()):
        schema.pop("anyOf")     # {"anyOf": [{"type": "string"}, {"type": "null"}]} → {"type": ["string", "null"]}
        schema.update({**either[0], "type": [either[0]["type"], "null"]})
    for key, value in schema.items():
        if key in ("properties", "$defs"):
            for sub in value.values():
                _clean(sub)
        else:
            _clean(value)


def json_schemas() -> dict[str, dict]:
    """components/schemas for every response model and the models they use, by class name ($defs hoisted)."""
    out: dict[str, dict] = {}
    for model in RESPONSES:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}", mode="serialization")
        for name, sub in schema.pop("$defs", {}).items():
            out.setdefault(name, sub)
        out[model.__name__] = schema
    _clean(out)
    return out
