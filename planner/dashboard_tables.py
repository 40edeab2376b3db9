"""The dashboard's tables and charts, built once for the page, the downloads, the API and the report."""
from __future__ import annotations

from markupsafe import Markup, escape

from planner import charts, localtime
from planner.channels import CHANNEL_LABELS
from planner.reports import sorted_groups
from planner.supervision import Drilldown, Figure, Row
from planner.tables import Table


def figure_text(fig: Figure) -> str:
    """'62,5% (125/200)', '30 tổ', or '—' without a result."""
    if not fig.is_applicable:
        return ""
    measure = fig.measure
    if measure is None:
        return "—"
    if fig.is_percentage:
        return f"{_n(measure)}% ({_n(fig.value)}/{_n(fig.denominator)})"
    return f"{_n(fig.value)} {fig.indicator.unit_label}".strip()


def target_text(fig: Figure) -> str:
    ind = fig.indicator
    return f"{_n(ind.target)}%" if ind.is_percentage else f"{_n(ind.target)} {ind.unit_label}".strip()


def trend_text(fig: Figure) -> str:
    trend = fig.trend
    if trend is None:
        return ""
    sign = "+" if trend > 0 else ""
    return f"{sign}{_n(trend)}{' điểm %' if fig.is_percentage else ''}"


def _n(value) -> str:
    if value is None:
        return ""
    text = f"{value:,.1f}".rstrip("0").rstrip(".") if value % 1 else f"{int(value):,}"
    return text.replace(",", "X").replace(".", ",").replace("X", ".")


TALLY_COLUMNS = ["Kế hoạch", "Đã thực hiện", "Trong đó phát bù", "Bị lỡ/thất bại", "Chưa đến hạn", "Tỷ lệ"]


def tally_row(name: str, t) -> list:
    due = t.delivered + t.lost   # nothing due yet: no rate to show, not "0%"
    return [name, t.planned, t.delivered, t.made_up, t.lost, t.pending, f"{t.rate}%" if due else "–"]


def tally_table(title: str, first_col: str, groups: dict, total=None) -> Table:
    """Planned / done / made up / lost / pending per channel, unit or audience, in Vietnamese order."""
    return Table(title, [first_col] + TALLY_COLUMNS, [tally_row(n, t) for n, t in sorted_groups(groups)],
                 tally_row("Tổng cộng", total) if total is not None else None)


ACTIVITY_COLUMNS = ["Phát loa kế hoạch", "Đã phát", "Trong đó phát bù", "Bị lỡ/thất bại", "Chưa đến hạn",
                    "Bài đăng đã đăng", "Ấn phẩm đã giao"]


def shown_indicators(data: Drilldown) -> list[int]:
    """Indicators that apply to at least one unit of this level (a commune count has no village column)."""
    return [n for n in range(len(data.indicators))
            if any(r.figures[n].is_applicable for r in data.rows) or not data.rows]


def row_cells(row: Row, shown: list[int] | None = None) -> list:
    """The same columns for every unit: activity, then each indicator's result, share of target and trend."""
    b = row.broadcasts
    cells = [row.unit.name, b.planned, b.delivered, b.made_up, b.lost, b.pending, row.posts_published,
             row.leaflets_delivered]
    for n, fig in enumerate(row.figures):
        if shown is not None and n not in shown:
            continue
        cells += [figure_text(fig), progress_text(fig) if fig.is_applicable else "", trend_text(fig)]
    return cells


def cells_html(cells) -> Markup:
    """`<td>…</td>` for each cell, escaped as the template would: one string per row, not a loop per cell."""
    return Markup("".join(f"<td>{escape(c)}</td>" for c in cells))


def unit_columns(data: Drilldown) -> list[str]:
    cols = ["Đơn vị"] + ACTIVITY_COLUMNS
    for n in shown_indicators(data):
        ind = data.indicators[n]
        short = ind.name if len(ind.name) <= 40 else ind.name[:39] + "…"
        cols += [f"{short}: kết quả", f"{short}: so với chỉ tiêu {target_text(Figure(ind))}", f"{short}: xu hướng 7 ngày"]
    return cols


def unit_table(data: Drilldown) -> Table:
    """One row per child unit (furthest behind first) and the total of the unit drilled into."""
    shown = shown_indicators(data)
    return Table(f"Theo đơn vị - {data.root.unit.name}", unit_columns(data),
                 [row_cells(r, shown) for r in data.rows], ["Tổng cộng"] + row_cells(data.root, shown)[1:])


def progress_text(fig) -> str:
    """'55%' of the target, or '–' when nothing has been reported (no result is not 0 %)."""
    return "–" if fig.value is None else f"{round(100 * fig.progress)}%"


def indicator_table(data: Drilldown) -> Table:
    """Each indicator at the unit drilled into: target, baseline, result, percentage of target, deadline."""
    rows = []
    for fig in data.root.figures:
        ind = fig.indicator
        rows.append([ind.name, "Tỷ lệ" if ind.is_percentage else "Số lượng", target_text(fig),
                     "" if ind.baseline is None else _n(ind.baseline), figure_text(fig) or "—",
                     progress_text(fig), localtime.fmt_date(ind.deadline), ind.recorded_by])
    return Table("Chỉ tiêu", ["Chỉ tiêu", "Cách đo", "Chỉ tiêu đặt ra", "Ban đầu", "Kết quả", "Đạt so với chỉ tiêu",
                              "Hạn", "Người ghi nhận"], rows)


def weekly_table(weeks) -> Table:
    channels = sorted({c for _, counts in weeks for c in counts})
    return Table("Theo tuần", ["Tuần từ"] + [CHANNEL_LABELS.get(c, c) for c in channels],
                 [[localtime.fmt_date(start)] + [counts.get(c, 0) for c in channels] for start, counts in weeks])


def activity_chart(weeks) -> str:
    table = weekly_table(weeks)
    series = {name: [row[i + 1] for row in table.rows] for i, name in enumerate(table.columns[1:])}
    return charts.stacked_bars("Lượt đã thực hiện theo tuần và kênh", [r[0][:5] for r in table.rows], series)


def ranking_chart(data: Drilldown) -> str | None:
    """Units ranked on the first indicator that applies to them (furthest behind first)."""
    for n, ind in enumerate(data.indicators):
        items = [(r.unit.name, r.figures[n].measure) for r in data.rows
                 if r.figures[n].is_applicable and r.figures[n].measure is not None]
        if items:
            unit = "%" if ind.is_percentage else ""
            return charts.ranking_bars(f"Xếp hạng: {ind.name}", items[:60], ind.target, unit=unit)
    return None


def progress_chart(ind, points) -> str:
    return charts.progress_line(f"Tiến độ: {ind.name}", [(localtime.fmt_date(d)[:5], v) for d, v in points],
                                ind.target, unit="%" if ind.is_percentage else "")
