"""Print rendering: boxes, scale, fonts, text, restricted fetching, tofu, Decree 30 report, roster."""
from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest

from planner import print_roster
from planner import print_documents as docs
from planner import printing
from planner.printing import PrintError

PT_PER_MM = 72 / 25.4
GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "golden" / "print"
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdffonts") is None
                                   or shutil.which("pdftoppm") is None,
                                   reason="poppler-utils (pdftotext, pdffonts, pdftoppm) not installed")

LEAFLET_BODY = (
    "<p>Từ nay đến <strong>15/4/2026</strong>, mỗi người dân có tài khoản định danh điện tử mức 2 "
    "hãy liên kết tài khoản ngân hàng để nhận trợ cấp nhanh và an toàn.</p>\n"
    "<h2>Sáu bước thực hiện</h2>\n<ol>\n"
    "<li>Đăng nhập VNeID bằng tài khoản định danh điện tử mức 2.</li>\n"
    "<li>Chọn <strong>An sinh xã hội</strong>.</li>\n"
    "<li>Chọn <strong>Tài khoản hưởng an sinh xã hội</strong>.</li>\n"
    "<li>Nhập mật khẩu gồm 6 chữ số.</li>\n"
    "<li>Chọn tài khoản ngân hàng hoặc ví Mobile Money, điền thông tin, đồng ý.</li>\n"
    "<li>Gửi yêu cầu và chờ phê duyệt.</li>\n</ol>\n"
    "<blockquote>\n<p>Cần hỗ trợ? Liên hệ Công an xã. Tổng đài BHXH: 1900 9068.</p>\n</blockquote>"
)
LEAFLET_META = {"issuer": "UBND xã Ngọc Lặc", "plan_number": "Kế hoạch số 45/KH-UBND",
                "plan_title": "về liên kết tài khoản an sinh xã hội", "order_number": "7", "quantity": 2000,
                "qr_url": "https://planner.example.vn/h/asxh"}


def leaflet(**overrides):
    kwargs = dict(product="leaflet_a5", width_mm=148, height_mm=210,
                  title="Liên kết Tài khoản hưởng an sinh xã hội", body_html=LEAFLET_BODY,
                  channel="leaflet", meta=dict(LEAFLET_META))
    kwargs.update(overrides)
    return kwargs


def banner(product, slogan="TOÀN DÂN LIÊN KẾT TÀI KHOẢN AN SINH XÃ HỘI!", **overrides):
    kwargs = dict(product=product, width_mm=None, height_mm=None, title="Toàn dân liên kết tài khoản",
                  body_html=f"<p>{slogan}</p>", channel="banner", meta={"order_number": "8"})
    kwargs.update(overrides)
    return kwargs


def report_doc(rows: int = 3) -> dict:
    return {
        "parent_agency": "UBND huyện Ngọc Lặc", "agency": "UBND xã Ngọc Lặc", "number": "15/BC-UBND",
        "place": "Ngọc Lặc", "date": dt.date(2026, 3, 5), "title": "BÁO CÁO",
        "subject": "Kết quả thực hiện Kế hoạch liên kết tài khoản an sinh xã hội 6 tháng đầu năm 2026",
        "period_label": "6 tháng đầu năm 2026",
        "intro_paragraphs": ["Thực hiện Kế hoạch số 45/KH-UBND, UBND xã báo cáo kết quả như sau:"],
        "sections": [{
            "heading": "I. KẾT QUẢ THỰC HIỆN",
            "paragraphs": ["Các thôn đã phát thanh vào khung giờ vàng và phát tờ rơi tại nơi công cộng."],
            "tables": [{"caption": "Bảng 1. Kết quả phát thanh theo thôn",
                        "columns": ["STT", "Thôn", "Kế hoạch", "Đã phát", "Tỷ lệ"],
                        "rows": [[str(i + 1), f"Thôn {i + 1}", "24", "22", "91,7%"] for i in range(rows)],
                        "total_row": ["", "Tổng cộng", str(24 * rows), str(22 * rows), "91,7%"]}],
        }, {
            "heading": "II. NHIỆM VỤ THỜI GIAN TỚI",
            "paragraphs": ["Phấn đấu 100% công dân đủ điều kiện liên kết tài khoản."], "tables": [],
        }],
        "recipients": ["UBND huyện Ngọc Lặc (b/c)", "Công an huyện;", "Lưu: VT, VHXH"],
        "signer_prefix": "TM. UBND XÃ", "signer_title": "Chủ tịch", "signer_name": "Lê Văn Minh",
    }


