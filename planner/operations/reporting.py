"""Reports: drafted with the figures, edited, issued (locked, numbered, PDF stored), corrected by a new report."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from planner import localtime
from planner.models import DueItem, Plan, Report, ReportKind, ReportPurpose, ReportStatus, Unit, User
from planner.operations.audit import record
from planner.report_document import (build_document, draft_narrative, figures, issuer_of, period_label,
                                     plan_reference)
from planner.reports import report_period

__all__ = ["ReportError", "build_document", "correct_report", "issue_report", "period_label", "plan_reference",
           "render_queued_reports", "request_report", "update_draft"]

DEFAULT_PURPOSE = {ReportKind.MONTHLY: ReportPurpose.MONTHLY, ReportKind.QUARTER: ReportPurpose.MONTHLY,
                   ReportKind.FIRST_HALF: ReportPurpose.SIX_MONTHLY, ReportKind.SECOND_HALF: ReportPurpose.SIX_MONTHLY,
                   ReportKind.ANNUAL: ReportPurpose.ANNUAL, ReportKind.CUSTOM: ReportPurpose.FINAL}
MAX_NARRATIVE = 50_000


class ReportError(ValueError):
    """Bad report request or a forbidden step; `errors` maps fields to Vietnamese messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _date(value, field: str, errors: dict) -> dt.date | None:
    try:
        return localtime.parse_date(str(value or ""))
    except ValueError as exc:
        errors[field] = str(exc) + "."
        return None


def _period(plan: Plan, data: dict, errors: dict) -> tuple[ReportKind | None, int | None, int | None, tuple]:
    """(kind, year, month-or-quarter, (start, end)) from the form; period_start/period_end alone mean 'custom'."""
    raw_kind = data.get("kind") or ("custom" if data.get("period_start") or data.get("period_end") else None)
    try:
        kind = ReportKind(raw_kind)
    except ValueError:
        errors["kind"] = "Vui lòng chọn kỳ báo cáo."
        return None, None, None, (None, None)
    if kind is ReportKind.CUSTOM:
        start, end = _date(data.get("period_start"), "period_start", errors), _date(data.get("period_end"), "period_end", errors)
        if start and end and end < start:
            errors["period_end"] = "Ngày kết thúc phải sau ngày bắt đầu."
        if start and end and (end - start).days > 5 * 366:
            errors["period_end"] = "Kỳ báo cáo dài tối đa 5 năm."
        return kind, end.year if end else None, None, (start, end)
    year = str(data.get("year") or "").strip()
    if not re.fullmatch(r"20\d\d", year):
        errors["year"] = "Năm không hợp lệ."
    month = str(data.get("month") or "").strip()
    if kind is ReportKind.MONTHLY and not (re.fullmatch(r"[0-9]{1,2}", month) and 1 <= int(month) <= 12):
        errors["month"] = "Tháng phải từ 1 đến 12."
    if kind is ReportKind.QUARTER and not (re.fullmatch(r"[1-4]", month)):
        errors["month"] = "Quý phải từ 1 đến 4."
    if errors:
        return kind, None, None, (None, None)
    number = int(month) if kind in (ReportKind.MONTHLY, ReportKind.QUARTER) else None
    if kind is ReportKind.QUARTER:
        first = dt.date(int(year), 3 * number - 2, 1)
        last = dt.date(int(year) + (number == 4), (3 * number) % 12 + 1, 1) - dt.timedelta(days=1)
        return kind, int(year), number, (first, last)
    return kind, int(year), number, report_period(plan.period_rule, kind, int(year), number)


def request_report(session: Session, plan: Plan, unit: Unit, user: User, data: dict, *, now: dt.datetime) -> Report:
    """Validate the form and create a draft with the figures filled in; the worker renders its PDF."""
    errors: dict[str, str] = {}
    kind, year, month, (start, end) = _period(plan, data, errors)
    purpose = None
    if data.get("purpose"):
        try:
            purpose = ReportPurpose(data.get("purpose"))
        except ValueError:
            errors["purpose"] = "Loại báo cáo không hợp lệ."
    issuer = issuer_of(plan, unit)    # the plan's Decree 30 signer and number suffix unless the form says otherwise
    signer = (data.get("signer_name") or "").strip() or issuer["signer_name"]
    if not signer:
        errors["signer_name"] = "Vui lòng nhập người ký."
    if not ((data.get("signer_title") or "").strip() or issuer["signer_title"]):
        errors["signer_title"] = "Vui lòng nhập chức vụ người ký (ví dụ: PHÓ CHỦ TỊCH)."
    if errors:
        raise ReportError(errors)
    report = Report(plan=plan, unit=unit, kind=kind, purpose=purpose or DEFAULT_PURPOSE[kind], year=year, month=month,
                    period_start=start, period_end=end,
                    number=((data.get("number") or "").strip() or f"…/{issuer['suffix']}")[:60], signer_name=signer[:200],
                    signer_title=((data.get("signer_title") or "").strip() or issuer["signer_title"])[:200],
                    requested_by=user, status=ReportStatus.QUEUED, created_at=now)
    session.add(report)
    session.flush()
    data_, drill = figures(session, report)
    report.narrative_md = draft_narrative(data_, drill, unit.name)
    record(session, user=user, action="report.request", entity=report, to_state=report.status)
    return report


