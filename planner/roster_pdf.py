"""Broadcast rosters drawn directly as PDF with reportlab (no HTML layout): a WeasyPrint page cost ~100 ms of
CPU, a reportlab page a few ms, so a commune's 42 village rosters take well under a second.

Pure: no Flask, no database, no WeasyPrint. The input is printing.roster_village()'s data (a village's name,
QR link and week sheets from print_roster.roster_weeks). Each village starts a new page and each week sheet
too; the pages a village's sheets take are recorded as they are drawn, so a batch splits into village PDFs
without anchors. Fonts are the bundled Liberation faces (subsets embedded); text is NFC-normalised; a
character the fonts cannot draw is refused with its name (PrintError) before anything is drawn.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import threading
import unicodedata
import zlib
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfdoc, pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (BaseDocTemplate, Flowable, Frame, LayoutError, PageBreak, PageTemplate, Paragraph,
                                Spacer, Table)

from planner import print_documents as docs
from planner import print_roster

MM = 72 / 25.4
MARGIN_TOP, MARGIN_RIGHT, MARGIN_BOTTOM, MARGIN_LEFT = 11 * MM, 12 * MM, 13 * MM, 15 * MM  # as the HTML roster
WIDTH = A4[0] - MARGIN_LEFT - MARGIN_RIGHT
COLUMNS = (19 * MM, 20 * MM, None, 15 * MM, 22 * MM)  # day, session, content, duration, tick
QR_COLUMN, QR_SIZE = 40 * MM, 22 * MM
RULE = 0.5  # pt, the table's lines
FACES = {"PlannerSerif": "LiberationSerif-Regular.ttf", "PlannerSerif-Bold": "LiberationSerif-Bold.ttf",
         "PlannerSerif-Italic": "LiberationSerif-Italic.ttf",
         "PlannerSerif-BoldItalic": "LiberationSerif-BoldItalic.ttf"}


@functools.lru_cache(maxsize=1)
def styles() -> dict[str, ParagraphStyle]:
    """Register the bundled fonts (once a process) and return the roster's paragraph styles."""
    for name, file in FACES.items():
        pdfmetrics.registerFont(TTFont(name, str(docs.FONTS_DIR / file)))
    pdfmetrics.registerFontFamily("PlannerSerif", normal="PlannerSerif", bold="PlannerSerif-Bold",
                                  italic="PlannerSerif-Italic", boldItalic="PlannerSerif-BoldItalic")
    base = ParagraphStyle("base", fontName="PlannerSerif", fontSize=10, leading=12)

    def style(name, **kw):
        return ParagraphStyle(name, parent=base, **kw)

    return {
        "base": base,
        "commune": style("commune", fontSize=9.5, leading=11.4),
        "h1": style("h1", fontName="PlannerSerif-Bold", fontSize=12, leading=14.4, spaceBefore=1 * MM,
                    spaceAfter=0.5 * MM),
        "plan": style("plan", fontName="PlannerSerif-Italic", spaceAfter=0.5 * MM),
        "qr": style("qr", fontName="PlannerSerif-Bold", fontSize=7.5, leading=9, alignment=TA_CENTER),
        "url": style("url", fontSize=6, leading=6.6, alignment=TA_CENTER, wordWrap="CJK"),
        "th": style("th", fontName="PlannerSerif-Bold", fontSize=9, leading=10.8, alignment=TA_CENTER),
        "mid": style("mid", alignment=TA_CENTER),
        "empty": style("empty", fontName="PlannerSerif-Italic", alignment=TA_CENTER),
        "generated": style("generated", fontName="PlannerSerif-Italic", fontSize=8.5, leading=10.2),
        "role": style("role", fontName="PlannerSerif-Bold", alignment=TA_CENTER),
        "hint": style("hint", fontName="PlannerSerif-Italic", fontSize=9, leading=10.8, alignment=TA_CENTER),
    }