ROSTER_ROWS = [
    {"date": "30/03/2026", "weekday": "Thứ Hai", "session": "05:30–06:00",
     "title": "Liên kết tài khoản an sinh xã hội", "duration": "4:30", "note": "Bà con có định danh mức 2…"},
    {"date": "30/03/2026", "weekday": "Thứ Hai", "session": "17:00–17:30",
     "title": "Lịch tiếp công dân", "duration": "2:10", "script_excerpt": "Kính thưa bà con…"},
    {"date": "31/03/2026", "weekday": "Thứ Ba", "session": "05:30–06:00",
     "title": "Liên kết tài khoản an sinh xã hội", "duration": "4:30"},
]
ROSTER = dict(unit_name="Thôn Minh Tiến", commune_name="UBND xã Ngọc Lặc",
              plan_title="Kế hoạch 45/KH-UBND về liên kết tài khoản an sinh xã hội",
              period_label="30/03/2026 – 05/04/2026", rows=ROSTER_ROWS,
              confirm_url="https://planner.example.vn/x/7Kq2mZ9a", generated_at_label="14:05 ngày 28/03/2026")


@pytest.fixture(scope="module")
def leaflet_pdf():
    return printing.render_print_product(**leaflet())


@pytest.fixture(scope="module")
def report_pdf():
    return printing.render_report(report_doc(rows=60))


@pytest.fixture(scope="module")
def roster_pdf():
    return printing.render_roster(**ROSTER)


def reader(rendered) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(rendered.data))


def box_mm(box) -> tuple[float, float, float, float]:
    return tuple(float(v) / PT_PER_MM for v in (box.left, box.bottom, box.right, box.top))


def page_text(rendered, page: int) -> str:
    return reader(rendered).pages[page].extract_text()


def embedded_font_problems(pdf: pypdf.PdfReader) -> list[str]:
    """Names of fonts without an embedded font program: the preflight's own check."""
    from planner.print_preflight import fonts_not_embedded

    return fonts_not_embedded(pdf)


# --- pure layout -----------------------------------------------------------------------------

@pytest.mark.parametrize("date, expected", [
    (dt.date(2026, 3, 5), "Ngọc Lặc, ngày 05 tháng 3 năm 2026"),
    (dt.date(2026, 1, 15), "Ngọc Lặc, ngày 15 tháng 01 năm 2026"),
    (dt.date(2026, 2, 9), "Ngọc Lặc, ngày 09 tháng 02 năm 2026"),
    (dt.date(2026, 12, 25), "Ngọc Lặc, ngày 25 tháng 12 năm 2026"),
    (dt.date(2026, 10, 10), "Ngọc Lặc, ngày 10 tháng 10 năm 2026"),
])
def test_document_date_pads_days_below_10_and_months_1_and_2_only(date, expected):
    assert printing.format_document_date("Ngọc Lặc", date) == expected


def test_listed_products_have_their_own_size_and_custom_takes_the_given_size():
    assert printing.product_size("leaflet_a5", None, None) == (148, 210)
    assert printing.product_size("banner_08x5", 5000, 800) == (5000, 800)
    assert printing.product_size("custom", "1200", 600.5) == (1200, 600.5)
    assert printing.PRODUCTS["banner_08x5"].label == "Băng rôn 0,8 × 5 m"


@pytest.mark.parametrize("width, height, words", [
    (None, 500, "cần chiều rộng và chiều cao"),
    ("abc", 500, "cần chiều rộng và chiều cao"),
    (49, 500, "Chiều rộng phải từ 50 đến 20.000 mm"),
    (500, 20001, "Chiều cao phải từ 50 đến 20.000 mm"),
    (float("nan"), 500, "Chiều rộng phải từ"),
])
def test_custom_size_errors_are_in_vietnamese(width, height, words):
    with pytest.raises(PrintError, match=words):
        printing.product_size("custom", width, height)