def update_draft(session: Session, report: Report, user: User, data: dict) -> None:
    """Change a draft's narrative, number or signer; an issued report is locked."""
    if report.is_issued:
        raise ReportError({"form": "Báo cáo đã ban hành, không sửa được. Hãy tạo báo cáo đính chính."})
    narrative = str(data.get("narrative_md") if data.get("narrative_md") is not None else report.narrative_md)
    if len(narrative) > MAX_NARRATIVE:
        raise ReportError({"narrative_md": f"Nội dung dài tối đa {MAX_NARRATIVE:,} ký tự.".replace(",", ".")})
    signer = (data.get("signer_name") if data.get("signer_name") is not None else report.signer_name).strip()
    if not signer:
        raise ReportError({"signer_name": "Vui lòng nhập người ký."})
    report.narrative_md = narrative.replace("\r\n", "\n")
    report.signer_name = signer[:200]
    for key in ("number", "signer_title"):
        if data.get(key) is not None:
            setattr(report, key, str(data[key]).strip()[:60 if key == "number" else 200])
    report.status, report.error, report.file_name = ReportStatus.QUEUED, "", ""
    session.flush()
    record(session, user=user, action="report.edit", entity=report, to_state=report.status)


def issue_report(session: Session, report: Report, user: User, *, now: dt.datetime) -> None:
    """Lock the report, number it from the unit's register of the year, and queue its final PDF."""
    if report.is_issued:
        raise ReportError({"form": "Báo cáo này đã được ban hành."})
    year = localtime.today(now).year
    last = session.scalar(select(func.max(Report.register_no)).where(Report.unit_id == report.unit_id,
                                                                     Report.register_year == year)) or 0
    suffix = report.number.split("/", 1)[1] if "/" in report.number else issuer_of(report.plan, report.unit)["suffix"]
    report.register_year, report.register_no = year, last + 1
    report.number = f"{last + 1:02d}/{suffix}"[:64]
    report.issued_at, report.issued_by_id = now, user.id
    report.status, report.error, report.file_name = ReportStatus.QUEUED, "", ""
    session.flush()
    record(session, user=user, action="report.issue", entity=report, from_state="draft", to_state="issued",
           number=report.number)
    for item in session.scalars(select(DueItem).join(Unit, Unit.id == DueItem.unit_id).where(
            DueItem.plan_id == report.plan_id, DueItem.done_at.is_(None), DueItem.period_end == report.period_end,
            Unit.path.startswith(report.unit.path, autoescape=True))):
        item.done_at, item.done_by_id = now, user.id
        record(session, user=user, action="due_item.done", entity=item, to_state="done", report=report.id)


def correct_report(session: Session, report: Report, user: User, *, now: dt.datetime) -> Report:
    """A correction: a new draft of the same period and text that names the issued report it replaces."""
    if not report.is_issued:
        raise ReportError({"form": "Chỉ đính chính được báo cáo đã ban hành; bản dự thảo thì sửa trực tiếp."})
    copy = Report(plan=report.plan, unit=report.unit, kind=report.kind, purpose=report.purpose, year=report.year,
                  month=report.month, period_start=report.period_start, period_end=report.period_end,
                  number=("…/" + report.number.split("/", 1)[1]) if "/" in report.number else "",
                  signer_name=report.signer_name,
                  signer_title=report.signer_title, requested_by=user, status=ReportStatus.QUEUED, created_at=now,
                  narrative_md=report.narrative_md, replaces=report)
    session.add(copy)
    session.flush()
    record(session, user=user, action="report.correct", entity=copy, to_state=copy.status, replaces=report.id)
    return copy


def render_queued_reports(session: Session, *, now: dt.datetime, directory: Path, limit: int = 5) -> int:
    """Render queued reports to PDF files; each report commits on its own so one failure loses nothing else."""
    from planner.printing import PrintError, render_report

    directory.mkdir(parents=True, exist_ok=True)
    done = 0
    for report in session.scalars(select(Report).where(Report.status == ReportStatus.QUEUED)
                                  .order_by(Report.id).limit(limit)).all():
        try:
            rendered = render_report(build_document(session, report))
            name = f"bao-cao-{report.id:05d}{'' if report.is_issued else '-du-thao'}.pdf"
            (directory / name).write_bytes(rendered.data)
            report.file_name, report.status = name, ReportStatus.READY
        except PrintError as exc:
            report.status, report.error = ReportStatus.FAILED, str(exc)
        report.finished_at = now
        record(session, user=None, action="report.render", entity=report, to_state=report.status)
        session.commit()
        done += 1
    return done
