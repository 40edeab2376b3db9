"""Every print product of the seed plans is PDF/X-4 for the print shop, checked with independent readers:
pikepdf for the output intent, version keys, boxes and the colours in the content streams, poppler's
pdffonts for embedded fonts. Office documents (rosters) stay ordinary RGB PDFs.
"""
from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from decimal import Decimal
from pathlib import Path

import pikepdf
import pytest

from planner import pdfx, printing
from planner import print_content as content
from planner.library import load_library
from planner.markup import render_markdown
from planner.print_documents import BLEED_MM, PRODUCTS, PrintError
from planner.print_preflight import check_pdf, pdfx_problems

ROOT = Path(__file__).resolve().parents[2]
PT_PER_MM = 72 / 25.4
CUSTOM_SIZE_MM = (800, 1200)
META = {"issuer": "UBND xã Ngọc Lặc", "plan_number": "45/KH-UBND", "order_number": "DI-00001", "quantity": 500,
        "qr_url": "https://ngoclac.example.vn/asxh"}
PROFILE = (pdfx.ICC_DIR / pdfx.PROFILE_FILE).read_bytes()
PALETTE = {tuple(Decimal(str(round(v, 3))) for v in cmyk) for cmyk in pdfx.PALETTE.values()}
K_ONLY_BLACK = (Decimal(0), Decimal(0), Decimal(0), Decimal(1))


def _seed_messages():
    return [m for m in load_library(ROOT / "content_library").messages if content.products_for(m.channel)]


def _cases() -> list[tuple[str, str]]:
    """(message code, product): every product at least once and every seed print message at least once."""
    messages = _seed_messages()
    cases = []
    for product in PRODUCTS:
        fitting = [m for m in messages if product in content.products_for(m.channel)]
        if fitting:
            cases.append((fitting[0].code, product))
    covered = {code for code, _ in cases}
    cases += [(m.code, content.products_for(m.channel)[0]) for m in messages if m.code not in covered]
    return cases


CASES = _cases()
_rendered: dict = {}


def rendered(code: str, product: str, variant: str = pdfx.DEFAULT_VARIANT):
    """The product's PDF, rendered once per test session."""
    key = (code, product, variant)
    if key not in _rendered:
        message = next(m for m in _seed_messages() if m.code == code)
        width, height = CUSTOM_SIZE_MM if product == "custom" else (None, None)
        _rendered[key] = printing.render_print_product(
            product=product, width_mm=width, height_mm=height, title=content.public_headline(message),
            body_html=render_markdown(message.body_md), channel=content.layout_for(product, message.channel),
            meta=dict(META), pdf_variant=variant)
    return _rendered[key]


def test_the_cases_cover_every_product_and_every_seed_print_message():
    assert {product for _, product in CASES} == set(PRODUCTS)
    assert {code for code, _ in CASES} == {m.code for m in _seed_messages()}


# --- output intent and version ---------------------------------------------------------------

@pytest.mark.parametrize("code, product", CASES)
def test_product_is_pdfx4_with_the_bundled_cmyk_output_intent(code, product):
    pdf = pikepdf.open(io.BytesIO(rendered(code, product).data))
    intents = pdf.Root.OutputIntents
    assert len(intents) == 1
    intent = intents[0]
    assert intent.S == "/GTS_PDFX" and str(intent.OutputConditionIdentifier) == pdfx.PROFILE_CONDITION
    profile = intent.DestOutputProfile
    assert profile.N == 4 and profile.read_bytes() == PROFILE
    assert profile.read_bytes()[12:20] == b"prtrCMYK"  # an output profile whose colour space is CMYK
    xmp = bytes(pdf.Root.Metadata.read_bytes())
    assert re.search(rb"<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>", xmp)
    assert pdf.pdf_version == "1.6" and len(pdf.trailer.ID) == 2
    assert pdf.docinfo.Trapped == "/False" and str(pdf.docinfo.Title)


# --- boxes -----------------------------------------------------------------------------------

def _size(box) -> tuple[float, float]:
    return float(box[2] - box[0]), float(box[3] - box[1])


