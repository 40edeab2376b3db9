"""WeasyPrint rendering of print products and reports, with bundled fonts and no outside access; rosters are
drawn with reportlab (planner.roster_pdf) from the same data their HTML (print/roster.html) shows.

Independent of Flask: the worker and the CLI call it without a request. WeasyPrint is imported on
the first render; one FontConfiguration is shared by the process and renders are serialised.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from planner import pdfx
from planner import print_content as content
from planner import print_documents as docs
from planner import print_roster
from planner.print_preflight import check_layout
from planner.print_documents import (  # noqa: F401  (public API, defined with the pure layout)
    BLEED_MM, CHANNELS, FONTS_DIR, PRODUCTS, PrintError, PrintProduct, format_document_date, page_scale,
    product_size,
)
from planner.print_content import layout_for, product_fit_problem, products_for  # noqa: F401  (public API)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
FONT_URL_PREFIX = "planner-font:"  # print/base.html names bundled fonts as planner-font:FILE.ttf
BUNDLED_FAMILIES = frozenset({"Planner Serif", "Planner Sans"})  # its @font-face families
_FONT_NAME_RE = re.compile(r"[A-Za-z0-9_-]+\.(?:ttf|otf|woff2?)")


@dataclass(frozen=True)
class RenderedPdf:
    """A rendered PDF. trim_mm is the ordered size; at scale 10 the pages measure trim_mm / 10."""

    data: bytes
    pages: int
    scale: int
    trim_mm: tuple[float, float]
    filename: str


# --- templates -------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def template_env() -> jinja2.Environment:
    """The print templates' own Jinja environment (autoescaped, strict), independent of Flask."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(("html",), default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["mm"] = lambda value: f"{docs.format_mm(value)}mm"
    env.globals["font_url"] = lambda name: FONT_URL_PREFIX + name
    env.globals["press_palette"] = pdfx.palette_css  # CMYK custom properties (print/_content.css)
    env.filters["cmyk"] = pdfx.hex_to_css_cmyk  # an ordered #RRGGBB colour as device-cmyk()
    return env


def render_template(name: str, **context) -> str:
    """HTML of one print template (used for rendering, previews and golden tests)."""
    return template_env().get_template(name).render(**context)


# --- WeasyPrint ------------------------------------------------------------------------------

_render_lock = threading.Lock()  # one shared FontConfiguration; WeasyPrint is not thread-safe


@functools.lru_cache(maxsize=1)
def _weasyprint():
    """Import WeasyPrint once (≈0.8 s) and build the process-wide FontConfiguration."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class RestrictedFetcher(URLFetcher):
        """Fetch only data: URIs, bundled fonts (planner-font:NAME) and the bundled ICC profile; refuse the rest."""

        def __init__(self):
            super().__init__(timeout=5, allowed_protocols={"data"}, allow_redirects=False)
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if url.startswith(FONT_URL_PREFIX):
                name = url[len(FONT_URL_PREFIX):]
                path = FONTS_DIR / name
                if _FONT_NAME_RE.fullmatch(name) and path.is_file():
                    return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": "font/ttf"})
            elif url.startswith(pdfx.ICC_URL_PREFIX):
                data = pdfx.icc_bytes(url[len(pdfx.ICC_URL_PREFIX):])
                if data is not None:
                    return URLFetcherResponse(url, data, {"Content-Type": "application/vnd.iccprofile"})
            elif url[:5].lower() == "data:":
                return super().fetch(url, headers)
            self.refused.append(url)
            raise ValueError(f"refused by planner.printing: {url[:200]}")

    return weasyprint, FontConfiguration(), RestrictedFetcher


def restricted_fetcher():
    """A new restricted URL fetcher (it records the URLs it refused)."""
    return _weasyprint()[2]()


class _ProblemCollector(logging.Handler):
    """Collects WeasyPrint warnings and errors from the rendering thread."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.messages: list[tuple[int, str]] = []

    def emit(self, record):
        if record.thread == self.thread:
            self.messages.append((record.levelno, record.getMessage()))


