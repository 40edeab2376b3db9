"""Issue 7: every print message of the two seed plans and of the third plan (the commune plan the issue-6 browser
test creates, as tests/fixtures/third_plan) printed as every product family that fits it goes through the order's
own path (render_order + the proof's preflight), says the approved words and never the internal title's label,
and looks like its reviewed reference PNG (tests/fixtures/golden/print/references/).

One size per family keeps it near 25 renders: leaflet A5, tri-fold A4, poster A2, banner 0.9 × 6 m, flag.
Regenerate with PLANNER_UPDATE_GOLDEN=1 after an intended layout change and LOOK at every new PNG.
"""
from __future__ import annotations

import shutil
import subprocess
import types
from pathlib import Path

import pytest

from planner import print_content as content
from planner import printing
from planner.library import load_library
from planner.operations.print_proofs import render_checked
from tests.unit.png_reference import assert_pages_match

ROOT = Path(__file__).resolve().parents[2]
REFERENCES = ROOT / "tests" / "fixtures" / "golden" / "print" / "references"
THIRD_PLAN = ROOT / "tests" / "fixtures" / "third_plan"
FAMILIES = ("leaflet_a5", "leaflet_trifold_a4", "poster_a2", "banner_09x6", "flag_06x2")
PREVIEW_PIXELS = 240  # longest side: a few KB a page, enough to see a blank cover, an overflow or a missing QR
pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
                                reason="poppler-utils (pdftoppm, pdftotext) not installed")


def _libraries():
    return [load_library(ROOT / "content_library"),
            load_library(THIRD_PLAN, known_unit_codes=frozenset({"xa-minh-son"}))]


def _print_messages() -> dict[str, tuple]:
    """code → (message, its plan) for every message of the three plans that can be printed."""
    found = {}
    for library in _libraries():
        plans = {plan.code: plan for plan in library.plans}
        for message in library.messages:
            if content.products_for(message.channel):
                found[message.code] = (message, plans[message.plan_code])
    return found


MESSAGES = _print_messages()
CASES = [(code, product) for code, (message, _) in MESSAGES.items()
         for product in FAMILIES if product in content.products_for(message.channel)]


def _order(message, plan, product: str):
    """A print order as render_order reads it, built from the library records (no database)."""
    version = types.SimpleNamespace(
        number=1, title=message.title, headline=message.headline, link=message.link, body_md=message.body_md,
        channel=message.channel,
        message=types.SimpleNamespace(plan=types.SimpleNamespace(title=plan.title, number=plan.number,
                                                                 issuer=plan.issuer)))
    return types.SimpleNamespace(id=1, version=version, product=product, width_mm=None, height_mm=None,
                                 quantity=500, hem_cm=0, grommet_every_cm=0)


def _text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True,
                         timeout=60).stdout.decode()
    return " ".join(out.split())


def test_the_cases_cover_all_three_plans_and_every_family():
    plans = {MESSAGES[code][1].code for code, _ in CASES}
    assert plans == {"ngoc-lac-asxh-2026", "bhxh-2728-2023", "minh-son-tich-hop"}
    assert {product for _, product in CASES} == set(FAMILIES)
    assert {code for code, _ in CASES} == set(MESSAGES)
    assert len(CASES) <= 40


@pytest.mark.parametrize("code, product", CASES)
def test_print_product_says_the_approved_words_and_looks_like_its_reviewed_reference(code, product):
    message, plan = MESSAGES[code]
    rendered, preflight = render_checked(_order(message, plan, product))
    assert any("PDF/X" in check for check in preflight.checks)

    text = _text(rendered.data)
    if message.channel == "banner":  # a slogan prints the approved body exactly, whatever the product
        assert " ".join(message.body_md.split()) in text
    else:
        assert content.public_headline(message) in text
    label = message.title[:len(message.title) - len(content.strip_title_label(message.title))].strip()
    if label:  # the internal title ("Khẩu hiệu: …", "Áp phích: …") is never printed, nor its label
        assert label.casefold() not in text.casefold()
        assert message.title not in text

    pages = printing.render_to_png_pages(rendered.data, scale_to=PREVIEW_PIXELS)
    assert_pages_match(pages, REFERENCES, f"{code}_{product}")
