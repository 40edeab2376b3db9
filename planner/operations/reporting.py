"""Report requests and rendering: queued by a person, built and rendered to PDF by the worker."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner import localtime
from planner.models import Plan, Report, ReportKind, ReportStatus, Unit, User
from planner.models.reports import REPORT_KIND_LABELS
from planner.operations.audit import record
from planner.reports import Tally, plan_dashboard, print_summary, report_period, sorted_groups


class ReportError(ValueError):
    """Bad report request; `errors` maps fields to Vietnamese messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def request_report(session: Session, plan: Plan, unit: Unit, user: User, data: dict, *, now: dt.datetime) -> Report:
    """Validate the form and queue a report; the worker renders it."""
    errors: dict[str, str] = {}
    try:
        kind = ReportKind(data.get("kind"))
    except ValueError:
        kind = None
        errors["kind"] = "Vui lòng chọn kỳ báo cáo."
    year = str(data.get("year") or "").strip()
    if not re.fullmatch(r"20\d\d", year):
        errors["year"] = "Năm không hợp lệ."
    month = str(data.get("month") or "").strip()
    if kind is ReportKind.MONTHLY and not (re.fullmatch(r"[0-9]{1,2}", month) and 1 <= int(month) <= 12):
        errors["month"] = "Tháng phải từ 1 đến 12."
    signer = (data.get("signer_name") or "").strip()
    if not signer:
        errors["signer_name"] = "Vui lòng nhập người ký."
    if errors:
        raise ReportError(errors)
    month_no = int(month) if kind is ReportKind.MONTHLY else None
    start, end = report_period(plan.period_rule, kind, int(year), month_no)
    report = Report(plan=plan, unit=unit, kind=kind, year=int(year), month=month_no, period_start=start,
                    period_end=end, number=(data.get("number") or "").strip()[:60], signer_name=signer[:200],
                    signer_title=(data.get("signer_title") or "").strip()[:200], requested_by=user,
                    status=ReportStatus.QUEUED, created_at=now)
    session.add(report)
    session.flush()
    record(session, user=user, action="report.request", entity=report, to_state=report.status)
    return report


def plan_reference(plan: Plan) -> str:
    """'Kế hoạch số 2728/KH-BHXH', or 'Kế hoạch <title>' for a plan without a number."""
    if any(ch.isdigit() for ch in plan.number):
        return f"Kế hoạch số {plan.number}"
    return f"Kế hoạch {plan.title[:1].lower()}{plan.title[1:]}"


def period_label(report: Report) -> str:
    """E.g. '6 tháng đầu năm 2026 (từ 15/12/2025 đến 14/06/2026)'."""
    name = f"tháng {report.month}/{report.year}" if report.kind is ReportKind.MONTHLY else \
        f"{REPORT_KIND_LABELS[report.kind]} {report.year}"
    return f"{name} (từ {localtime.fmt_date(report.period_start)} đến {localtime.fmt_date(report.period_end)})"


def _tally_rows(groups: dict[str, Tally]) -> list[list[str]]:
    return [[name, str(t.planned), str(t.delivered), str(t.lost), str(t.pending), f"{t.rate}%"]
            for name, t in sorted_groups(groups)]


