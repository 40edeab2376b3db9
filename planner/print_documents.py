"""Pure layout for print documents: products and sizes, dates, names, slogan fitting, template contexts.

No WeasyPrint here; planner.printing renders what these functions shape (and re-exports the API).
"""
from __future__ import annotations

import datetime as dt
import functools
import html as html_lib
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

FONTS_DIR = Path(__file__).resolve().parent / "static" / "fonts"
BLEED_MM = 3.0
# The slug: a white margin outside the bleed (page mm, also at 1:10) that holds the crop, fold and
# registration marks and the scale label, so no mark ever lands on the printed area.
SLUG_MM = 10.0
MAX_PAGE_SIDE_MM = 5080.0  # 200 in: many PDF readers and RIPs reject larger pages
CHANNELS = ("leaflet", "banner", "poster", "trifold")  # the print layouts (print/<layout>.html)
CUSTOM_MIN_MM, CUSTOM_MAX_MM = 50, 20000
META_KEYS = ("plan_title", "plan_number", "issuer", "order_number", "quantity", "qr_url",
             "text_color", "background_color", "hem_cm", "grommet_every_cm")  # the optional `meta` of a print product
SLOGAN_FONT = "LiberationSans-Bold.ttf"
SLOGAN_LINE_HEIGHT = 1.15  # em; Liberation Sans ascent + descent is 1.117 em, Vietnamese capitals included
_NUMBER_RE = re.compile(r"[\d\s.,%+\-–/]+")


class PrintError(Exception):
    """A print document cannot be produced; the message is Vietnamese and safe to show to users."""


@dataclass(frozen=True)
class PrintProduct:
    code: str
    label: str
    width_mm: float
    height_mm: float


PRODUCTS: dict[str, PrintProduct] = {p.code: p for p in (
    PrintProduct("leaflet_a5", "Tờ rơi A5", 148, 210),
    PrintProduct("leaflet_a4", "Tờ rơi A4", 210, 297),
    PrintProduct("leaflet_trifold_a4", "Tờ rơi gấp 3 A4", 297, 210),  # roll fold, panels 97/100/100 mm
    PrintProduct("poster_a2", "Áp phích A2", 420, 594),
    PrintProduct("poster_a1", "Áp phích A1", 594, 841),
    PrintProduct("poster_a0", "Áp phích A0", 841, 1189),
    PrintProduct("banner_08x5", "Băng rôn 0,8 × 5 m", 5000, 800),
    PrintProduct("banner_09x6", "Băng rôn 0,9 × 6 m", 6000, 900),
    PrintProduct("banner_1x6", "Băng rôn 1 × 6 m", 6000, 1000),
    PrintProduct("banner_3x1", "Băng rôn 3 × 1 m", 3000, 1000),
    PrintProduct("flag_06x2", "Cờ phướn 0,6 × 2 m", 600, 2000),
    PrintProduct("custom", "Khổ tùy chỉnh", 0, 0),  # size given with the order
)}


# The A4 tri-fold leaflet is a roll fold (gấp cuốn): the sheet is folded twice in the same direction,
# the end panel rolling inside. That inner panel must be narrower (97 mm) or it buckles against the
# fold. Seen from the outside (page 1), left to right: the flap that folds in (97), the back (100) and
# the cover (100). The inside (page 2) is the back of the same sheet turned over sideways, so the
# order mirrors: behind the cover (100), behind the back (100), the flap's inside (97). The folds sit
# at 97 and 197 mm on the outside and at 100 and 200 mm on the inside (the same two creases).
TRIFOLD_OUTSIDE = (("flap", 0.0, 97.0), ("back", 97.0, 100.0), ("cover", 197.0, 100.0))  # (panel, x, width)
TRIFOLD_INSIDE = (("inside_1", 0.0, 100.0), ("inside_2", 100.0, 100.0), ("inside_3", 200.0, 97.0))


def trifold_folds() -> dict[str, list[float]]:
    """The fold lines (mm from the left trim) of each spread of the tri-fold leaflet."""
    return {side: [x for _, x, _ in panels[1:]]
            for side, panels in (("outside", TRIFOLD_OUTSIDE), ("inside", TRIFOLD_INSIDE))}