def test_unknown_product_and_size_mismatch_are_refused():
    with pytest.raises(PrintError, match="Sản phẩm in không hợp lệ"):
        printing.product_size("mug", None, None)
    with pytest.raises(PrintError, match="không khớp với Tờ rơi A5"):
        printing.product_size("leaflet_a5", 210, 297)


def test_scale_switches_to_1_10_only_when_a_side_plus_bleed_and_slug_passes_5080_mm():
    assert printing.page_scale(5000, 800) == 1
    assert printing.page_scale(5054, 800) == 1  # + 2 × (3 mm bleed + 10 mm slug) = 5080
    assert printing.page_scale(5055, 800) == 10
    assert printing.page_scale(900, 6000) == 10


def test_slogan_keeps_its_approved_case_on_at_most_two_lines_that_fit_the_banner():
    lines, size = docs.fit_slogan("Toàn dân liên kết tài khoản an sinh xã hội trên ứng dụng VNeID!", 5000, 800)
    assert 1 <= len(lines) <= 2
    assert " ".join(lines) == "Toàn dân liên kết tài khoản an sinh xã hội trên ứng dụng VNeID!"
    assert max(docs.text_width_em(line) for line in lines) * size <= 5000 * 0.9 + 0.01
    assert len(lines) * size * docs.SLOGAN_LINE_HEIGHT <= 800 * 0.8 + 0.01
    short_lines, short_size = docs.fit_slogan("Chung tay", 5000, 800)
    assert short_lines == ["Chung tay"] and short_size > size


def test_report_context_closes_the_body_and_formats_recipients():
    doc = report_doc()
    before = list(doc["sections"][-1]["paragraphs"])
    ctx = docs.report_context(doc)
    # the last paragraph moves into the block with "Nơi nhận" and the signature, closed with "./."
    assert ctx["ending"].endswith("tài khoản./.") and ctx["sections"][-1]["paragraphs"] == before[:-1]
    assert ctx["recipients"] == ["- UBND huyện Ngọc Lặc (b/c);", "- Công an huyện;", "- Lưu: VT, VHXH."]
    assert ctx["agency"] == "UBND XÃ NGỌC LẶC" and ctx["signer_title"] == "CHỦ TỊCH"
    assert "THỦ TRƯỞNG" not in str(docs.report_context({**report_doc(), "signer_title": ""}))
    with pytest.raises(PrintError, match="thiếu thông tin bắt buộc: number"):
        docs.report_context({**report_doc(), "number": ""})


def test_importing_printing_loads_neither_weasyprint_nor_flask():
    code = "import sys, planner.printing; print(sorted({'weasyprint', 'flask'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"


# --- golden HTML -----------------------------------------------------------------------------