@pytest.mark.parametrize("code, product", CASES)
def test_trim_inside_bleed_inside_media_with_the_ordered_size_and_no_artbox(code, product):
    result = rendered(code, product)
    want_w, want_h = (v / result.scale * PT_PER_MM for v in result.trim_mm)
    bleed_pt = min(10, BLEED_MM / result.scale * PT_PER_MM)  # WeasyPrint keeps the BleedBox within 10 pt
    pdf = pikepdf.open(io.BytesIO(result.data))
    for page in pdf.pages:
        media, trim, bleed = (page.obj[name] for name in ("/MediaBox", "/TrimBox", "/BleedBox"))
        assert "/ArtBox" not in page.obj
        assert page.obj.get("/CropBox") in (None, media)
        assert _size(trim) == pytest.approx((want_w, want_h), abs=0.05)
        assert _size(bleed) == pytest.approx((want_w + 2 * bleed_pt, want_h + 2 * bleed_pt), abs=0.05)
        assert [float(v) for v in bleed[:2]] == pytest.approx([float(v) - bleed_pt for v in trim[:2]], abs=0.01)
        assert all(float(media[i]) <= float(bleed[i]) + 0.01 for i in (0, 1))
        assert all(float(media[i]) >= float(bleed[i]) - 0.01 for i in (2, 3))


# --- fonts -----------------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils (pdffonts) not installed")
@pytest.mark.parametrize("code, product", CASES)
def test_pdffonts_reports_every_font_embedded(code, product):
    with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
        handle.write(rendered(code, product).data)
        handle.flush()
        out = subprocess.run(["pdffonts", handle.name], check=True, capture_output=True, text=True).stdout
    rows = out.splitlines()[2:]
    assert rows, out
    for row in rows:
        emb = row[-25:].split()[0]  # columns: name type encoding emb sub uni object ID
        assert emb == "yes", row


# --- colours ---------------------------------------------------------------------------------

TEXT_OPERATORS = {"Tj", "TJ", "'", '"'}
DEVICE_DEPENDENT_NON_CMYK = {"rg", "RG", "g", "G"}


def _colours(stream_owner, resources, seen=None):
    """(fill colour of every text-showing operator, set of colour operators) of a page or form, recursively."""
    seen = seen if seen is not None else set()
    text_colours, operators = [], set()
    fill, stack = None, []
    for operands, operator in pikepdf.parse_content_stream(stream_owner):
        op = str(operator)
        operators.add(op)
        if op == "q":
            stack.append(fill)
        elif op == "Q":
            fill = stack.pop()
        elif op == "cs":
            assert str(operands[0]) == "/DeviceCMYK", f"fill colour space {operands[0]}"
        elif op == "CS":
            assert str(operands[0]) == "/DeviceCMYK", f"stroke colour space {operands[0]}"
        elif op in ("scn", "sc", "k"):
            assert len(operands) == 4, f"{op} with {len(operands)} components"
            fill = tuple(Decimal(str(round(float(v), 3))) for v in operands)
        elif op in TEXT_OPERATORS:
            text_colours.append(fill)
        elif op == "Do":
            xobject = resources.XObject[operands[0]]
            if xobject.Subtype == "/Form" and xobject.objgen not in seen:
                seen.add(xobject.objgen)
                inner_text, inner_ops = _colours(xobject, xobject.get("/Resources", resources), seen)
                text_colours += inner_text
                operators |= inner_ops
    return text_colours, operators


@pytest.mark.parametrize("code, product", CASES)
def test_colours_are_cmyk_from_the_palette_and_black_text_is_k_only(code, product):
    pdf = pikepdf.open(io.BytesIO(rendered(code, product).data))
    all_text = []
    for page in pdf.pages:
        text_colours, operators = _colours(page, page.Resources)
        assert not operators & DEVICE_DEPENDENT_NON_CMYK, operators & DEVICE_DEPENDENT_NON_CMYK
        assert None not in text_colours  # no text in the default (unmanaged) colour
        all_text += text_colours
    assert all_text and set(all_text) <= PALETTE, set(all_text) - PALETTE
    rich_black = [c for c in all_text if c[3] > Decimal("0.5") and min(c[:3]) > 0]
    assert not rich_black  # black and greys never use C, M and Y
    if content.layout_for(product, next(m for m in _seed_messages() if m.code == code).channel) != "banner":
        assert K_ONLY_BLACK in all_text  # body text is black as K only