def _nfc(text) -> str:
    return unicodedata.normalize("NFC", str(text or ""))


def _p(text: str, style: str) -> Paragraph:
    return Paragraph(escape(_nfc(text)), styles()[style])


def unsupported(texts) -> list[str]:
    """Characters of these texts that the bundled fonts cannot draw (spaces and controls aside)."""
    coverage = docs.bundled_coverage()
    return sorted({ch for text in texts for ch in _nfc(text)
                   if ord(ch) not in coverage and unicodedata.category(ch)[0] not in "ZC"})


def _texts(villages: list[dict], *fields: str):
    yield from fields
    for village in villages:
        yield village["unit_name"]
        yield village["confirm_url"]
        for sheet in village["sheets"]:
            yield sheet["period_label"]
            for day in sheet["days"]:
                yield day["date"]
                yield day["weekday"]
                for row in day["rows"]:
                    yield from (row["session"], row["title"], row["note"], row["duration"], *row["marks"])


# --- drawn pieces ------------------------------------------------------------------------------

class _QrImage(pdfdoc.PDFImageXObject):
    """The QR as a 1-bit image of one pixel per module (quiet zone included), drawn without smoothing."""

    def __init__(self, name: str, matrix):
        self.name, self.mask = name, None
        side = len(matrix) + 8
        blank = bytes((side + 7) // 8 * [0xFF])
        rows = [blank] * 4
        for row in matrix:
            bits = [1] * 4 + [0 if m else 1 for m in row] + [1] * 4
            bits += [1] * (-len(bits) % 8)
            rows.append(bytes(int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8)))
        rows += [blank] * 4
        self.width = self.height = side
        self.streamContent = zlib.compress(b"".join(rows))

    def format(self, document):
        stream = pdfdoc.PDFStream(content=self.streamContent)
        entries = stream.dictionary
        entries["Type"], entries["Subtype"] = pdfdoc.PDFName("XObject"), pdfdoc.PDFName("Image")
        entries["Width"], entries["Height"], entries["BitsPerComponent"] = self.width, self.height, 1
        entries["ColorSpace"] = pdfdoc.PDFName("DeviceGray")
        entries["Interpolate"] = pdfdoc.PDFfalse
        entries["Filter"] = pdfdoc.PDFArray([pdfdoc.PDFName("FlateDecode")])
        entries["Length"] = len(self.streamContent)
        return stream.format(document)


class QrCode(Flowable):
    """A village's QR code, one image XObject per document however many pages show it."""

    def __init__(self, url: str, size: float = QR_SIZE):
        super().__init__()
        self.url, self.width, self.height = url, size, size

    def draw(self):
        import segno

        canvas = self.canv
        name = "qr" + hashlib.sha1(self.url.encode()).hexdigest()[:16]
        reg = canvas._doc.getXObjectName(name)
        if reg not in canvas._doc.idToObject:
            image = _QrImage(name, segno.make(self.url, error="m", mask=print_roster.QR_MASK).matrix)
            canvas._setXObjects(image)
            canvas._doc.Reference(image, reg)
            canvas._doc.addForm(name, image)
        canvas.saveState()
        canvas.scale(self.width, self.height)
        canvas._code.append(f"/{reg} Do")
        canvas.restoreState()
        canvas._formsinuse.append(name)


class Lines(Flowable):
    """Text cut into lines once, at a known width, and drawn line by line: the table's cells (title and note,
    the date) without Paragraph's markup machinery, which was most of a page's cost. Each part is (text, font,
    size, leading); lines break at spaces (a word longer than the width keeps its line, as a Paragraph)."""

    def __init__(self, parts: list[tuple[str, str, float, float]], width: float):
        super().__init__()
        self.parts = [(simpleSplit(_nfc(text), font, size, width) or [""], font, size, leading)
                      for text, font, size, leading in parts if text]
        self.width = width
        self.height = sum(len(lines) * leading for lines, _f, _s, leading in self.parts)

    def wrap(self, _available_width, _available_height):
        return self.width, self.height

    def draw(self):
        canvas, top = self.canv, self.height
        for lines, font, size, leading in self.parts:
            canvas.setFont(font, size)
            y = top - size
            for line in lines:
                canvas.drawString(0, y, line)
                y -= leading
            top -= len(lines) * leading