def _check_problems(messages, refused, fonts) -> None:
    if refused:
        raise PrintError("Tài liệu tham chiếu tài nguyên bên ngoài (không được phép): " + ", ".join(refused[:3]))
    for level, message in messages:
        if ".notdef" in message or "glyph" in message.lower():
            char = re.search(r'"(.+?)" \((U\+[0-9A-F]+)\)', message)
            shown = f"“{char.group(1)}” ({char.group(2)})" if char else ""
            raise PrintError(f"Phông chữ đi kèm không có ký tự {shown}; hãy bỏ hoặc thay các ký tự đó.")
        if "Font-face" in message or level >= logging.ERROR:
            raise PrintError(f"Không dựng được bản in: {message[:200]}")
    stray = sorted({font.family for font in fonts if font.family not in BUNDLED_FAMILIES})
    if stray:
        raise PrintError("Phông chữ đi kèm không có một số ký tự (bản in sẽ phải dùng phông của máy: "
                         f"{', '.join(stray)}); hãy bỏ các ký tự đặc biệt như biểu tượng cảm xúc.")


def _bleed_box_finisher(bleed_mm: float):
    """A write_pdf finisher that sets each page's BleedBox to TrimBox + bleed_mm.

    Print products add a slug (for marks) outside the bleed, so the CSS `bleed` is bleed + slug and
    WeasyPrint would put the BleedBox up to 10 pt out; the shop must see exactly the 3 mm bleed.
    """
    import pydyf

    def finish(document, pdf):
        delta = bleed_mm * 72 / 25.4
        for obj in pdf.objects:
            if isinstance(obj, pydyf.Dictionary) and obj.get("Type") == "/Page" and "TrimBox" in obj:
                x0, y0, x1, y1 = (float(v) for v in obj["TrimBox"])
                obj["BleedBox"] = pydyf.Array([min(x0, x1) - delta, min(y0, y1) - delta,
                                               max(x0, x1) + delta, max(y0, y1) + delta])
    return finish


def html_to_pdf(html: str, *, layout_scale: int | None = None, max_pages: int | None = None,
                bleed_mm: float | None = None, pdf_variant: str | None = None,
                with_anchors: bool = False):
    """Render print HTML to PDF bytes and page count; missing glyphs and outside URLs raise PrintError.

    With `pdf_variant` ("pdf/x-4" or "pdf/x-1a", see planner.pdfx) the file is PDF/X: DeviceCMYK means the
    bundled profile, which becomes the output intent. Without it the PDF is an ordinary (office) PDF.

    With `layout_scale` (a print product's drawing scale), text past the safe area or over other text
    raises PrintError too, before any PDF is written. With `max_pages`, a longer layout raises
    LayoutError at once (no PDF is written for a size that will be retried smaller). With `bleed_mm`,
    the BleedBox is the TrimBox plus that much (the page itself may be larger: the slug). With `with_anchors`,
    a third item lists each page's element ids (rosters find each village's pages by them).
    """
    missing = docs.unsupported_characters(html)
    if missing:
        shown = ", ".join(f"“{ch}” (U+{ord(ch):04X})" for ch in missing[:5])
        raise PrintError(f"Phông chữ đi kèm không có ký tự {shown}; hãy bỏ hoặc thay các ký tự đó.")
    weasyprint, font_config, fetcher_class = _weasyprint()
    fetcher = fetcher_class()
    collector = _ProblemCollector()
    logger = logging.getLogger("weasyprint")
    with _render_lock:
        level = logger.level
        if logger.getEffectiveLevel() > logging.WARNING:  # an app's logging setup must not hide tofu
            logger.setLevel(logging.WARNING)
        logger.addHandler(collector)
        try:
            options = pdfx.render_options(pdf_variant)
            color_profiles: dict = {}  # filled by the @color-profile rule of a PDF/X render
            sheets = [weasyprint.CSS(string=pdfx.profile_css(), url_fetcher=fetcher,
                                     color_profiles=color_profiles)] if options else []
            document = weasyprint.HTML(string=html, url_fetcher=fetcher).render(
                font_config=font_config, stylesheets=sheets, color_profiles=color_profiles, **options)
            if max_pages is not None and len(document.pages) > max_pages:
                raise LayoutError(f"{len(document.pages)} trang", pages=len(document.pages))
            if layout_scale is not None:
                problems = check_layout(document, scale=layout_scale)
                if problems:
                    more = f" (và {len(problems) - 2} chỗ khác)" if len(problems) > 2 else ""
                    raise LayoutError(" ".join(problems[:2]) + more, pages=len(document.pages))
            bleed_finisher = _bleed_box_finisher(bleed_mm) if bleed_mm else None

            def finish(doc, pdf):
                if bleed_finisher:
                    bleed_finisher(doc, pdf)
                if options:
                    pdfx.rgb_to_cmyk_finisher(doc, pdf)

            data = document.write_pdf(finisher=finish, **options)
            anchors = [set(page.anchors) for page in document.pages] if with_anchors else None
        finally:
            logger.removeHandler(collector)
            logger.setLevel(level)
    _check_problems(collector.messages, fetcher.refused, document.fonts.values())
    return (data, len(document.pages), anchors) if with_anchors else (data, len(document.pages))


