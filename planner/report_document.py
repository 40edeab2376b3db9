"""A report's content: figures, the author's narrative, the outcomes section with charts, and its tables."""
from __future__ import annotations

from sqlalchemy.orm import Session

from planner import dashboard_tables as dt_tables
from planner import localtime
from planner.markup import render_markdown
from planner.models import Report, ReportKind
from planner.models.reports import REPORT_KIND_LABELS
from planner.reports import Dashboard, plan_dashboard, print_summary
from planner.supervision import Drilldown, Filters, drilldown, progress_series
from planner.tables import Table

def issuer_of(plan, unit) -> dict:
    """Decree 30 header, number suffix, place and signer of a report `unit` issues under `plan`.

    The plan unit's own reports take the plan's fields (governing and issuing body, abbreviation,
    signer); a unit below it is named under its parent, its place being its name without the kind.
    """
    own = unit.id == plan.unit_id
    parent = unit.parent.name if unit.parent else ""
    abbreviation = plan.issuer_abbreviation if own else ""
    return {"parent_agency": (plan.governing_body or parent) if own else parent,
            "agency": (plan.issuing_body or unit.name) if own else unit.name,
            "suffix": f"BC-{abbreviation}" if abbreviation else "BC",
            "place": plan.place if own else _place_name(unit.name),
            "signer_prefix": plan.signer_authority if own else "",
            "signer_title": plan.signer_title if own else "", "signer_name": plan.signer_name if own else ""}


def _place_name(name: str) -> str:
    """'Xã Ngọc Lặc' → 'Ngọc Lặc': the date line names a place, not an organisation."""
    for kind in ("Ủy ban nhân dân ", "UBND ", "Xã ", "Phường ", "Thị trấn ", "Tỉnh ", "Thành phố ", "Thôn "):
        if name.lower().startswith(kind.lower()):
            return name[len(kind):]
    return name


def plan_reference(plan) -> str:
    """'Kế hoạch số 2728/KH-BHXH', or 'Kế hoạch <title>' for a plan without a number."""
    if any(ch.isdigit() for ch in plan.number):
        return f"Kế hoạch số {plan.number}"
    return f"Kế hoạch {plan.title[:1].lower()}{plan.title[1:]}"


def period_label(report: Report) -> str:
    """E.g. '6 tháng đầu năm 2026 (từ 15/12/2025 đến 14/06/2026)'."""
    span = f"từ {localtime.fmt_date(report.period_start)} đến {localtime.fmt_date(report.period_end)}"
    if report.kind is ReportKind.CUSTOM:
        return span
    if report.kind is ReportKind.MONTHLY:
        name = f"tháng {report.month}/{report.year}"
    elif report.kind is ReportKind.QUARTER:
        name = f"quý {report.month}/{report.year}"
    else:
        name = f"{REPORT_KIND_LABELS[report.kind]} {report.year}"
    return f"{name} ({span})"


def figures(session: Session, report: Report) -> tuple[Dashboard, Drilldown]:
    """The activity counts and the drill-down (one row per unit below the report's unit) for the period."""
    user = report.requested_by
    data = plan_dashboard(session, report.plan, user, first=report.period_start, last=report.period_end,
                          root=report.unit)
    drill = drilldown(session, report.plan, report.unit, Filters(report.period_start, report.period_end),
                      scope_top=report.unit)
    return data, drill


def draft_narrative(data: Dashboard, drill: Drilldown, unit_name: str) -> str:
    """The narrative the author starts from: the period's figures in sentences (Markdown)."""
    t = data.total
    lines = [f"Trong kỳ báo cáo, {unit_name} đã lên lịch {t.planned} lượt tuyên truyền; đã thực hiện {t.delivered} "
             f"lượt (trong đó {t.made_up} lượt phát bù), {t.lost} lượt bị lỡ hoặc không thực hiện được, {t.pending} "
             "lượt chưa đến hạn. " + (f"Tỷ lệ thực hiện trên số lượt đã đến hạn đạt {t.rate}%." if t.delivered + t.lost
                                       else "Chưa có lượt nào đến hạn trong kỳ.")]
    for fig in drill.root.figures:
        if fig.measure is not None:
            lines.append(f"Chỉ tiêu “{fig.indicator.name}”: đạt {dt_tables.figure_text(fig)}, bằng "
                         f"{round(100 * fig.progress)}% chỉ tiêu ({dt_tables.target_text(fig)}).")
    reported = [r for r in drill.rows if any(f.value is not None for f in r.figures)]
    missing = len(drill.rows) - len(reported)
    if reported:
        lines.append("Các đơn vị cần tập trung chỉ đạo: " + ", ".join(r.unit.name for r in reported[:3]) + ".")
    if reported and missing:
        lines.append(f"Còn {missing} đơn vị chưa báo cáo số liệu chỉ tiêu.")
    if data.reasons:
        lines.append("Các lượt không thực hiện được chủ yếu do: " + "; ".join(
            f"{reason} ({n} lượt)" for reason, n in data.reasons.most_common(5)) + ".")
    lines.append("Kỳ tới: tiếp tục duy trì tuyên truyền trên hệ thống loa truyền thanh và các kênh trực tuyến theo "
                 "kế hoạch; xác nhận đầy đủ các lượt phát; cập nhật số liệu chỉ tiêu hằng tuần.")
    return "\n\n".join(lines)