def product_size(product: str, width_mm: float | None, height_mm: float | None) -> tuple[float, float]:
    """The trim size in mm: a listed product's own size, or a custom size of 50–20 000 mm a side."""
    if product not in PRODUCTS:
        raise PrintError(f"Sản phẩm in không hợp lệ: {product!r}.")
    if product != "custom":
        size = (float(PRODUCTS[product].width_mm), float(PRODUCTS[product].height_mm))
        given = (width_mm, height_mm)
        if all(given) and any(abs(float(g) - s) > 0.5 for g, s in zip(given, size)):
            raise PrintError(f"Khổ {format_mm(float(width_mm))} × {format_mm(float(height_mm))} mm không khớp "
                             f"với {PRODUCTS[product].label}; hãy chọn “Khổ tùy chỉnh”.")
        return size
    try:
        width, height = float(width_mm), float(height_mm)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise PrintError("Khổ tùy chỉnh cần chiều rộng và chiều cao (mm).") from None
    for name, value in (("Chiều rộng", width), ("Chiều cao", height)):
        if not CUSTOM_MIN_MM <= value <= CUSTOM_MAX_MM:  # also false for NaN
            raise PrintError(f"{name} phải từ {CUSTOM_MIN_MM} đến 20.000 mm (đã nhập {format_mm(value)} mm).")
    return width, height


def page_scale(width_mm: float, height_mm: float) -> int:
    """1, or 10 when a side plus bleed and slug passes 5080 mm: the file is then drawn at 1:10."""
    return 1 if max(width_mm, height_mm) + 2 * (BLEED_MM + SLUG_MM) <= MAX_PAGE_SIDE_MM else 10


def format_thousands(value: float) -> str:
    """A whole number of mm with a (no-break) space between thousands: 6000 → '6 000'."""
    return f"{round(value):,}".replace(",", "\u00a0")


def format_document_date(place: str, date: dt.date) -> str:
    """The place-and-date line of Decree 30/2020: 'Ngọc Lặc, ngày 05 tháng 3 năm 2026'.

    Days below 10 and the months 1 and 2 take a leading zero; other months do not.
    """
    month = f"{date.month:02d}" if date.month < 3 else str(date.month)
    return f"{place}, ngày {date.day:02d} tháng {month} năm {date.year}"


def slugify(text: str, max_length: int = 60) -> str:
    """An ASCII file-name slug of Vietnamese text ('Tờ rơi A5' → 'to-roi-a5'), cut between words."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length + 1]
        slug = cut[:cut.rfind("-")] if "-" in cut else slug[:max_length]
    return slug or "tai-lieu"


def format_mm(value: float) -> str:
    """A millimetre figure without a useless decimal part (148.0 → '148', 12.5 → '12.5')."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def format_cm(value_mm: float) -> str:
    """A size in centimetres with a Vietnamese decimal comma (148 → '14,8')."""
    return format_mm(value_mm / 10).replace(".", ",")


def format_count(value) -> str:
    """A whole number with Vietnamese thousands dots (2000 → '2.000'); other values as text."""
    return f"{value:,}".replace(",", ".") if isinstance(value, int) else str(value)


@functools.lru_cache(maxsize=1)
def _slogan_metrics() -> tuple[dict[int, int], float]:
    """Advance widths (em) by code point of the bundled slogan font, and the average width."""
    from fontTools.ttLib import TTFont  # a WeasyPrint dependency; loaded once

    font = TTFont(FONTS_DIR / SLOGAN_FONT, lazy=True)
    upem = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    widths = {cp: metrics[name][0] / upem for cp, name in font.getBestCmap().items()}
    return widths, sum(widths.values()) / len(widths)


def text_width_em(text: str) -> float:
    """Width of text in the slogan font at 1 em, without kerning (kerning only narrows it)."""
    widths, average = _slogan_metrics()
    return sum(widths.get(ord(ch), average) for ch in unicodedata.normalize("NFC", text))


