"""A4 tri-fold leaflet (roll fold 97/100/100), posters A2/A1/A0, marks in the slug, banner hems and grommets.

Rendered from real library messages and read back with pypdf and poppler (word boxes, page images).
"""
from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest

from planner import print_content as content
from planner import print_documents as docs
from planner import printing
from planner.library import load_library
from planner.markup import render_markdown
from planner.printing import PrintError

ROOT = Path(__file__).resolve().parents[2]
PT_PER_MM = 72 / 25.4
SLUG, BLEED = docs.SLUG_MM, docs.BLEED_MM
META = {"issuer": "UBND xã Ngọc Lặc", "plan_number": "45/KH-UBND", "order_number": "DI-00001", "quantity": 500,
        "qr_url": "https://ngoclac.example.vn/asxh"}
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
                                   reason="poppler-utils (pdftotext, pdftoppm) not installed")


@pytest.fixture(scope="module")
def messages():
    return {m.code: m for m in load_library(ROOT / "content_library").messages}


def render(message, product, body_md=None, **meta):
    body_html = render_markdown(body_md if body_md is not None else message.body_md)
    return printing.render_print_product(
        product=product, width_mm=None, height_mm=None, title=content.public_headline(message), body_html=body_html,
        channel=content.layout_for(product, message.channel), meta={**META, **meta})


@pytest.fixture(scope="module")
def trifold(messages):
    return render(messages["to-roi-6-buoc"], "leaflet_trifold_a4")


def boxes_mm(page) -> dict[str, tuple[float, float]]:
    return {name: (float(box.width) / PT_PER_MM, float(box.height) / PT_PER_MM)
            for name, box in (("media", page.mediabox), ("trim", page.trimbox), ("bleed", page.bleedbox))}