GOLDEN_CASES = {
    "leaflet_a5.html": lambda: printing.print_product_html(**leaflet()),
    "banner_1x6.html": lambda: printing.print_product_html(**banner("banner_1x6")),
    "leaflet_trifold_a4.html": lambda: printing.print_product_html(**leaflet(
        product="leaflet_trifold_a4", channel="trifold", width_mm=None, height_mm=None)),
    "report.html": lambda: printing.report_html(report_doc()),
    "roster.html": lambda: printing.roster_html(**ROSTER),
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_print_html_matches_golden_file(name):
    """Regenerate with PLANNER_UPDATE_GOLDEN=1 after an intended template change, then review the diff."""
    html = GOLDEN_CASES[name]()
    path = GOLDEN / name
    if os.environ.get("PLANNER_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
    assert html == path.read_text(encoding="utf-8")


# --- print products --------------------------------------------------------------------------

def test_leaflet_a5_has_trim_148x210_and_3mm_bleed(leaflet_pdf):
    assert leaflet_pdf.pages == 2 and leaflet_pdf.scale == 1 and leaflet_pdf.trim_mm == (148, 210)
    for page in reader(leaflet_pdf).pages:
        left, bottom, right, top = (float(v) for v in page.trimbox)
        assert right - left == pytest.approx(148 * PT_PER_MM, abs=0.5)
        assert top - bottom == pytest.approx(210 * PT_PER_MM, abs=0.5)
        bleed = [float(v) for v in page.bleedbox]
        assert [bleed[0] - left, bleed[1] - bottom, right - bleed[2], top - bleed[3]] == pytest.approx(
            [-3 * PT_PER_MM] * 4, abs=0.5)


def test_leaflet_text_keeps_vietnamese_diacritics_and_metadata(leaflet_pdf):
    pdf = reader(leaflet_pdf)
    text = " ".join(page.extract_text() for page in pdf.pages)
    for phrase in ("Tài khoản hưởng an sinh xã hội", "định danh", "Sáu bước thực hiện", "Quét mã"):
        assert phrase in text
    assert pdf.metadata.title == "Tờ rơi A5 – Liên kết Tài khoản hưởng an sinh xã hội"
    assert leaflet_pdf.filename == "don-7_lien-ket-tai-khoan-huong-an-sinh-xa-hoi_leaflet_a5_148x210mm.pdf"


def test_leaflet_embeds_only_the_bundled_fonts(leaflet_pdf):
    pdf = reader(leaflet_pdf)
    assert embedded_font_problems(pdf) == []
    names = {str(f.get_object()["/BaseFont"]) for p in pdf.pages for f in p["/Resources"]["/Font"].values()}
    assert names and all("Planner-Serif" in n or "Planner-Sans" in n for n in names)


@needs_poppler
def test_pdffonts_reports_every_font_embedded(leaflet_pdf, tmp_path):
    path = tmp_path / "leaflet.pdf"
    path.write_bytes(leaflet_pdf.data)
    rows = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    fonts = rows.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)  # the "emb" column


def test_leaflet_render_logs_no_weasyprint_warnings(caplog):
    with caplog.at_level("WARNING", logger="weasyprint"):
        printing.render_print_product(**leaflet(product="leaflet_a4", width_mm=None, height_mm=None))
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []


def test_banner_5000mm_fits_at_full_scale_with_bleed_and_slug_under_5080mm():
    rendered = printing.render_print_product(**banner("banner_08x5"))
    assert rendered.scale == 1 and rendered.pages == 1
    page = reader(rendered).pages[0]
    width_mm = float(page.mediabox.width) / PT_PER_MM
    assert width_mm == pytest.approx(5000 + 2 * (3 + 10), abs=0.5) and width_mm <= 5080
    assert float(page.bleedbox.width) / PT_PER_MM == pytest.approx(5006, abs=0.2)
    assert float(page.trimbox.width) / PT_PER_MM == pytest.approx(5000, abs=0.2)
    assert "TOÀN DÂN LIÊN KẾT" in page.extract_text()


def test_banner_6000mm_renders_at_1_10_with_scaled_bleed_and_says_so():
    rendered = printing.render_print_product(**banner("banner_1x6"))
    assert rendered.scale == 10 and rendered.trim_mm == (6000, 1000)
    assert rendered.filename.endswith("_banner_1x6_6000x1000mm_ti-le-1-10.pdf")
    pdf = reader(rendered)
    page = pdf.pages[0]
    assert float(page.trimbox.width) / PT_PER_MM == pytest.approx(600, abs=0.2)
    assert float(page.trimbox.height) / PT_PER_MM == pytest.approx(100, abs=0.2)
    # The bleed scales with the drawing: 0.3 mm at 1:10 is 3 mm once enlarged ×10; the slug (10 mm) does not.
    assert float(page.bleedbox.width) / PT_PER_MM == pytest.approx(600.6, abs=0.05)
    assert float(page.mediabox.width) / PT_PER_MM == pytest.approx(620.6, abs=0.05)
    assert "Tỷ lệ 1:10" in pdf.metadata.title
    assert "Tỷ lệ 1:10 — kích thước thật 6\u00a0000 × 1\u00a0000 mm" in page.extract_text()


def test_custom_20m_banner_is_drawn_at_1_10():
    rendered = printing.render_print_product(**banner("custom", width_mm=20000, height_mm=1000))
    page = reader(rendered).pages[0]
    assert rendered.scale == 10 and float(page.trimbox.width) / PT_PER_MM == pytest.approx(2000, abs=0.2)


@needs_poppler
def test_banner_background_runs_into_the_bleed():
    from PIL import Image

    rendered = printing.render_print_product(**banner("banner_3x1"))
    image = Image.open(io.BytesIO(printing.render_to_png_pages(rendered.data, dpi=25.4)[0])).convert("RGB")
    # 1 px = 1 mm: the slug (10 mm) is white, the bleed (3 mm) and the trim are the banner's flag red
    # (CMYK 0/95/95/0, which poppler draws close to #DA251D).
    assert image.getpixel((4, 4)) == (255, 255, 255)
    for pixel in ((11, 11), (image.width - 12, image.height - 12)):
        red, green, blue = image.getpixel(pixel)
        assert red > 200 and green < 60 and blue < 60, (pixel, red, green, blue)


def test_invalid_banner_colour_and_channel_are_refused():
    with pytest.raises(PrintError, match="Mã màu không hợp lệ"):
        printing.render_print_product(**banner("banner_3x1", meta={"background_color": "red;x"}))
    with pytest.raises(PrintError, match="Loại ấn phẩm không hợp lệ"):
        printing.render_print_product(**leaflet(channel="video"))


def test_overlong_leaflet_is_refused_in_vietnamese():
    body = "<p>Mở đầu.</p>" + "<p>Nội dung rất dài về tài khoản an sinh xã hội trên VNeID. </p>" * 120
    with pytest.raises(PrintError, match=r"Nội dung quá dài cho tờ rơi A5: cần \d+ trang, tối đa 2"):
        printing.render_print_product(**leaflet(body_html=body))


# --- safety ----------------------------------------------------------------------------------

def test_fetcher_serves_only_data_uris_and_bundled_fonts():
    fetcher = printing.restricted_fetcher()
    assert fetcher.fetch("planner-font:LiberationSerif-Regular.ttf").read(4) == b"\x00\x01\x00\x00"
    assert fetcher.fetch("data:text/plain;base64,eGluIGNow6Bv").read() == "xin chào".encode()
    for url in ("file:///etc/passwd", "http://127.0.0.1/", "https://example.org/a.png",
                "planner-font:../../../../etc/passwd", "planner-font:/etc/passwd", "/etc/passwd"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 6


def test_outside_urls_in_body_are_never_fetched(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not for print")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    body = (f'<p>a</p><img src="file://{secret}"><img src="http://127.0.0.1:{port}/x.png">'
            '<img src="file:///etc/passwd">')
    try:
        with pytest.raises(PrintError, match="tài nguyên bên ngoài"):
            printing.render_print_product(**leaflet(body_html=body))
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected
    finally:
        listener.close()


@pytest.mark.parametrize("text", ["Chào bà con 😀", "Ký tự hiếm 𠀀", "Đánh dấu &#x2713;"])
def test_characters_outside_the_bundled_fonts_raise_print_error_before_rendering(text):
    with pytest.raises(PrintError, match="Phông chữ đi kèm không có ký tự “"):
        printing.render_print_product(**leaflet(body_html=f"<p>{text}</p>"))


@pytest.mark.parametrize("css_char", [r"\1F600", r"\20000"])
def test_tofu_or_system_font_fallback_found_while_rendering_raises_print_error(css_char):
    """Generated content escapes the text preflight: the WeasyPrint warning and the font check catch it."""
    html = ('<html><head><style>@font-face { font-family: "Planner Serif"; '
            'src: url(planner-font:LiberationSerif-Regular.ttf); } html { font-family: "Planner Serif"; } '
            f'p::after {{ content: "{css_char}"; }}</style></head><body><p>Xin chào</p></body></html>')
    with pytest.raises(PrintError, match="Phông chữ đi kèm không có"):
        printing.html_to_pdf(html)


# --- report ----------------------------------------------------------------------------------

def test_report_first_page_has_the_decree_30_header_and_closing(report_pdf):
    first = page_text(report_pdf, 0)
    for phrase in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Số: 15/BC-UBND",
                   "Ngọc Lặc, ngày 05 tháng 3 năm 2026", "BÁO CÁO", "UBND XÃ NGỌC LẶC"):
        assert phrase in first
    last = page_text(report_pdf, report_pdf.pages - 1)
    for phrase in ("Nơi nhận:", "- Lưu: VT, VHXH.", "TM. UBND XÃ", "CHỦ TỊCH", "Lê Văn Minh", "tài khoản./."):
        assert phrase in last


def test_report_with_many_rows_is_a4_and_spans_pages(report_pdf):
    assert report_pdf.pages >= 2 and report_pdf.filename == "bao-cao_15-bc-ubnd_2026-03-05.pdf"
    for page in reader(report_pdf).pages:
        assert float(page.mediabox.width) == pytest.approx(595.28, abs=0.5)
        assert float(page.mediabox.height) == pytest.approx(841.89, abs=0.5)
    assert "Tổng cộng" in " ".join(page_text(report_pdf, i) for i in range(report_pdf.pages))


@needs_poppler
def test_report_page_number_is_at_the_top_from_page_2_only(report_pdf, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(report_pdf.data)

    def first_line(page: int) -> str:
        out = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(path), "-"],
                             capture_output=True, text=True, check=True).stdout
        return next(line.strip() for line in out.splitlines() if line.strip())

    assert first_line(2) == "2"
    assert "UBND HUYỆN NGỌC LẶC" in first_line(1)
    # A repeated table header opens page 2.
    out = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(path), "-"], capture_output=True, text=True,
                         check=True).stdout
    assert "STT" in out and "Kế hoạch" in out