def _split_lines(words: list[str], count: int) -> list[str]:
    """Split words into `count` lines minimising the widest line (linear partition, small n)."""
    space = text_width_em(" ")
    widths = [text_width_em(word) for word in words]

    def line_width(i: int, j: int) -> float:  # words[i:j] on one line
        return sum(widths[i:j]) + space * (j - i - 1)

    n = len(words)
    # best[k][j]: (widest line, cuts) for the first j words on k lines
    best = [[(float("inf"), ())] * (n + 1) for _ in range(count + 1)]
    best[0][0] = (0.0, ())
    for k in range(1, count + 1):
        for j in range(k, n + 1):
            for i in range(k - 1, j):
                prev_width, cuts = best[k - 1][i]
                widest = max(prev_width, line_width(i, j))
                if widest < best[k][j][0]:
                    best[k][j] = (widest, (*cuts, i))
    bounds = [*best[count][n][1], n]
    return [" ".join(words[a:b]) for a, b in zip(bounds, bounds[1:])]


def fit_slogan(text: str, width_mm: float, height_mm: float) -> tuple[list[str], float]:
    """Lines and font size (mm) that fill a banner: one or two lines (more on a tall flag).

    The words are printed exactly as approved: no case change ("VNeID" stays "VNeID").
    """
    words = unicodedata.normalize("NFC", text).split()
    if not words:
        raise PrintError("Khẩu hiệu trống: hãy nhập nội dung băng rôn.")
    avail_w, avail_h = width_mm * 0.9, height_mm * 0.8
    max_lines = 2 if width_mm >= 1.5 * height_mm else 8
    best_lines, best_size = [" ".join(words)], 0.0
    for count in range(1, min(max_lines, len(words)) + 1):
        lines = _split_lines(words, count)
        widest = max(text_width_em(line) for line in lines)
        size = min(avail_h / (count * SLOGAN_LINE_HEIGHT), avail_w / widest)
        if size > best_size * 1.05:  # prefer fewer lines unless more lines are clearly bigger
            best_lines, best_size = lines, size
    return best_lines, math.floor(best_size * 100) / 100  # round down: never wider than fits


def product_context(*, product: str, width_mm, height_mm, title: str, body_html: str, channel: str,
                    meta: dict) -> dict:
    """Validated sizes, labels, PDF metadata and file name shared by every print product.

    `finished` is the ordered size; `trim` is what the shop cuts: the finished size plus a sewn hem
    (meta `hem_cm`) on every side. The page is trim + bleed + slug; marks and labels go in the slug.
    """
    finished = product_size(product, width_mm, height_mm)
    if channel not in CHANNELS:
        raise PrintError(f"Loại ấn phẩm không hợp lệ: {channel!r} (leaflet, poster hoặc banner).")
    title = (title or "").strip()
    if not title:
        raise PrintError("Ấn phẩm in cần có tiêu đề.")
    hem = 10.0 * float(meta.get("hem_cm") or 0)
    width, height = finished[0] + 2 * hem, finished[1] + 2 * hem
    scale = page_scale(width, height)
    size_cm = f"{format_cm(finished[0])} × {format_cm(finished[1])} cm"
    label = PRODUCTS[product].label if product != "custom" else f"Khổ {size_cm}"
    scale_label = "Tỷ lệ 1:10" if scale == 10 else ""
    order, quantity = meta.get("order_number"), meta.get("quantity")
    keywords = [f"Khổ thành phẩm {format_mm(finished[0])} × {format_mm(finished[1])} mm",
                f"viền may {format_cm(hem)} cm (khổ xén {format_mm(width)} × {format_mm(height)} mm)" if hem else "",
                f"tràn lề {format_mm(BLEED_MM / scale).replace('.', ',')} mm", scale_label,
                f"đơn in số {order}" if order else "", f"số lượng {format_count(quantity)}" if quantity else ""]
    name_parts = [f"don-{slugify(str(order), 20)}" if order else "", slugify(title, 50), product,
                  f"{format_mm(finished[0])}x{format_mm(finished[1])}mm", "ti-le-1-10" if scale == 10 else ""]
    return {
        "product": product, "label": label, "channel": channel, "title": title, "body_html": body_html or "",
        "finished": finished, "trim": (width, height), "hem": hem / scale, "scale": scale,
        "scale_label": scale_label, "size_cm": size_cm,
        "slug_label": (f"Tỷ lệ 1:10 — kích thước thật {format_thousands(finished[0])} × "
                       f"{format_thousands(finished[1])} mm" + (f", kể cả viền {format_thousands(width)} × "
                                                              f"{format_thousands(height)} mm" if hem else "")
                       if scale == 10 else ""),
        "page_w": width / scale, "page_h": height / scale, "bleed": BLEED_MM / scale, "slug": SLUG_MM,
        "page_bleed": BLEED_MM / scale + SLUG_MM,
        "meta": {**{key: "" for key in META_KEYS}, **meta, "quantity": format_count(quantity) if quantity else ""},
        "plan": " ".join(str(v) for v in (meta.get("plan_number"), meta.get("plan_title")) if v),
        "pdf_title": f"{label} – {title}" + (f" ({scale_label})" if scale_label else ""),
        "pdf_author": meta.get("issuer") or "",
        "pdf_subject": " ".join(str(v) for v in (meta.get("plan_number"), meta.get("plan_title")) if v),
        "pdf_keywords": ", ".join(k for k in keywords if k),
        "filename": "_".join(p for p in name_parts if p) + ".pdf",
    }