class DottedLine(Flowable):
    def __init__(self, width: float, inset: float):
        super().__init__()
        self.width, self.height, self.inset = width, 0.6, inset

    def draw(self):
        self.canv.setLineWidth(0.6)
        self.canv.setDash(0.6, 1.2)
        self.canv.line(self.inset, 0, self.width - self.inset, 0)


class SheetStart(Flowable):
    """Zero-size marker at the top of a sheet: tells the page footer whose sheet this is and records on
    which page each village starts."""

    def __init__(self, village: int, footer: str):
        super().__init__()
        self.village, self.footer, self.width, self.height = village, footer, 0, 0

    def draw(self):
        doc = self.canv._roster_doc
        doc.footer = self.footer
        page = self.canv.getPageNumber()
        if self.village not in doc.village_start:
            doc.village_start[self.village] = page


# --- layout ------------------------------------------------------------------------------------

def _header(village: dict, sheet: dict, commune_name: str, plan_title: str) -> Table:
    s = styles()
    left = [_p(commune_name.upper(), "commune"),
            _p(f"LỊCH PHÁT THANH TRÊN HỆ THỐNG LOA – {_nfc(village['unit_name']).upper()}", "h1"),
            _p(plan_title, "plan"),
            Paragraph(f"Thôn/tổ dân phố: <b>{escape(_nfc(village['unit_name']))}</b><br/>"
                      f"Thời gian: {escape(_nfc(sheet['period_label']))}", s["base"])]
    right = [QrCode(village["confirm_url"]), Spacer(0, 0.5 * MM), _p("Quét mã để xác nhận đã phát", "qr"),
             _p(village["confirm_url"], "url")]
    table = Table([[left, right]], colWidths=[WIDTH - QR_COLUMN, QR_COLUMN])
    table.setStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("FONTNAME", (0, 0), (-1, -1), "PlannerSerif"),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2 * MM)])
    return table


def _signature(generated_at_label: str) -> Table:
    sign_width = 62 * MM
    left = _p(f"Lập lúc {generated_at_label}. Sau mỗi buổi phát, đánh dấu và ký vào cột “Đã phát”, hoặc quét mã "
              "QR để xác nhận trên điện thoại.", "generated")
    right = [_p("TRƯỞNG THÔN", "role"), _p("(Ký, ghi rõ họ tên)", "hint"), Spacer(0, 13 * MM),
             DottedLine(sign_width, 8 * MM)]
    table = Table([[left, "", right]], colWidths=[100 * MM, WIDTH - 100 * MM - sign_width, sign_width])
    table.setStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("FONTNAME", (0, 0), (-1, -1), "PlannerSerif"),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("TOPPADDING", (0, 0), (-1, -1), 0),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 0)])
    return table


FRAME_HEIGHT = A4[1] - MARGIN_TOP - MARGIN_BOTTOM
ROW_PADDING = 1.5 * MM + RULE
KEEP_HEIGHT = FRAME_HEIGHT - 40  # a page less the repeated header row (two lines) and a margin
LAST_KEEP_HEIGHT = KEEP_HEIGHT - 80  # and less the signature kept with the last day


def _fits(contents: list[Lines], height: float, least: float = 24) -> bool:
    """Whether rows of these contents fit `height` (a row is at least `least` high: the date's two lines)."""
    return sum(max(content.height, least) + ROW_PADDING for content in contents) <= height