# --- roster ----------------------------------------------------------------------------------

def test_roster_names_the_village_prints_the_url_and_draws_a_qr(roster_pdf):
    text = " ".join(page_text(roster_pdf, 0).split())
    for phrase in ("LỊCH PHÁT THANH TRÊN HỆ THỐNG LOA – THÔN MINH TIẾN", "Thôn Minh Tiến",
                   "Quét mã để xác nhận đã phát", "Đã phát (ký)",
                   "Thứ Hai", "30/03/2026", "05:30–06:00", "TRƯỞNG THÔN"):
        assert phrase in text
    assert "https://planner.example.vn/x/7Kq2mZ9a" in "".join(text.split())  # may wrap under the QR
    assert text.count("Thứ Hai") == 1  # two sessions, one date cell
    # The QR is an image of one pixel per module, drawn without smoothing, that holds the confirmation link.
    import segno

    (image,) = {id(o): o for o in (v.get_object() for v in reader(roster_pdf).pages[0]["/Resources"]["/XObject"]
                                   .values())}.values()
    matrix = segno.make(ROSTER["confirm_url"], error="m", mask=print_roster.QR_MASK).matrix
    side = len(matrix) + 8  # the quiet zone: 4 modules each side
    assert image["/Width"] == image["/Height"] == side and image["/Interpolate"] == False  # noqa: E712 (a pypdf BooleanObject)
    pixels = image.decode_as_image().convert("L")
    dark = [[pixels.getpixel((x + 4, y + 4)) < 128 for x in range(len(matrix))] for y in range(len(matrix))]
    assert dark == [[bool(m) for m in row] for row in matrix]
    assert roster_pdf.filename == "lich-phat-thanh_thon-minh-tien_30-03-2026-05-04-2026.pdf"


def test_roster_without_rows_says_so():
    rendered = printing.render_roster(**{**ROSTER, "rows": []})
    assert "Chưa có buổi phát nào" in page_text(rendered, 0)


@needs_poppler
def test_png_pages_come_from_pdftoppm(roster_pdf):
    pngs = printing.render_to_png_pages(roster_pdf.data, dpi=20)
    assert len(pngs) == roster_pdf.pages and all(png.startswith(b"\x89PNG") for png in pngs)