def grommet_positions(length_mm: float, every_mm: float) -> list[float]:
    """Grommet centres along one edge (mm from its start): both ends, then evenly, no gap over `every_mm`."""
    if every_mm <= 0 or length_mm <= 0:
        return []
    gaps = max(1, math.ceil(length_mm / every_mm - 1e-9))
    return [length_mm * i / gaps for i in range(gaps + 1)]


def banner_layout(slogan: str, ctx: dict) -> dict:
    """Slogan lines, font size and position (page mm, inside the finished area), the two colours of a
    banner, and its grommet marks: centres in the hem band (which folds back), ticks in the slug."""
    meta = ctx["meta"]
    hem, scale = ctx["hem"], ctx["scale"]
    fin_w, fin_h = ctx["finished"][0] / scale, ctx["finished"][1] / scale
    lines, size = fit_slogan(slogan, fin_w, fin_h)
    colors = {"text_color": meta.get("text_color") or "#FFCD00",  # yellow on red: convention
              "background_color": meta.get("background_color") or "#DA251D"}
    for value in colors.values():
        if not re.fullmatch(r"#[0-9A-Fa-f]{6}", value):
            raise PrintError(f"Mã màu không hợp lệ: {value!r} (dạng #RRGGBB).")
    block = len(lines) * size * SLOGAN_LINE_HEIGHT
    every = 10.0 * float(meta.get("grommet_every_cm") or 0) / scale
    # A grommet goes through the middle of the folded hem: on the flat file that point lies at hem/2
    # from the cut edge, on the band that folds back (so the circle never shows on the finished face).
    inset = hem / 2 if hem else 0.0
    span_w, span_h = ctx["page_w"] - 2 * inset, ctx["page_h"] - 2 * inset
    xs = [round(inset + x, 3) for x in grommet_positions(span_w, every)]
    ys = [round(inset + y, 3) for y in grommet_positions(span_h, every)]
    centres = sorted({(x, y) for x in xs for y in (ys[0], ys[-1])} | {(x, y) for y in ys for x in (xs[0], xs[-1])})
    return {"lines": lines, "font_size": size, "line_height": SLOGAN_LINE_HEIGHT, "fin_w": fin_w, "fin_h": fin_h,
            "top": (fin_h - block) / 2, "grommet_xs": xs, "grommet_ys": ys,
            "grommets": centres if hem else [],  # without a hem, only the ticks in the slug show where
            "grommet_d": max(1.0, 12.0 / scale), **colors}


@functools.lru_cache(maxsize=1)
def bundled_coverage() -> frozenset[int]:
    """Code points that every bundled font has a glyph for."""
    from fontTools.ttLib import TTFont

    maps = [set(TTFont(path, lazy=True).getBestCmap()) for path in sorted(FONTS_DIR.glob("*.ttf"))]
    return frozenset(set.intersection(*maps))