def _table(sheet: dict, generated_at_label: str) -> Table:
    s = styles()
    content_width = WIDTH - sum(w for w in COLUMNS if w)
    widths = [w or content_width for w in COLUMNS]
    data = [[Paragraph(h, s["th"]) for h in ("Ngày", "Buổi", "Nội dung", "Thời lượng", "Đã phát (ký)")]]
    commands = [("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 1.2 * MM), ("RIGHTPADDING", (0, 0), (-1, -1), 1.2 * MM),
                ("TOPPADDING", (0, 0), (-1, -1), 0.6 * MM), ("BOTTOMPADDING", (0, 0), (-1, -1), 0.9 * MM),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEEEEE")),
                ("LEFTPADDING", (0, 0), (-1, 0), 0.5 * MM), ("RIGHTPADDING", (0, 0), (-1, 0), 0.5 * MM),
                ("TOPPADDING", (0, 0), (-1, 0), 1 * MM), ("BOTTOMPADDING", (0, 0), (-1, 0), 1.3 * MM),
                ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
                ("FONTNAME", (0, 0), (-1, -1), "PlannerSerif"), ("FONTSIZE", (0, 1), (-1, -1), 10),
                ("LEADING", (0, 1), (-1, -1), 12), ("ALIGN", (3, 1), (3, -1), "CENTER")]
    text_width = content_width - 2.4 * MM
    last_first = 1
    for number, day in enumerate(sheet["days"]):
        first, contents = len(data), []
        for row in day["rows"]:
            marks = "".join(f"[{m}] " for m in row["marks"])
            contents.append(Lines([(marks + _nfc(row["title"]), "PlannerSerif-Bold", 10, 11.5),
                                   (row["note"], "PlannerSerif", 8, 9.2)], text_width))
        # A day's rows stay on one page (its date cell spans them) unless they cannot fit one: then each row
        # names its date and the day may break between rows.
        together = _fits(contents, KEEP_HEIGHT if number < len(sheet["days"]) - 1 else LAST_KEEP_HEIGHT)
        label = [(day["weekday"], "PlannerSerif-Bold", 10, 12), (day["date"], "PlannerSerif", 10, 12)]
        for n, (row, content) in enumerate(zip(day["rows"], contents)):
            day_cell = Lines(label, COLUMNS[0] - 2.4 * MM) if n == 0 or not together else ""
            data.append([day_cell, _nfc(row["session"]), content, _nfc(row["duration"]), ""])  # one line each
        last = len(data) - 1
        if together:
            commands += [("SPAN", (0, first), (0, last)), ("NOSPLIT", (0, first), (-1, last))]
        last_first = first if together else last
    if not sheet["days"]:
        data.append([_p("Chưa có buổi phát nào trong kỳ này.", "empty"), "", "", "", ""])
        commands.append(("SPAN", (0, len(data) - 1), (-1, len(data) - 1)))
    rows_end = len(data) - 1
    first_of_last_day = last_first if sheet["days"] else len(data) - 1
    data.append([_signature(generated_at_label), "", "", "", ""])
    sign = len(data) - 1
    commands += [("GRID", (0, 0), (-1, rows_end), RULE, colors.black),
                 ("SPAN", (0, sign), (-1, sign)), ("NOSPLIT", (0, first_of_last_day), (-1, sign)),
                 ("LEFTPADDING", (0, sign), (-1, sign), 0), ("RIGHTPADDING", (0, sign), (-1, sign), 0),
                 ("TOPPADDING", (0, sign), (-1, sign), 2.5 * MM), ("BOTTOMPADDING", (0, sign), (-1, sign), 0)]
    return Table(data, colWidths=widths, repeatRows=1, style=commands)


class _RosterDoc(BaseDocTemplate):
    def __init__(self, buffer, **kw):
        super().__init__(buffer, pagesize=A4, leftMargin=MARGIN_LEFT, rightMargin=MARGIN_RIGHT,
                         topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM, creator="planner",
                         initialFontName="PlannerSerif", initialFontSize=10, initialLeading=12, **kw)
        frame = Frame(MARGIN_LEFT, MARGIN_BOTTOM, WIDTH, A4[1] - MARGIN_TOP - MARGIN_BOTTOM, id="body",
                      leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
        self.addPageTemplates([PageTemplate(id="roster", frames=[frame], onPage=self._bind,
                                            onPageEnd=self._footer)])
        self.footer, self.village_start, self.current_village = "", {}, 0

    def _bind(self, canvas, _doc):
        canvas._roster_doc = self

    def _footer(self, canvas, _doc):
        page = canvas.getPageNumber()
        starts = [(p, v) for v, p in self.village_start.items() if p <= page]
        first = max(starts)[0] if starts else 1
        canvas.saveState()
        canvas.setFont("PlannerSerif-Italic", 8.5)
        y = MARGIN_BOTTOM - 8.5 * MM
        canvas.drawString(MARGIN_LEFT, y, self.footer)
        canvas.setFont("PlannerSerif", 8.5)
        canvas.drawRightString(A4[0] - MARGIN_RIGHT, y, f"Trang {page - first + 1}")
        canvas.restoreState()


_tag_lock = threading.Lock()


@contextlib.contextmanager
def _subset_tags(seed: str):
    """Font subset tags ("ABCDEF+LiberationSerif") drawn from `seed` instead of reportlab's AAAAAA, AAAAAB…:
    a batch's commune PDF joins several drawn documents, and the PDF spec wants different subsets in one file to
    have different tags (a viewer or RIP may otherwise take one subset's glyphs for another's)."""
    def tag(n: int) -> bytes:
        digest = hashlib.sha256(f"{seed}\n{n}".encode()).digest()
        return bytes(65 + b % 26 for b in digest[:6])

    with _tag_lock:
        original, ttfonts.SUBSETN = ttfonts.SUBSETN, tag
        try:
            yield
        finally:
            ttfonts.SUBSETN = original


def render(villages: list[dict], *, commune_name: str, plan_title: str, generated_at_label: str,
           pdf_title: str) -> tuple[bytes, int, list[tuple[int, int]]]:
    """The rosters of these villages as one PDF: (data, pages, each village's (first, end) page, 0-based)."""
    missing = unsupported(_texts(villages, commune_name, plan_title, generated_at_label))
    if missing:
        shown = ", ".join(f"“{ch}” (U+{ord(ch):04X})" for ch in missing[:5])
        raise docs.PrintError(f"Phông chữ đi kèm không có ký tự {shown}; hãy bỏ hoặc thay các ký tự đó.")
    if any(not v["confirm_url"] for v in villages):
        raise docs.PrintError("Lịch phát thanh cần đường dẫn xác nhận cho mã QR.")
    styles()
    story: list = []
    for index, village in enumerate(villages):
        for sheet in village["sheets"]:
            if story:
                story.append(PageBreak())
            story += [SheetStart(index, f"{_nfc(village['unit_name'])} · {_nfc(sheet['period_label'])}"),
                      _header(village, sheet, commune_name, plan_title), _table(sheet, generated_at_label)]
    buffer = io.BytesIO()
    doc = _RosterDoc(buffer, title=_nfc(pdf_title), author=_nfc(commune_name), subject=_nfc(plan_title))
    seed = "\n".join([pdf_title] + [v["confirm_url"] for v in villages])
    try:
        with _subset_tags(seed):
            doc.build(story)
    except LayoutError as exc:  # a row taller than a page (never in practice: notes are clipped)
        problem = f"Không dựng được lịch phát thanh: một dòng không vừa một trang A4 ({exc})"
        raise docs.PrintError(problem[:300]) from exc
    pages = doc.page
    starts = [doc.village_start[i] - 1 for i in range(len(villages))]
    ranges = [(start, end) for start, end in zip(starts, starts[1:] + [pages])]
    return buffer.getvalue(), pages, ranges