def build_document(session: Session, report: Report) -> dict:
    """The report's content in the shape printing.render_report takes (Decree 30 layout)."""
    plan, unit = report.plan, report.unit
    data = plan_dashboard(session, plan, report.requested_by or _any_user(session), first=report.period_start,
                          last=report.period_end, root=unit)
    t = data.total
    cols = ["", "Kế hoạch", "Đã thực hiện", "Bị lỡ/thất bại", "Chưa đến hạn", "Tỷ lệ"]
    total_row = ["Tổng cộng", str(t.planned), str(t.delivered), str(t.lost), str(t.pending), f"{t.rate}%"]
    parent = unit.parent.name if unit.parent else ""
    prints = print_summary(session, plan, unit, report.period_start, report.period_end)
    sections = [
        {"heading": "I. KẾT QUẢ THỰC HIỆN", "paragraphs": [
            f"Trong kỳ báo cáo, {unit.name} đã lên lịch {t.planned} lượt tuyên truyền; đã thực hiện "
            f"{t.delivered} lượt, {t.lost} lượt bị lỡ hoặc không thực hiện được, {t.pending} lượt chưa đến hạn "
            f"hoặc chưa có kết quả. Tỷ lệ thực hiện trên số lượt đã đến hạn đạt {t.rate}%."],
         "tables": [
             {"caption": "Bảng 1. Kết quả theo kênh truyền thông", "columns": ["Kênh"] + cols[1:],
              "rows": _tally_rows(data.by_channel), "total_row": total_row},
             {"caption": "Bảng 2. Kết quả theo đơn vị", "columns": ["Đơn vị"] + cols[1:],
              "rows": _tally_rows(data.by_unit), "total_row": total_row},
             {"caption": "Bảng 3. Kết quả theo nhóm đối tượng", "columns": ["Nhóm đối tượng"] + cols[1:],
              "rows": _tally_rows(data.by_audience), "total_row": total_row},
             {"caption": "Bảng 4. Ấn phẩm in", "columns": ["Ấn phẩm", "Số đơn", "Số lượng đặt", "Đã giao"],
              "rows": prints or [["Không có", "0", "0", "0"]]},
         ]},
        {"heading": "II. TỒN TẠI, HẠN CHẾ VÀ NGUYÊN NHÂN", "paragraphs": [
            "Các lượt không thực hiện được chủ yếu do: " + "; ".join(
                f"{reason} ({n} lượt)" for reason, n in data.reasons.most_common(5)) + "."
            if data.reasons else "Trong kỳ không có lượt tuyên truyền nào bị lỡ."], "tables": []},
        {"heading": "III. NHIỆM VỤ TRỌNG TÂM KỲ TỚI", "paragraphs": [
            "Tiếp tục duy trì tuyên truyền trên hệ thống loa truyền thanh và các kênh trực tuyến theo kế hoạch; "
            "xác nhận đầy đủ các lượt phát; bổ sung nội dung phù hợp từng nhóm đối tượng."], "tables": []},
    ]
    return {
        "parent_agency": parent, "agency": unit.name, "number": report.number or "…/BC",
        "place": plan.place if unit.id == plan.unit_id else unit.name.replace("Xã ", "").replace("Tỉnh ", ""),
        "date": localtime.today(report.created_at), "title": "BÁO CÁO",
        "subject": f"Kết quả thực hiện {plan_reference(plan)} {period_label(report)}",
        "period_label": period_label(report),
        "intro_paragraphs": [f"Thực hiện {plan_reference(plan)} của {plan.issuer}, "
                             f"{unit.name} báo cáo kết quả thực hiện {period_label(report)} như sau:"],
        "sections": sections,
        "recipients": [f"{plan.issuer} (để b/c)", "Lưu: VT."],
        "signer_prefix": "", "signer_title": report.signer_title or "THỦ TRƯỞNG ĐƠN VỊ",
        "signer_name": report.signer_name,
    }


def _any_user(session: Session) -> User:
    return session.scalars(select(User).order_by(User.id)).first()


def render_queued_reports(session: Session, *, now: dt.datetime, directory: Path, limit: int = 5) -> int:
    """Render queued reports to PDF files; each report commits on its own so one failure loses nothing else."""
    from planner.printing import PrintError, render_report

    directory.mkdir(parents=True, exist_ok=True)
    done = 0
    for report in session.scalars(select(Report).where(Report.status == ReportStatus.QUEUED)
                                  .order_by(Report.id).limit(limit)).all():
        try:
            rendered = render_report(build_document(session, report))
            name = f"bao-cao-{report.id:05d}.pdf"
            (directory / name).write_bytes(rendered.data)
            report.file_name, report.status = name, ReportStatus.READY
        except PrintError as exc:
            report.status, report.error = ReportStatus.FAILED, str(exc)
        report.finished_at = now
        record(session, user=None, action="report.render", entity=report, to_state=report.status)
        session.commit()
        done += 1
    return done