def report_tables(session: Session, report: Report) -> list[Table]:
    """Every table of the report (also its XLSX): activity by channel, unit, audience; prints; outcomes."""
    data, drill = figures(session, report)
    prints = print_summary(session, report.plan, report.unit, report.period_start, report.period_end)
    tables = [
        dt_tables.tally_table("Bảng 1. Kết quả theo kênh truyền thông", "Kênh", data.by_channel, data.total),
        dt_tables.tally_table("Bảng 2. Kết quả theo đơn vị", "Đơn vị", data.by_unit, data.total),
        dt_tables.tally_table("Bảng 3. Kết quả theo nhóm đối tượng", "Nhóm đối tượng", data.by_audience, data.total),
        Table("Bảng 4. Ấn phẩm in", ["Ấn phẩm", "Số đơn", "Số lượng đặt", "Đã giao trong kỳ"],
              prints or [["Không có", "0", "0", "0"]]),
    ]
    outcome = dt_tables.indicator_table(drill)
    outcome.title = "Bảng 5. Kết quả thực hiện chỉ tiêu"
    tables.append(outcome)
    for n, ind in enumerate(drill.indicators):
        rows = [r for r in drill.rows if r.figures[n].is_applicable]
        if not any(r.figures[n].value is not None for r in rows) or not drill.root.figures[n].is_applicable:
            continue  # nothing reported for this indicator below this unit: no table of dashes
        reported = [r for r in rows if r.figures[n].value is not None]
        missing = [r.unit.name for r in rows if r.figures[n].value is None]
        table = Table(f"Bảng {len(tables) + 1}. {ind.name} theo đơn vị (chậm nhất trước)",
                      ["Đơn vị", "Kết quả", "Đạt so với chỉ tiêu", "Xu hướng 7 ngày"],
                      [[r.unit.name, dt_tables.figure_text(r.figures[n]), f"{round(100 * r.figures[n].progress)}%",
                        dt_tables.trend_text(r.figures[n])] for r in reported])
        if missing:
            table.rows.append([f"Chưa có số liệu ({len(missing)} đơn vị)", ", ".join(missing[:12])
                               + (", …" if len(missing) > 12 else ""), "", ""])
        tables.append(table)
    return tables


def outcome_charts(session: Session, report: Report, drill: Drilldown) -> list[str]:
    """SVG charts for the outcomes section: progress against the target line, and the unit ranking."""
    charts = []
    for ind, fig in zip(drill.indicators, drill.root.figures):
        if fig.is_applicable and fig.value is not None:
            points = progress_series(session, ind, report.unit, report.period_start, report.period_end)
            charts.append(dt_tables.progress_chart(ind, points))
            break
    ranking = dt_tables.ranking_chart(drill)
    if ranking:
        charts.append(ranking)
    return charts


def _doc_table(table: Table) -> dict:
    return {"caption": table.title, "columns": table.columns, "rows": [[_text(v) for v in row] for row in table.rows],
            "total_row": [_text(v) for v in table.total_row] if table.total_row else None}


def _text(value) -> str:
    return "" if value is None else f"{value:,}".replace(",", ".") if isinstance(value, int) else str(value)


def build_document(session: Session, report: Report) -> dict:
    """The report's content in the shape printing.render_report takes (Decree 30 layout)."""
    plan, unit = report.plan, report.unit
    data, drill = figures(session, report)
    tables = [_doc_table(t) for t in report_tables(session, report)]
    narrative = report.narrative_md or draft_narrative(data, drill, unit.name)
    intro = [f"Thực hiện {plan_reference(plan)} của {plan.issuer}, {unit.name} báo cáo kết quả thực hiện "
             f"{period_label(report)} như sau:"]
    if report.replaces is not None:
        old = report.replaces
        intro.append(f"Báo cáo này thay thế Báo cáo số {old.number} ngày {localtime.fmt_date(old.issued_at)}.")
    sections = [
        {"heading": "I. ĐÁNH GIÁ CHUNG", "html": render_markdown(narrative, heading_offset=2), "paragraphs": [],
         "tables": []},
        {"heading": "II. KẾT QUẢ HOẠT ĐỘNG TRUYỀN THÔNG", "paragraphs": [], "tables": tables[:4]},
        {"heading": "III. KẾT QUẢ THỰC HIỆN CHỈ TIÊU", "paragraphs": [] if drill.indicators else [
            "Kế hoạch không có chỉ tiêu đo được."], "tables": tables[4:],
         "charts": outcome_charts(session, report, drill)},
    ]
    issuer = issuer_of(plan, unit)
    return {
        "parent_agency": issuer["parent_agency"], "agency": issuer["agency"],
        "number": report.number or f"…/{issuer['suffix']}", "place": issuer["place"],
        "date": localtime.today(report.issued_at or report.created_at),
        "title": "BÁO CÁO" if report.is_issued else "BÁO CÁO (DỰ THẢO)",
        "subject": f"Kết quả thực hiện {plan_reference(plan)} {period_label(report)}",
        "period_label": period_label(report), "intro_paragraphs": intro, "sections": sections,
        "recipients": [f"{plan.issuer} (để b/c)", "Lưu: VT."],
        "signer_prefix": issuer["signer_prefix"],
        "signer_title": report.signer_title or issuer["signer_title"],
        "signer_name": report.signer_name or issuer["signer_name"],
    }