def test_an_ordered_screen_colour_is_converted_to_cmyk_and_a_grey_to_black_only():
    assert pdfx.hex_to_cmyk("#DA251D") == pdfx.PALETTE["red"]
    assert pdfx.hex_to_cmyk("#808080") == (0, 0, 0, 0.498)
    assert pdfx.hex_to_cmyk("#444444") == pdfx.PALETTE["grey-80"]  # the screen grey the templates used
    c, m, y, k = pdfx.hex_to_cmyk("#1D4ED8")  # a blue through the FOGRA39 profile: mostly cyan
    assert c > 0.7 and y < 0.1
    result = printing.render_print_product(product="banner_3x1", width_mm=None, height_mm=None, title="Khẩu hiệu",
                                           body_html="<p>CHUNG TAY VÌ AN SINH</p>", channel="banner",
                                           meta={"background_color": "#1D4ED8", "text_color": "#FFFFFF"})
    pdf = pikepdf.open(io.BytesIO(result.data))
    _, operators = _colours(pdf.pages[0], pdf.pages[0].Resources)
    assert not operators & DEVICE_DEPENDENT_NON_CMYK
    assert not pdfx_problems(pikepdf_free_reader(result.data))


# --- preflight -------------------------------------------------------------------------------

def pikepdf_free_reader(data: bytes):
    """The preflight's own reader (pypdf), so the test checks what the worker will check."""
    import pypdf

    return pypdf.PdfReader(io.BytesIO(data))


def test_preflight_passes_a_product_and_names_the_output_intent():
    result = rendered("to-roi-6-buoc", "leaflet_a5")
    checks = check_pdf(result.data, pages=result.pages, max_pages=2, label="tờ rơi A5", trim_mm=result.trim_mm,
                       scale=result.scale).checks
    assert any("PDF/X-4" in check and "FOGRA39" in check for check in checks)
    assert any("TrimBox" in check and "BleedBox" in check for check in checks)


def test_preflight_refuses_an_office_pdf_without_output_intent_boxes_or_cmyk():
    data, pages = printing.html_to_pdf(printing.render_template(
        "print/base.html", pdf_title="Thử", pdf_author="", pdf_subject="", pdf_keywords=""))
    problems = pdfx_problems(pikepdf_free_reader(data))
    assert any("OutputIntent" in p for p in problems) and any("PDF/X" in p for p in problems)
    with pytest.raises(PrintError, match="chưa đạt PDF/X"):
        check_pdf(data, pages=pages, max_pages=1, label="thử")


def _edited(data: bytes, edit) -> bytes:
    pdf = pikepdf.open(io.BytesIO(data))
    edit(pdf)
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_preflight_finds_an_artbox_a_trim_outside_the_bleed_a_wrong_size_and_rgb_text():
    result = rendered("to-roi-6-buoc", "leaflet_a5")

    def add_artbox(pdf):
        pdf.pages[0].obj.ArtBox = pdf.pages[0].obj.TrimBox

    def widen_trim(pdf):
        trim = pdf.pages[0].obj.TrimBox
        pdf.pages[0].obj.TrimBox = pikepdf.Array([trim[0] - 20, trim[1], trim[2], trim[3]])

    def rgb_text(pdf):
        page = pdf.pages[0]
        page.contents_add(pdf.make_stream(b"1 0 0 rg\nBT\n/F1 12 Tf\n(x) Tj\nET\n"))

    reader = pikepdf_free_reader
    assert any("ArtBox" in p for p in pdfx_problems(reader(_edited(result.data, add_artbox))))
    assert any("hộp xén phải nằm trong" in p for p in pdfx_problems(reader(_edited(result.data, widen_trim))))
    assert any("không đúng khổ" in p for p in pdfx_problems(reader(result.data), trim_mm=(148, 200)))
    assert any("màu RGB" in p for p in pdfx_problems(reader(_edited(result.data, rgb_text))))
    assert not pdfx_problems(reader(result.data), trim_mm=result.trim_mm)


# --- PDF/X-1a and office documents ------------------------------------------------------------

def test_pdfx1a_on_request_has_its_version_keys_and_the_same_output_intent():
    result = rendered("bang-ron-tich-hop", "flag_06x2", "pdf/x-1a")
    pdf = pikepdf.open(io.BytesIO(result.data))
    assert pdf.pdf_version == "1.4" and str(pdf.docinfo.GTS_PDFXVersion) == "PDF/X-1a:2003"
    assert pdf.Root.OutputIntents[0].DestOutputProfile.read_bytes() == PROFILE
    assert not pdfx_problems(pikepdf_free_reader(result.data), trim_mm=result.trim_mm, scale=result.scale)


def test_an_unknown_variant_is_refused():
    with pytest.raises(ValueError, match="unknown PDF/X variant"):
        pdfx.render_options("pdf/x-9")