def unsupported_characters(html: str) -> list[str]:
    """Visible characters of print HTML that the bundled fonts cannot draw (they would be tofu)."""
    body = re.sub(r"<head>.*?</head>|<style.*?</style>|<[^>]*>", " ", html, flags=re.S)
    coverage = bundled_coverage()
    found = {ch for ch in html_lib.unescape(body) if ord(ch) not in coverage
             and unicodedata.category(ch)[0] not in "ZC"}
    return sorted(found)


def _recipient_lines(recipients: list[str]) -> list[str]:
    """'- UBND huyện;' lines, the last one ending with a full stop as in Decree 30."""
    items = [r.strip().lstrip("-").strip().rstrip(";.").strip() for r in recipients if r.strip()]
    return [f"- {item}{'.' if i == len(items) - 1 else ';'}" for i, item in enumerate(items)]


def _cell(value) -> dict:
    text = "" if value is None else str(value)
    return {"text": text, "is_number": bool(text.strip()) and bool(_NUMBER_RE.fullmatch(text))}


def report_context(doc: dict) -> dict:
    """Validate a report document and shape it for print/report.html."""
    required = ("agency", "number", "place", "date", "subject", "signer_name")
    missing = [key for key in required if not doc.get(key)]
    if missing:
        raise PrintError("Báo cáo thiếu thông tin bắt buộc: " + ", ".join(missing) + ".")
    if not isinstance(doc["date"], dt.date):
        raise PrintError("Ngày ban hành báo cáo không hợp lệ.")
    sections = []
    for section in doc.get("sections") or []:
        tables = [{
            "caption": table.get("caption", ""),
            "columns": list(table.get("columns") or []),
            "rows": [[_cell(v) for v in row] for row in table.get("rows") or []],
            "total_row": [_cell(v) for v in table["total_row"]] if table.get("total_row") else None,
        } for table in section.get("tables") or []]
        # `html` must come from planner.markup.render_markdown and `charts` from planner.charts (both safe).
        sections.append({"heading": section.get("heading", ""), "html": section.get("html") or "",
                         "paragraphs": list(section.get("paragraphs") or []), "tables": tables,
                         "charts": list(section.get("charts") or [])})
    intro = list(doc.get("intro_paragraphs") or [])
    # The body ends with "./.": on the last paragraph, or alone after a closing table.
    last = sections[-1]["paragraphs"] if sections else intro
    closing_inline = bool(last) and not (sections and (sections[-1]["tables"] or sections[-1]["charts"]))
    ending = ""   # the last paragraph, printed inside the block that holds "Nơi nhận" and the signature
    if closing_inline:
        text = last.pop().rstrip()
        ending = text + ("/." if text.endswith(".") else "./.")
    return {
        "parent_agency": (doc.get("parent_agency") or "").upper(),
        "agency": doc["agency"].upper(),
        "number": doc["number"],
        "date_line": format_document_date(doc["place"], doc["date"]),
        "title": (doc.get("title") or "BÁO CÁO").upper(),
        "subject": doc["subject"],
        "period_label": doc.get("period_label", ""),
        "intro_paragraphs": intro,
        "sections": sections,
        "closing_inline": closing_inline,
        "ending": ending,
        "recipients": _recipient_lines(list(doc.get("recipients") or [])),
        "signer_prefix": (doc.get("signer_prefix") or "").upper(),
        "signer_title": (doc.get("signer_title") or "").upper(),
        "signer_name": doc["signer_name"],
    }


def roster_days(rows: list[dict]) -> list[dict]:
    """Broadcast rows grouped by date, in the given order, for the roster table."""
    days: list[dict] = []
    for row in rows:
        if not days or days[-1]["date"] != row.get("date"):
            days.append({"date": row.get("date", ""), "weekday": row.get("weekday", ""), "rows": []})
        days[-1]["rows"].append({
            "session": row.get("session", ""),
            "title": row.get("title", ""),
            "duration": row.get("duration", ""),
            "note": row.get("note") or row.get("script_excerpt") or "",
            "marks": row.get("marks") or [],     # "Tin khẩn", "Phiên đột xuất"
        })
    return days
