"""Bad bodies meet a clear error: Markdown limits before the parser, wrapping and a layout check after it."""
from __future__ import annotations

import time

import pytest

from planner import markup
from planner import print_content as content
from planner import printing
from planner.markup import MarkupError
from planner.printing import PrintError
from tests.unit.test_printing import leaflet


def test_blockquote_nested_150_deep_is_refused_before_the_parser():
    with pytest.raises(MarkupError, match="lồng nhau 150 cấp.*tối đa 8 cấp"):
        markup.render_markdown("> " * 150 + "sâu", strict=True)


def test_raw_html_nesting_is_refused_after_sanitising():
    with pytest.raises(MarkupError, match="lồng nhau quá sâu"):
        markup.render_markdown("<blockquote>" * 400 + "x", strict=True)


def test_a_60000_character_table_is_refused_in_well_under_a_second():
    table = "| a | b | c | d | e | f | g | h | i | j |\n|" + "---|" * 10 + "\n" + "| ô " * 10 + "|\n"
    text = table + ("| ô " * 10 + "|\n") * 1900
    assert len(text) > 20_000
    started = time.perf_counter()
    with pytest.raises(MarkupError):
        markup.render_markdown(text, strict=True)
    assert time.perf_counter() - started < 0.5
    wide = "| a |" + " b |" * 14 + "\n|" + "---|" * 15 + "\n" + ("| x " * 15 + "|\n") * 3
    assert "15 cột" in " ".join(markup.markdown_problems(wide))
    tall = "| a | b |\n|---|---|\n" + "| x | y |\n" * 70
    assert "Bảng có 72 dòng × 2 cột" in " ".join(markup.markdown_problems(tall))


def test_total_size_is_bounded_with_a_vietnamese_figure():
    assert markup.markdown_problems("x" * 20_001) == ["Nội dung dài 20.001 ký tự, vượt giới hạn 20.000 ký tự."]


def test_pages_show_a_notice_instead_of_failing_on_a_body_beyond_the_limits():
    html = markup.render_markdown("> " * 150 + "<script>x</script>")
    assert "Không hiển thị được nội dung" in html and "<script>" not in html


def test_ordinary_library_bodies_are_within_the_limits():
    from pathlib import Path

    from planner.library import load_library

    messages = load_library(Path(__file__).resolve().parents[2] / "content_library").messages
    assert messages and all(markup.markdown_problems(m.body_md) == [] for m in messages)


@pytest.mark.parametrize("body", [
    "<p>" + "Siêuđặcbiệtdàikhôngcódấucách" * 10 + "</p><h2>" + "Tiêuđề" * 30 + "</h2>",
    "<p>Truy cập https://dichvucong.gov.vn/" + "a" * 200 + " ngay.</p><p>Tiếp</p>",
    "<p>Bảng</p><table><tr>" + "<td>Ô_rất_dài_không_có_chỗ_ngắt_abcdefghijkl</td>" * 10 + "</tr></table>",
])
def test_long_words_urls_and_wide_tables_wrap_inside_the_page(body):
    rendered = printing.render_print_product(**leaflet(body_html=body, title="Tiêu_đề_liền_rất_dài_" * 6))
    assert rendered.pages <= 2  # rendered with the layout check on: nothing past the safe area


def _page(body: str) -> str:
    return ('<html><head><style>@page { size: 148mm 210mm; bleed: 3mm; margin: 10mm; } '
            '@font-face { font-family: "Planner Serif"; src: url(planner-font:LiberationSerif-Regular.ttf); } '
            'html { font-family: "Planner Serif"; }</style></head>'
            f'<body>{body}</body></html>')


def test_text_past_the_safe_area_is_an_error_not_a_clipped_pdf():
    with pytest.raises(PrintError, match="Trang 1: chữ tràn ra ngoài vùng in an toàn.*“Dài"):
        printing.html_to_pdf(_page('<p style="white-space: nowrap">Dài ' + "chữ " * 80 + "</p>"), layout_scale=1)
    # Without the product check (reports, rosters) the same page renders.
    assert printing.html_to_pdf(_page('<p style="white-space: nowrap">Dài ' + "chữ " * 80 + "</p>"))[1] == 1


def test_text_drawn_over_other_text_is_an_error():
    body = ('<div style="position: absolute; top: 20mm">chồng chữ lên nhau</div>'
            '<div style="position: absolute; top: 20mm; left: 12mm">chồng chữ</div>')
    with pytest.raises(PrintError, match="chữ chồng lên nhau"):
        printing.html_to_pdf(_page(body), layout_scale=1)


def test_emoji_is_named_with_a_reason_a_print_shop_understands():
    message = content.unprintable_message("Chung tay 🙌 vì an sinh")
    assert "“🙌” (U+1F64C)" in message and "biểu tượng cảm xúc" in message
    assert content.unprintable_message("Tài khoản an sinh – VNeID “đúng” 100%") == ""


def test_a_cover_whose_lead_cannot_fit_beside_the_qr_is_refused_with_the_reason():
    body = "<p>" + "Nội dung phần mở đầu khá dài. " * 70 + "</p><h2>Sau</h2><p>x</p>"
    with pytest.raises(PrintError, match=r"Không dựng được tờ rơi A5 đúng khổ: Trang 1: chữ chồng lên nhau.*"
                                         r"Hãy rút gọn nội dung"):
        printing.render_print_product(**leaflet(body_html=body))