def test_a_roster_stays_an_office_pdf_without_output_intent():
    html = printing.roster_html(unit_name="Thôn 1", commune_name="Xã Ngọc Lặc", plan_title="Kế hoạch",
                                period_label="Tuần 1", rows=[], confirm_url="https://planner.example.vn/x/1",
                                generated_at_label="01/04/2026")
    data, _ = printing.html_to_pdf(html)
    assert "/OutputIntents" not in pikepdf.open(io.BytesIO(data)).Root


def test_importing_pdfx_loads_neither_flask_sqlalchemy_weasyprint_nor_pillow():
    import sys

    code = ("import sys, planner.pdfx; "
            "print(sorted({'flask', 'sqlalchemy', 'weasyprint', 'PIL'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_rgb_left_in_a_template_and_weasyprints_crop_marks_become_cmyk_with_black_as_k_only():
    html = printing.render_template("print/base.html", pdf_title="Thử", pdf_author="", pdf_subject="",
                                    pdf_keywords="").replace("<body>", """<body>
<style>@page { size: 148mm 210mm; bleed: 3mm; marks: crop cross; margin: 15mm; }
.grey { color: #444444; } .red { color: #DA251D; border-bottom: 1px solid #DA251D; } .blue { color: #1D4ED8; }</style>
<p>Chữ đen theo #000</p><p class="grey">Chữ xám</p><p class="red">Chữ đỏ</p><p class="blue">Chữ xanh</p>""")
    data, _ = printing.html_to_pdf(html, pdf_variant="pdf/x-4")
    pdf = pikepdf.open(io.BytesIO(data))
    text_colours, operators = _colours(pdf.pages[0], pdf.pages[0].Resources)
    assert not operators & DEVICE_DEPENDENT_NON_CMYK and "K" in operators  # the marks, stroked in K
    page = pdf.pages[0]
    forms = [x for x in page.Resources.get("/XObject", {}).values() if x.Subtype == "/Form"]
    strokes = {tuple(float(v) for v in operands) for owner in [page, *forms]
               for operands, op in pikepdf.parse_content_stream(owner) if str(op) == "K"}
    assert (0, 0, 0, 1) in strokes
    blue = tuple(Decimal(str(round(v, 3))) for v in pdfx.hex_to_cmyk("#1D4ED8"))
    assert text_colours == [K_ONLY_BLACK, (0, 0, 0, Decimal("0.8")),  # #444 is the palette's grey-80
                            tuple(Decimal(str(v)) for v in pdfx.PALETTE["red"]), blue]
    assert not pdfx_problems(pikepdf_free_reader(data))
    office, _ = printing.html_to_pdf(html)  # without a variant nothing is converted
    office_pdf = pikepdf.open(io.BytesIO(office))
    assert "rg" in _colours(office_pdf.pages[0], office_pdf.pages[0].Resources)[1]


def test_preflight_refuses_an_rgb_raster_image_which_pdfx_with_a_cmyk_intent_does_not_allow():
    import base64

    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(png, format="PNG")
    uri = "data:image/png;base64," + base64.b64encode(png.getvalue()).decode()
    html = printing.render_template("print/base.html", pdf_title="Thử", pdf_author="", pdf_subject="",
                                    pdf_keywords="").replace("<body>", f'<body><img src="{uri}" alt="">')
    data, _ = printing.html_to_pdf(html, pdf_variant="pdf/x-4")
    assert any("ảnh RGB" in p for p in pdfx_problems(pikepdf_free_reader(data)))
    product = rendered("to-roi-6-buoc", "leaflet_a5").data
    assert not any("ảnh RGB" in p for p in pdfx_problems(pikepdf_free_reader(product)))


def test_preflight_finds_rgb_inside_a_form_xobject_too():
    """WeasyPrint draws crop marks and transparency groups in form XObjects; RGB there is RGB too."""
    html = printing.render_template("print/base.html", pdf_title="Thử", pdf_author="", pdf_subject="",
                                    pdf_keywords="").replace("<body>", """<body>
<style>@page { size: 148mm 210mm; bleed: 3mm; marks: crop; }</style><p>Chữ</p>""")
    data, _ = printing.html_to_pdf(html, pdf_variant="pdf/x-4")
    assert not pdfx_problems(pikepdf_free_reader(data))

    def rgb_in_form(pdf):
        form = next(x for x in pdf.pages[0].Resources.XObject.values() if x.Subtype == "/Form")
        form.write(form.read_bytes().replace(b"0 0 0 1 K", b"0 0 0 RG"))

    assert any("màu RGB" in p for p in pdfx_problems(pikepdf_free_reader(_edited(data, rgb_in_form))))
