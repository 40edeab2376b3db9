"""What a print product says: real library messages whose title and body differ print the approved words."""
from __future__ import annotations

import io
import shutil
import types
from pathlib import Path

import pypdf
import pytest

from planner import print_content as content
from planner import print_documents as docs
from planner import printing
from planner.library import load_library
from planner.markup import render_markdown

ROOT = Path(__file__).resolve().parents[2]
META = {"issuer": "UBND xã Ngọc Lặc", "plan_number": "45/KH-UBND", "order_number": "DI-00001", "quantity": 50}


@pytest.fixture(scope="module")
def library_messages():
    return {m.code: m for m in load_library(ROOT / "content_library").messages}


def render(message, product: str, **meta):
    body_html = render_markdown(message.body_md)
    return printing.render_print_product(
        product=product, width_mm=None, height_mm=None, title=content.public_headline(message),
        body_html=body_html, channel=message.channel,
        meta={**META, "qr_url": content.qr_link(message, body_html), **meta})


def text_of(rendered) -> str:
    pdf = pypdf.PdfReader(io.BytesIO(rendered.data))
    return " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)


@pytest.mark.parametrize("code, product", [
    ("bang-ron-cao-diem", "banner_09x6"), ("bang-ron-tich-hop", "flag_06x2"),
    ("bang-ron-dinh-danh", "banner_08x5"), ("bang-ron-can-cuoc-bhyt", "banner_3x1"),
])
def test_banner_and_flag_print_the_approved_slogan_not_the_internal_title(library_messages, code, product):
    message = library_messages[code]
    assert message.title.startswith("Khẩu hiệu:")  # the internal title differs from the slogan
    text = text_of(render(message, product))
    assert " ".join(message.body_md.split()) in text
    assert "Khẩu hiệu" not in text and "KHẨU HIỆU" not in text


def test_banner_keeps_the_approved_case_of_vneid(library_messages):
    text = text_of(render(library_messages["bang-ron-tich-hop"], "banner_1x6"))
    assert "VNeID" in text and "VNEID" not in text


@pytest.mark.parametrize("code, product, headline", [
    ("ap-phich-dieu-kien", "poster_a1", "TÍCH HỢP TÀI KHOẢN AN SINH XÃ HỘI TRÊN VNeID"),
    ("ap-phich-tien-ich-so", "poster_a0", "ĐỀ ÁN 06 – TIỆN ÍCH SỐ CỦA NGÀNH BẢO HIỂM XÃ HỘI"),
])
def test_poster_prints_the_public_headline_never_the_internal_title(library_messages, code, product, headline):
    message = library_messages[code]
    assert message.title != headline and content.public_headline(message) == headline
    text = " ".join(text_of(render(message, product)).split())
    assert headline in text and "Áp phích" not in text and message.title not in text


def test_public_headline_prefers_the_versions_headline_field():
    version = types.SimpleNamespace(title="Áp phích: nội bộ", headline="Chung tay vì an sinh")
    assert content.public_headline(version) == "Chung tay vì an sinh"
    assert content.public_headline(types.SimpleNamespace(title="Áp phích: nội bộ", headline="")) == "nội bộ"
    assert content.public_headline(types.SimpleNamespace(title="Tờ rơi: Sáu bước")) == "Sáu bước"
    assert content.public_headline(types.SimpleNamespace(title="Hướng dẫn: sáu bước")) == "Hướng dẫn: sáu bước"


def test_leaflet_cover_carries_headline_lead_and_qr_even_when_the_body_opens_with_a_heading(library_messages):
    import dataclasses

    leaflet = library_messages["to-roi-6-buoc"]
    # The body opens with a heading that repeats the headline (as the library's leaflet once did).
    message = dataclasses.replace(leaflet, body_md=f"# {leaflet.headline}\n\n{leaflet.body_md}")
    rendered = render(message, "leaflet_a5", qr_url="https://ngoclac.example.vn/asxh")
    cover = " ".join(pypdf.PdfReader(io.BytesIO(rendered.data)).pages[0].extract_text().split())
    assert leaflet.headline in cover
    assert "Điều kiện" in cover and "Có tài khoản ngân hàng" in cover  # the opening section is the lead
    assert "Quét mã" in cover and "ngoclac.example.vn/asxh" in cover.replace(" ", "")
    # The heading that repeats the headline is not printed a second time.
    assert " ".join(text_of(rendered).split()).count(leaflet.headline) == 1


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) not installed")
def test_leaflet_cover_is_not_mostly_blank(library_messages):
    from PIL import Image

    rendered = render(library_messages["to-roi-6-buoc"], "leaflet_a5", qr_url="https://ngoclac.example.vn/asxh")
    image = Image.open(io.BytesIO(printing.render_to_png_pages(rendered.data, dpi=20)[0])).convert("L")
    rows = [any(image.getpixel((x, y)) < 200 for x in range(image.width)) for y in range(image.height)]
    assert sum(rows) / len(rows) > 0.55  # ink on more than 55 % of the cover's rows