class LayoutError(PrintError):
    """Text outside the safe area or over other text; `pages` is how many pages the layout took."""

    def __init__(self, message: str, *, pages: int):
        super().__init__(message)
        self.pages = pages


# --- documents -------------------------------------------------------------------------------

_QR_DARK = "#010203"  # a placeholder segno accepts, replaced by the real colour in the SVG


def _qr_data_uri(url: str, dark: str = "#000000") -> str:
    """The QR code as a vector SVG data URI; `dark` may be any CSS colour, e.g. device-cmyk(0 0 0 1)."""
    import base64
    import io

    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=1, border=4, dark=_QR_DARK, xmldecl=False)
    # fill="none": the modules are strokes; without it the SVG default fill would be set as RGB black.
    svg = out.getvalue().decode().replace(f'stroke="{_QR_DARK}"', f'fill="none" stroke="{dark}"')
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _qr_png_data_uri(url: str) -> str:
    """The QR code as a PNG of one pixel per module (drawn with sharp edges: `image-rendering: pixelated`).

    Rosters use it: WeasyPrint draws a vector QR as hundreds of sub-paths on every page (≈ 10 % of a roster's
    render), an image is one XObject; black and white modules lose nothing at any size."""
    import base64
    import io

    import segno

    out = io.BytesIO()
    segno.make(url, error="m", mask=print_roster.QR_MASK).save(out, kind="png", scale=1, border=4)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


PRODUCT_FITS = {"leaflet": (1.0, 0.92, 0.85, 0.78), "poster": (1.0, 0.88, 0.76, 0.65, 0.55), "banner": (1.0,),
                "trifold": (1.0, 0.9, 0.8, 0.72)}
MAX_PAGES = {"leaflet": 2, "poster": 1, "banner": 1, "trifold": 2}


def print_product_html(*, fit: float = 1.0, **kwargs) -> str:
    """HTML of a print product (same arguments as render_print_product); fit scales the type."""
    ctx = docs.product_context(**kwargs)
    if ctx["channel"] == "banner":
        # A banner prints its approved body (the slogan), never the title.
        ctx.update(docs.banner_layout(content.slogan_text(ctx["body_html"]), ctx))
    elif ctx["channel"] == "trifold":
        ctx.update(trifold_context(ctx, fit))
    else:
        # Type and margins follow the sheet: 10.5 pt on A5, ×4 on A1.
        k = min(ctx["page_w"] / 148, ctx["page_h"] / 210)
        ctx["base_pt"] = round(10.5 * k * fit, 2)
        ctx["margin"] = 11 * k
        # body_html is sanitised HTML from planner.markup.render_markdown (the caller's duty).
        ctx["lead"], ctx["rest"] = (Markup(part) for part in content.split_lead(ctx["body_html"], ctx["title"]))
        qr_url = ctx["meta"].get("qr_url")
        ctx["qr"] = _qr_data_uri(qr_url, pdfx.css_cmyk(pdfx.PALETTE["ink"])) if qr_url else ""
    return render_template(f"print/{ctx['channel']}.html", **ctx)


