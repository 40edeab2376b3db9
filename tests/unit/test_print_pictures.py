"""Print products look as reviewed: pages rendered to small PNGs and compared with reviewed references.

Regenerate with PLANNER_UPDATE_GOLDEN=1 after an intended layout change, then LOOK at the new PNGs
(tests/fixtures/golden/print/png/) before committing them.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from planner import print_content as content
from planner import printing
from planner.library import load_library
from planner.markup import render_markdown
from tests.unit.png_reference import assert_pages_match

ROOT = Path(__file__).resolve().parents[2]
REFERENCES = ROOT / "tests" / "fixtures" / "golden" / "print" / "png"
CASES = [("to-roi-6-buoc", "leaflet_a5"), ("ap-phich-dieu-kien", "poster_a1"),
         ("bang-ron-tich-hop", "flag_06x2"), ("bang-ron-cao-diem", "banner_09x6"),
         ("to-roi-6-buoc", "leaflet_trifold_a4"), ("ap-phich-dieu-kien", "poster_a2"),
         ("bang-ron-cao-diem", "banner_3x1-hem5-khoen50")]
OPTIONS = {"hem5": {"hem_cm": 5}, "khoen50": {"grommet_every_cm": 50}}  # a case's product-option suffixes
pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm) not installed")


@pytest.fixture(scope="module")
def messages():
    return {m.code: m for m in load_library(ROOT / "content_library").messages}


@pytest.mark.parametrize("code, product", CASES)
def test_product_pages_look_like_the_reviewed_reference(messages, code, product):
    message = messages[code]
    body_html = render_markdown(message.body_md)
    code_of_product, *options = product.split("-")
    rendered = printing.render_print_product(
        product=code_of_product, width_mm=None, height_mm=None, title=content.public_headline(message),
        body_html=body_html, channel=content.layout_for(code_of_product, message.channel),
        meta={"issuer": "UBND xã Ngọc Lặc", "plan_number": "45/KH-UBND", "order_number": "DI-00001",
              "quantity": 500, "qr_url": "https://ngoclac.example.vn/asxh",
              **{k: v for option in options for k, v in OPTIONS[option].items()}})
    assert_pages_match(printing.render_to_png_pages(rendered.data, scale_to=240), REFERENCES, f"{code}_{product}")