def test_split_lead_keeps_the_body_in_order_and_drops_only_a_repeated_headline():
    body = "<h1>Tiêu đề</h1>\n<h2>Phần một</h2>\n<p>Mở đầu.</p>\n<ul>\n<li>a</li>\n</ul>\n<h2>Phần hai</h2>\n<p>b</p>"
    lead, rest = content.split_lead(body, "Tiêu đề")
    assert lead == "<h2>Phần một</h2>\n<p>Mở đầu.</p>\n<ul>\n<li>a</li>\n</ul>"
    assert rest == "<h2>Phần hai</h2>\n<p>b</p>"
    lead, rest = content.split_lead(body, "Khác hẳn")
    assert lead == "" and rest.startswith("<h1>Tiêu đề</h1>")  # no paragraph before the second heading
    long = "<p>" + "chữ " * 200 + "</p>"
    lead, rest = content.split_lead(f"<h2>A</h2>\n{long}\n<ul><li>x</li></ul>\n<h2>B</h2>")
    assert lead == f"<h2>A</h2>\n{long}" and rest == "<ul><li>x</li></ul>\n<h2>B</h2>"


def test_qr_link_uses_the_versions_link_else_the_first_web_link_of_the_body():
    html = '<p>Xem <a href="https://dichvucong.gov.vn/a?b=1&amp;c=2" rel="noopener">đây</a></p>'
    assert content.qr_link(types.SimpleNamespace(link="https://x.vn/"), html) == "https://x.vn/"
    assert content.qr_link(types.SimpleNamespace(), html) == "https://dichvucong.gov.vn/a?b=1&c=2"
    assert content.qr_link(types.SimpleNamespace(link=None), "<p>không</p>") == ""


def test_empty_slogan_is_refused():
    with pytest.raises(docs.PrintError, match="Khẩu hiệu trống"):
        printing.render_print_product(product="banner_3x1", width_mm=None, height_mm=None, title="Khẩu hiệu: x",
                                      body_html="<p> </p>", channel="banner", meta={})


def test_products_fit_their_message():
    assert set(content.products_for("banner")) >= {"banner_08x5", "flag_06x2", "poster_a1"}
    assert not any(p.startswith("leaflet") for p in content.products_for("banner"))
    assert set(content.products_for("leaflet")) == {"leaflet_a5", "leaflet_a4", "leaflet_trifold_a4", "poster_a2",
                                                    "poster_a1", "poster_a0"}
    assert not any(p.startswith(("banner", "flag", "leaflet")) for p in content.products_for("poster"))
    assert content.product_fit_problem("leaflet_a5", "banner").startswith("Tờ rơi A5 không phù hợp với khẩu hiệu")
    assert content.layout_for("poster_a1", "leaflet") == "poster" and content.layout_for("poster_a1", "banner") == "banner"
    assert content.layout_for("custom", "poster") == "poster" and content.layout_for("leaflet_a4", "leaflet") == "leaflet"
    assert content.layout_for("leaflet_trifold_a4", "leaflet") == "trifold"
    assert content.layout_for("poster_a2", "leaflet") == "poster" and "poster_a2" in content.products_for("banner")


def test_a_slogan_printed_as_a_poster_is_the_slogan_fitted_to_the_sheet(library_messages):
    message = library_messages["bang-ron-dinh-danh"]
    body_html = render_markdown(message.body_md)
    rendered = printing.render_print_product(
        product="poster_a1", width_mm=None, height_mm=None, title=content.public_headline(message),
        body_html=body_html, channel=content.layout_for("poster_a1", message.channel), meta=META)
    assert rendered.pages == 1 and " ".join(message.body_md.split()) in text_of(rendered)


def _print_cases():
    messages = load_library(ROOT / "content_library").messages
    return [(m.code, product) for m in messages if m.channel in docs.CHANNELS
            for product in content.products_for(m.channel) if product != "custom"]


@pytest.mark.parametrize("code, product", _print_cases())
def test_every_library_print_message_renders_in_every_fitting_product_and_passes_preflight(
        library_messages, code, product):
    from planner.print_preflight import check_pdf

    message = library_messages[code]
    layout = content.layout_for(product, message.channel)
    body_html = render_markdown(message.body_md)
    rendered = printing.render_print_product(
        product=product, width_mm=None, height_mm=None, title=content.public_headline(message), body_html=body_html,
        channel=layout, meta={**META, "qr_url": content.qr_link(message, body_html) or "https://ngoclac.example.vn/"})
    preflight = check_pdf(rendered.data, pages=rendered.pages, max_pages=printing.MAX_PAGES[layout], label=product,
                          trim_mm=rendered.trim_mm, scale=rendered.scale)
    assert len(preflight.checks) == 6 and "PDF/X-4 với hồ sơ màu CMYK FOGRA39" in preflight.checks[4]
    text = text_of(rendered)
    headline = content.public_headline(message)
    assert content.strip_title_label(headline) == headline  # no "Khẩu hiệu:"/"Áp phích:" label left
    if layout == "banner":
        assert " ".join(message.body_md.split()) in text
    else:
        assert content.public_headline(message) in text


def test_print_content_and_preflight_import_neither_flask_sqlalchemy_nor_weasyprint():
    import subprocess
    import sys

    code = ("import sys, planner.print_content, planner.print_preflight; "
            "print(sorted({'flask', 'sqlalchemy', 'weasyprint'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"