def trifold_context(ctx: dict, fit: float) -> dict:
    """Panels, type size, lead/body and QR of the A4 tri-fold leaflet (print/trifold.html)."""
    qr_url = ctx["meta"].get("qr_url")
    lead, rest = content.split_lead(ctx["body_html"], ctx["title"])
    # body_html is sanitised HTML from planner.markup.render_markdown (the caller's duty).
    return {"base_pt": round(11 * fit, 2), "margin": 8.0, "outside": docs.TRIFOLD_OUTSIDE,
            "inside": docs.TRIFOLD_INSIDE, "folds": docs.trifold_folds(), "lead": Markup(lead),
            "rest": Markup(rest), "qr": _qr_data_uri(qr_url) if qr_url else ""}


def render_print_product(*, product: str, width_mm: float, height_mm: float, title: str, body_html: str,
                         channel: str, meta: dict, pdf_variant: str = pdfx.DEFAULT_VARIANT) -> RenderedPdf:
    """A print-ready PDF/X: trim = ordered size, 3 mm bleed, CMYK with output intent, fonts embedded; 1:10
    when too large."""
    kwargs = dict(product=product, width_mm=width_mm, height_mm=height_mm, title=title,
                  body_html=body_html, channel=channel, meta=dict(meta or {}))
    ctx = docs.product_context(**kwargs)
    limit = MAX_PAGES[channel]
    layout_error = None
    for fit in PRODUCT_FITS[channel]:  # smaller type until it fits the pages and the safe area
        try:
            data, pages = html_to_pdf(print_product_html(fit=fit, **kwargs), layout_scale=ctx["scale"],
                                      max_pages=limit, bleed_mm=ctx["bleed"], pdf_variant=pdf_variant)
        except LayoutError as exc:
            layout_error, pages = exc, exc.pages
            continue
        if pages <= limit:
            return RenderedPdf(data, pages, ctx["scale"], ctx["trim"], ctx["filename"])
    if layout_error is not None and layout_error.pages <= limit:
        raise PrintError(f"Không dựng được {_lower_first(ctx['label'])} đúng khổ: {layout_error} "
                         "Hãy rút gọn nội dung hoặc chọn khổ lớn hơn.")
    raise PrintError(f"Nội dung quá dài cho {_lower_first(ctx['label'])}: cần {pages} trang, tối đa {limit}. "
                     "Hãy rút gọn nội dung.")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def roster_village(*, unit_name: str, rows: list[dict], confirm_url: str, first=None, last=None,
                   period_label: str = "", html: bool = True) -> dict:
    """One village of a roster document: its week sheets (see print_roster.roster_weeks) and its QR (a PNG
    data URI for the HTML roster; the PDF roster draws it itself, so `html=False` leaves it out)."""
    if not confirm_url:
        raise PrintError("Lịch phát thanh cần đường dẫn xác nhận cho mã QR.")
    return {"unit_name": unit_name, "confirm_url": confirm_url, "qr": _qr_png_data_uri(confirm_url) if html else "",
            "sheets": print_roster.roster_weeks(rows, first, last, period_label)}


def roster_batch_html(*, villages: list[dict], commune_name: str, plan_title: str, generated_at_label: str,
                      pdf_title: str) -> str:
    """HTML of the rosters of several villages (roster_village() each), every sheet on its own page."""
    return render_template("print/roster.html", villages=villages, commune_name=commune_name,
                           plan_title=plan_title, generated_at_label=generated_at_label, pdf_title=pdf_title,
                           pdf_author=commune_name, pdf_subject=plan_title, pdf_keywords="")


def roster_html(*, unit_name: str, commune_name: str, plan_title: str, period_label: str, rows: list[dict],
                confirm_url: str, generated_at_label: str, first=None, last=None) -> str:
    """HTML of one village's broadcast roster (see render_roster)."""
    village = roster_village(unit_name=unit_name, rows=rows, confirm_url=confirm_url, first=first, last=last,
                             period_label=period_label)
    return roster_batch_html(villages=[village], commune_name=commune_name, plan_title=plan_title,
                             generated_at_label=generated_at_label,
                             pdf_title=f"Lịch phát thanh – {unit_name} – {period_label}")