def words(pdf: bytes, tmp_path: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Word boxes (x0, y0, x1, y1 in mm from the trim's top-left corner, text) of each page, via pdftotext -bbox."""
    import xml.etree.ElementTree as ET

    source = tmp_path / "doc.pdf"
    source.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", str(source), "-"], capture_output=True, text=True,
                          check=True).stdout
    tree = ET.fromstring(html.replace('xmlns="http://www.w3.org/1999/xhtml"', ""))
    offset = SLUG + BLEED
    return [[(float(w.get("xMin")) / PT_PER_MM - offset, float(w.get("yMin")) / PT_PER_MM - offset,
              float(w.get("xMax")) / PT_PER_MM - offset, float(w.get("yMax")) / PT_PER_MM - offset, w.text or "")
             for w in page.iter("word")] for page in tree.iter("page")]


def image(pdf: bytes, page: int = 0, dpi: float = 254.0):
    """A page as RGB pixels at `dpi` (254: 10 px per mm)."""
    from PIL import Image

    return Image.open(io.BytesIO(printing.render_to_png_pages(pdf, dpi=dpi)[page])).convert("RGB")


def is_black(pixel) -> bool:
    return max(pixel) < 100


# --- geometry (pure) -------------------------------------------------------------------------

def test_roll_fold_panels_put_the_97mm_flap_inside_and_mirror_on_the_inside_spread():
    outside = [(name, x, w) for name, x, w in docs.TRIFOLD_OUTSIDE]
    assert outside == [("flap", 0, 97), ("back", 97, 100), ("cover", 197, 100)]
    assert [w for _, _, w in docs.TRIFOLD_INSIDE] == [100, 100, 97]       # the flap's inside is on the right
    assert sum(w for _, _, w in docs.TRIFOLD_OUTSIDE) == sum(w for _, _, w in docs.TRIFOLD_INSIDE) == 297
    assert docs.trifold_folds() == {"outside": [97, 197], "inside": [100, 200]}
    # Turned over sideways, each outside fold lies where an inside fold is: 297 − 97 = 200, 297 − 197 = 100.
    assert sorted(297 - x for x in docs.trifold_folds()["outside"]) == docs.trifold_folds()["inside"]


def test_grommets_sit_at_both_ends_and_never_further_apart_than_asked():
    assert docs.grommet_positions(6000, 500) == [500.0 * i for i in range(13)]
    spots = docs.grommet_positions(900, 500)
    assert spots == [0.0, 450.0, 900.0]  # 900 / 500 → two gaps of 450
    assert docs.grommet_positions(6000, 0) == []


# --- the tri-fold ----------------------------------------------------------------------------

def test_trifold_is_two_a4_landscape_spreads_with_3mm_bleed_and_a_slug(trifold):
    assert trifold.pages == 2 and trifold.scale == 1 and trifold.trim_mm == (297, 210)
    reader = pypdf.PdfReader(io.BytesIO(trifold.data))
    assert len(reader.pages) == 2
    for page in reader.pages:
        sizes = boxes_mm(page)
        assert sizes["trim"] == pytest.approx((297, 210), abs=0.2)
        assert sizes["bleed"] == pytest.approx((303, 216), abs=0.2)
        assert sizes["media"] == pytest.approx((297 + 2 * (BLEED + SLUG), 210 + 2 * (BLEED + SLUG)), abs=0.2)
    assert reader.metadata.title.startswith("Tờ rơi gấp 3 A4 – ")


@needs_poppler
def test_trifold_cover_carries_the_headline_and_lead_and_the_back_panel_the_qr(messages, trifold, tmp_path):
    outside, inside = words(trifold.data, tmp_path)
    headline = content.public_headline(messages["to-roi-6-buoc"])
    heading = set(headline.split())  # printed as approved: "VNeID" keeps its case
    cover = [w for w in outside if w[0] >= 197]
    assert heading <= {w[4] for w in cover}  # every word of the headline is on the cover panel
    only_headline = heading - set(META["issuer"].upper().split())  # the issuer is printed on the flap too
    headline_boxes = [w for w in outside if w[4] in only_headline]
    assert headline_boxes and all(197 + 3 <= w[0] and w[2] <= 297 - 3 for w in headline_boxes)
    caption = [w for w in outside if w[4] in {"Quét", "mã"}]
    assert caption and all(97 <= w[0] and w[2] <= 197 for w in caption)  # on the back panel
    lead = [w for w in outside if w[4] in {"Điều", "kiện", "định", "danh"}]  # the opening section
    assert lead and all(197 + 3 <= w[0] and w[2] <= 297 - 3 for w in lead)
    # The rest of the body flows over the inside spread, inside the trim's safe area.
    text = " ".join(w[4] for w in inside)
    assert "Các bước thực hiện" in text and "Bước 6:" in text and "Cần hỗ trợ?" in text
    assert "Điều kiện" not in text
    assert all(3 <= w[0] and w[2] <= 297 - 3 and 3 <= w[1] and w[3] <= 210 - 3 for w in inside)


@needs_poppler
def test_trifold_inside_columns_never_cross_a_fold(trifold, tmp_path):
    _, inside = words(trifold.data, tmp_path)
    for fold in docs.trifold_folds()["inside"]:
        assert not [w for w in inside if w[0] < fold < w[2]], f"a word crosses the fold at {fold} mm"


@needs_poppler
def test_fold_and_crop_marks_are_drawn_in_the_slug_and_never_on_the_printed_area(trifold):
    offset = round((SLUG + BLEED) * 10)  # px at 10 px per mm
    for number, side in ((0, "outside"), (1, "inside")):
        page = image(trifold.data, number)
        for fold in docs.trifold_folds()[side]:
            x = offset + round(fold * 10)
            column = [page.getpixel((dx, y)) for dx in (x - 1, x, x + 1) for y in range(page.height)]
            height = page.height
            top_slug = [p for i, p in enumerate(column) if i % height < SLUG * 10]
            trim = [p for i, p in enumerate(column) if offset <= i % height < height - offset]
            assert any(is_black(p) for p in top_slug), f"no fold mark above the {side} fold at {fold} mm"
            assert not any(is_black(p) for p in trim), f"a mark runs onto the printed area at {fold} mm"
        # Crop mark at the top-left trim corner: in the slug, along the trim's left edge, not inside the trim.
        crop = [page.getpixel((offset + dx, y)) for dx in (-1, 0, 1) for y in range(0, round(SLUG * 5))]
        assert any(is_black(p) for p in crop)
    inside = image(trifold.data, 1)
    corner = [inside.getpixel((x, y)) for x in range(offset + 5, offset + 40) for y in range(offset + 5, offset + 40)]
    assert not any(is_black(p) for p in corner)


def test_too_long_a_body_for_the_trifold_is_refused_in_vietnamese(messages):
    long_body = "Mở đầu.\n\n" + "Nội dung rất dài về tài khoản an sinh xã hội trên VNeID, đọc kỹ nhé.\n\n" * 200
    with pytest.raises(PrintError, match="Nội dung quá dài cho tờ rơi gấp 3 A4: cần 3 trang, tối đa 2"):
        render(messages["to-roi-6-buoc"], "leaflet_trifold_a4", body_md=long_body)


# --- posters ---------------------------------------------------------------------------------

@pytest.mark.parametrize("product, size", [("poster_a2", (420, 594)), ("poster_a1", (594, 841)),
                                           ("poster_a0", (841, 1189))])
def test_posters_a2_a1_a0_carry_the_headline_and_qr_on_one_page(messages, product, size):
    message = messages["ap-phich-dieu-kien"]
    rendered = render(message, product)  # a layout past the safe area would raise (preflight)
    assert rendered.pages == 1 and rendered.trim_mm == size
    page = pypdf.PdfReader(io.BytesIO(rendered.data)).pages[0]
    assert boxes_mm(page)["trim"] == pytest.approx(size, abs=0.2)
    assert boxes_mm(page)["bleed"] == pytest.approx((size[0] + 6, size[1] + 6), abs=0.2)
    text = " ".join(page.extract_text().split())
    assert content.public_headline(message).upper() in text.upper() and "Quét mã" in text


# --- banners: the 1:10 label, hems and grommets ----------------------------------------------

@needs_poppler
def test_the_1_10_label_states_the_real_size_in_the_slug_outside_the_trim(messages, tmp_path):
    rendered = render(messages["bang-ron-cao-diem"], "banner_09x6")
    assert rendered.scale == 10
    page_words = words(rendered.data, tmp_path)[0]
    label = [w for w in page_words if w[4] in {"Tỷ", "lệ", "1:10", "thật"}]
    assert label and all(w[1] >= 90 for w in label)  # below the 600 × 90 mm trim of the 1:10 drawing
    text = " ".join(" ".join(pypdf.PdfReader(io.BytesIO(rendered.data)).pages[0].extract_text().split()).split())
    assert "Tỷ lệ 1:10 — kích thước thật 6 000 × 900 mm" in text.replace("\u00a0", " ")


def test_a_hem_is_added_to_every_side_and_the_slogan_stays_in_the_finished_area(messages):
    rendered = render(messages["bang-ron-cao-diem"], "banner_3x1", hem_cm=5, grommet_every_cm=50)
    assert rendered.trim_mm == (3100, 1100) and rendered.scale == 1
    page = pypdf.PdfReader(io.BytesIO(rendered.data)).pages[0]
    assert boxes_mm(page)["trim"] == pytest.approx((3100, 1100), abs=0.3)
    assert "viền may 5 cm" in pypdf.PdfReader(io.BytesIO(rendered.data)).metadata["/Keywords"]


def test_grommet_marks_lie_in_the_hem_band_that_folds_back():
    ctx = docs.product_context(product="banner_3x1", width_mm=None, height_mm=None, title="Khẩu hiệu",
                               body_html="<p>X</p>", channel="banner", meta={"hem_cm": 4, "grommet_every_cm": 50})
    layout = docs.banner_layout("TOÀN DÂN THAM GIA", ctx)
    hem = 40
    assert layout["grommets"] and all(
        x == pytest.approx(hem / 2) or y == pytest.approx(hem / 2) or x == pytest.approx(3080 - hem / 2)
        or y == pytest.approx(1080 - hem / 2) for x, y in layout["grommets"])
    xs = layout["grommet_xs"]
    assert max(b - a for a, b in zip(xs, xs[1:])) <= 500 and xs[0] == 20 and xs[-1] == 3060
    no_hem = docs.banner_layout("TOÀN DÂN THAM GIA", docs.product_context(
        product="banner_3x1", width_mm=None, height_mm=None, title="K", body_html="<p>X</p>", channel="banner",
        meta={"grommet_every_cm": 50}))
    assert no_hem["grommets"] == [] and no_hem["grommet_xs"]  # no hem: marked in the slug only


@needs_poppler
def test_banner_colour_stops_at_the_bleed_and_grommet_ticks_sit_in_the_slug(messages):
    rendered = render(messages["bang-ron-cao-diem"], "banner_3x1", grommet_every_cm=100)
    page = image(rendered.data, dpi=25.4)  # 1 px per mm
    offset = round(SLUG + BLEED)
    assert page.getpixel((5, 500)) == (255, 255, 255)                # slug: white
    red, green, blue = page.getpixel((offset - 1, 500))              # bleed: the banner's red (CMYK 0/95/95/0)
    assert red > 200 and green < 60 and blue < 60, (red, green, blue)
    tick_x = offset + 1000                                           # a grommet every 100 cm along the top
    def inked(x):  # at 1 px per mm a 0.25 mm line is a light grey column
        return any(min(page.getpixel((x + dx, y))) < 230 for dx in (-1, 0, 1) for y in range(0, 6))

    assert inked(tick_x) and not inked(tick_x + 250)  # (the registration cross is at 1 500 mm)
