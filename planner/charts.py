"""Server-side SVG charts (readable without JavaScript, in pages and PDFs): activity bars, progress, ranking."""
from __future__ import annotations

from xml.sax.saxutils import escape

PALETTE = ("#1f5f8b", "#d9822b", "#3c8d40", "#8e44ad", "#c0392b", "#7f8c8d", "#16a085")
FONT = 'font-family="Planner Sans, Liberation Sans, Arial, sans-serif" font-size="11"'


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" class="chart">'
            f'<title>{escape(title)}</title>' + "".join(body) + "</svg>")


def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {FONT} {extra}>{escape(str(text))}</text>'


def stacked_bars(title: str, labels: list[str], series: dict[str, list[int]], *, width: int = 640,
                 height: int = 240) -> str:
    """Stacked vertical bars (e.g. weekly broadcasts and posts by channel) with a legend."""
    left, bottom, top = 40, 40, 24
    plot_h, n = height - bottom - top, max(len(labels), 1)
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    peak = max(totals + [1])
    step = (width - left - 10) / n
    body = [_text(left, 14, title, extra='font-weight="bold"'),
            f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#444"/>',
            _text(left - 4, top + 8, f"{peak}", "end"), _text(left - 4, top + plot_h, "0", "end")]
    for i, label in enumerate(labels):
        y = top + plot_h
        for k, (name, values) in enumerate(series.items()):
            h = plot_h * values[i] / peak
            if h:
                body.append(f'<rect x="{left + i * step + 2:.1f}" y="{y - h:.1f}" width="{max(step - 4, 1):.1f}" '
                            f'height="{h:.1f}" fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(label)} · '
                            f'{escape(name)}: {values[i]}</title></rect>')
            y -= h
        if n <= 12 or i % 2 == 0:
            body.append(_text(left + i * step + step / 2, top + plot_h + 14, label, "middle"))
    x = left
    for k, name in enumerate(series):
        body.append(f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{PALETTE[k % len(PALETTE)]}"/>')
        body.append(_text(x + 14, height - 5, name))
        x += 24 + 7 * len(name)
    return _svg(width, height, title, body)


def progress_line(title: str, points: list[tuple[str, float | None]], target: float, *, unit: str = "%",
                  width: int = 640, height: int = 220) -> str:
    """The indicator's measure week by week against a dashed target line."""
    left, bottom, top = 44, 28, 24
    plot_h, plot_w = height - bottom - top, width - left - 16
    values = [v for _, v in points if v is not None]
    peak = max(values + [target, 1]) * 1.05
    n = max(len(points) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + plot_w * i / n, top + plot_h * (1 - v / peak)

    body = [_text(left, 14, title, extra='font-weight="bold"'),
            f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#444"/>']
    ty = xy(0, target)[1]
    body += [f'<line x1="{left}" y1="{ty:.1f}" x2="{left + plot_w}" y2="{ty:.1f}" stroke="#c0392b" '
             f'stroke-dasharray="6 4"/>', _text(left - 4, ty + 4, f"{target:g}{unit}", "end"),
             _text(left + plot_w, ty - 4, "Chỉ tiêu", "end", 'fill="#c0392b"')]
    coords = [(i, *xy(i, v)) for i, (_, v) in enumerate(points) if v is not None]
    if coords:
        body.append('<polyline fill="none" stroke="#1f5f8b" stroke-width="2" points="'
                    + " ".join(f"{x:.1f},{y:.1f}" for _, x, y in coords) + '"/>')
        for i, x, y in coords:
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1f5f8b"><title>{escape(points[i][0])}: '
                        f'{points[i][1]:g}{unit}</title></circle>')
        last_i, lx, ly = coords[-1]
        body.append(_text(lx, ly - 6, f"{points[last_i][1]:g}{unit}", "end"))
    for i, (label, _) in enumerate(points):
        if len(points) <= 10 or i % max(len(points) // 8, 1) == 0:
            body.append(_text(xy(i, 0)[0], top + plot_h + 14, label, "middle"))
    return _svg(width, height, title, body)


def ranking_bars(title: str, items: list[tuple[str, float | None]], target: float, *, unit: str = "%",
                 width: int = 640, bar: int = 16) -> str:
    """Horizontal bars, one per unit (furthest behind first), with the target marked."""
    left, top = 150, 24
    height = top + len(items) * (bar + 4) + 10
    peak = max([v for _, v in items if v is not None] + [target, 1])
    plot_w = width - left - 50
    body = [_text(4, 14, title, extra='font-weight="bold"')]
    tx = left + plot_w * target / peak
    body.append(f'<line x1="{tx:.1f}" y1="{top - 4}" x2="{tx:.1f}" y2="{height - 6}" stroke="#c0392b" '
                f'stroke-dasharray="4 3"/>')
    for i, (name, value) in enumerate(items):
        y = top + i * (bar + 4)
        label = name if len(name) <= 24 else name[:23] + "…"
        body.append(_text(left - 6, y + bar - 4, label, "end"))
        w = plot_w * (value or 0) / peak
        body.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar}" fill="#1f5f8b"/>')
        body.append(_text(left + w + 4, y + bar - 4, "chưa có số liệu" if value is None else f"{value:g}{unit}"))
    return _svg(width, height, title, body)