def render_roster(*, unit_name: str, commune_name: str, plan_title: str, period_label: str, rows: list[dict],
                  confirm_url: str, generated_at_label: str, first=None, last=None) -> RenderedPdf:
    """A4 broadcast roster for one village: a sheet per week (with first/last), QR to confirm_url, a column to
    sign. Drawn with reportlab (planner.roster_pdf), not WeasyPrint; roster_html() is the same content as HTML."""
    village = roster_village(unit_name=unit_name, rows=rows, confirm_url=confirm_url, first=first, last=last,
                             period_label=period_label, html=False)
    data, pages, _ = render_roster_villages(
        [village], commune_name=commune_name, plan_title=plan_title, generated_at_label=generated_at_label,
        pdf_title=f"Lịch phát thanh – {unit_name} – {period_label}")
    name = f"lich-phat-thanh_{docs.slugify(unit_name, 40)}_{docs.slugify(period_label, 30)}.pdf"
    return RenderedPdf(data, pages, 1, (210.0, 297.0), name)


def render_roster_villages(villages: list[dict], *, commune_name: str, plan_title: str, generated_at_label: str,
                           pdf_title: str) -> tuple[bytes, int, list[tuple[int, int]]]:
    """Several villages' rosters (roster_village(html=False) each) as one PDF: (data, pages, each village's
    (first, end) page range, 0-based)."""
    from planner import roster_pdf

    return roster_pdf.render(villages, commune_name=commune_name, plan_title=plan_title,
                             generated_at_label=generated_at_label, pdf_title=pdf_title)


ROSTER_LAYOUT = (Path(__file__).resolve().parent / "roster_pdf.py",
                 Path(__file__).resolve().parent / "print_roster.py")


@functools.lru_cache(maxsize=1)
def _roster_layout_digest() -> str:
    return hashlib.sha256(b"".join(path.read_bytes() for path in ROSTER_LAYOUT)).hexdigest()


def roster_content_key(**context) -> str:
    """SHA-256 naming a roster's content and layout: the same key is the same PDF (a cache key and an ETag)."""
    text = json.dumps(context, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256((_roster_layout_digest() + text).encode()).hexdigest()


def report_html(doc: dict) -> str:
    """HTML of an official report (see render_report)."""
    ctx = docs.report_context(doc)
    return render_template("print/report.html", **ctx, pdf_title=f"{ctx['title'].capitalize()} {ctx['subject']}",
                           pdf_author=doc["agency"], pdf_subject=ctx["period_label"], pdf_keywords=ctx["number"])


def render_report(doc: dict) -> RenderedPdf:
    """An official report laid out per Decree 30/2020/NĐ-CP (A4, Times-compatible serif)."""
    data, pages = html_to_pdf(report_html(doc))
    name = f"bao-cao_{docs.slugify(doc['number'], 30)}_{doc['date']:%Y-%m-%d}.pdf"
    return RenderedPdf(data, pages, 1, (210.0, 297.0), name)


def render_to_png_pages(pdf: bytes, dpi: int = 50, *, scale_to: int | None = None) -> list[bytes]:
    """PNG images of each page through poppler's pdftoppm (proof previews, tests, visual checks).

    `scale_to` fits each page's longest side to that many pixels instead of a fixed dpi (a 5 m banner).
    """
    if shutil.which("pdftoppm") is None:
        raise PrintError("Không tìm thấy pdftoppm (gói poppler-utils).")
    with tempfile.TemporaryDirectory(prefix="planner-png-") as tmp:
        source = Path(tmp, "in.pdf")
        source.write_bytes(pdf)
        size = ["-scale-to", str(scale_to)] if scale_to else ["-r", str(dpi)]
        subprocess.run(["pdftoppm", *size, "-png", str(source), str(Path(tmp, "page"))],
                       check=True, capture_output=True, timeout=60)
        return [path.read_bytes() for path in sorted(Path(tmp).glob("page-*.png"),
                                                    key=lambda p: int(p.stem.rsplit("-", 1)[1]))]



def render_job_ticket(ctx: dict) -> RenderedPdf:
    """An order's job ticket (A4, first page) followed by one delivery note per village to sign."""
    html = render_template("print/job_ticket.html", **ctx, pdf_title=f"Phiếu in {ctx['number']}",
                           pdf_author=ctx["ordering_unit"], pdf_subject=ctx["title"], pdf_keywords=ctx["number"])
    data, pages = html_to_pdf(html)
    return RenderedPdf(data, pages, 1, (210.0, 297.0), f"phieu-in_{ctx['number'].lower()}.pdf")
