"""Roster layout: week sheets (pure), one A4 page per village-week in the normal case, the signature never
alone on a page, the header row and the village on every page, pages attributed back to their villages."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys

import pytest

from planner import localtime, print_roster, printing

MONDAY = dt.date(2026, 3, 30)
TITLE = "Lợi ích của việc tích hợp tài khoản an sinh xã hội trên VNeID"  # a library title: two lines here
NOTE = ("Kính thưa bà con Nhân dân xã Ngọc Lặc! Thực hiện Kế hoạch của Ban Chỉ đạo Đề án 06 xã, từ nay đến hết "
        "ngày 15/4/2026, mỗi người dân có tài khoản định danh điện tử mức 2 hãy tích hợp tài khoản an sinh.")
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def rows(count: int, *, per_day: int = 2) -> list[dict]:
    out = []
    for n in range(count):
        day = MONDAY + dt.timedelta(days=min(6, n // per_day))
        out.append({"day": day, "date": f"{day:%d/%m/%Y}", "weekday": localtime.weekday_label(day),
                    "session": ("05:30–05:45", "17:00–17:15", "19:00–19:15", "20:00–20:15")[n % per_day],
                    "title": TITLE, "duration": "1:30", "note": NOTE,
                    "marks": ["Tin khẩn"] if n == 5 else []})
    return out


def render(count: int, *, per_day: int = 2, last: dt.date | None = None):
    return printing.render_roster(
        unit_name="Thôn 12", commune_name="Xã Ngọc Lặc", rows=rows(count, per_day=per_day), period_label="",
        plan_title="Kế hoạch tuyên truyền tích hợp tài khoản an sinh xã hội trên ứng dụng VNeID (đợt cao điểm)",
        confirm_url="https://planner.example.vn/x/" + "Zm9v" * 20, generated_at_label="07:00 ngày 28/03/2026",
        first=MONDAY, last=last or MONDAY + dt.timedelta(days=6))


def texts(pdf: bytes) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return out.decode().split("\f")[:-1]


def test_roster_layout_module_is_pure():
    code = "import sys, planner.print_roster; print(sorted({'weasyprint', 'flask', 'sqlalchemy'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_period_is_cut_into_week_sheets_and_notes_are_clipped():
    sheets = print_roster.roster_weeks(rows(14), MONDAY, MONDAY + dt.timedelta(days=9))
    assert [s["period_label"] for s in sheets] == ["30/03/2026 – 05/04/2026", "06/04/2026 – 08/04/2026"]
    assert sum(len(d["rows"]) for d in sheets[0]["days"]) == 14 and sheets[1]["days"] == []
    note = sheets[0]["days"][0]["rows"][0]["note"]
    assert note.endswith("…") and len(note) <= print_roster.NOTE_CHARS + 1 and NOTE.startswith(note[:-1])


def test_pages_are_attributed_to_the_village_that_starts_on_them():
    owners = print_roster.village_of_pages([{"village-0", "x"}, set(), {"village-1"}, {"village-2"}, set()])
    assert owners == [0, 0, 1, 2, 2]
    assert print_roster.page_ranges(owners, 3) == [(0, 2), (2, 3), (3, 5)]
    with pytest.raises(ValueError):
        print_roster.page_ranges(owners, 4)


@needs_poppler
def test_a_normal_village_week_fits_one_a4_page_with_its_marks():
    rendered = render(14)  # two sessions a day for seven days, long titles and notes
    assert rendered.pages == 1
    (text,) = texts(rendered.data)
    assert "[Tin khẩn]" in text and "TRƯỞNG THÔN" in text and text.count(":30–05:45") == 7


@needs_poppler
def test_a_long_week_keeps_the_signature_with_rows_and_repeats_header_and_village():
    rendered = render(19, per_day=3)
    pages = texts(rendered.data)
    assert len(pages) == 2
    for text in pages:
        assert re.search(r"Ngày\s+Buổi\s+Nội dung", text)        # the header row opens every page
        assert "Thôn 12 · 30/03/2026 – 05/04/2026" in text       # so does the running footer
    assert "TRƯỞNG THÔN" not in pages[0] and "TRƯỞNG THÔN" in pages[1]
    assert re.search(r"\d\d:\d\d–\d\d:\d\d", pages[1])  # never the signature alone


@needs_poppler
def test_each_week_of_a_longer_period_starts_its_own_page():
    rendered = render(14, last=MONDAY + dt.timedelta(days=20))
    pages = texts(rendered.data)
    assert len(pages) == 3 and "13/04/2026 – 19/04/2026" in pages[2] and "Chưa có buổi phát nào" in pages[1]


@needs_poppler
def test_a_village_week_looks_like_its_reviewed_reference():
    """The page as a person sees it (marks, signature, village head, QR); PLANNER_UPDATE_GOLDEN=1 rewrites it."""
    from pathlib import Path

    from tests.unit.png_reference import assert_pages_match

    marked = rows(14)
    marked[8] = {**marked[8], "marks": ["Phiên đột xuất"]}
    rendered = printing.render_roster(
        unit_name="Thôn 12", commune_name="Xã Ngọc Lặc", rows=marked, period_label="",
        plan_title="Kế hoạch tuyên truyền tích hợp tài khoản an sinh xã hội trên ứng dụng VNeID (đợt cao điểm)",
        confirm_url="https://planner.example.vn/x/" + "Zm9v" * 20, generated_at_label="07:00 ngày 28/03/2026",
        first=MONDAY, last=MONDAY + dt.timedelta(days=6))
    references = Path(__file__).resolve().parents[1] / "fixtures" / "golden" / "print" / "references"
    assert_pages_match(printing.render_to_png_pages(rendered.data, dpi=60), references, "roster_week")


# --- the reportlab drawing (planner.roster_pdf) ------------------------------------------------

def village(name: str, count: int, *, per_day: int = 2) -> dict:
    return printing.roster_village(unit_name=name, rows=rows(count, per_day=per_day), first=MONDAY,
                                   last=MONDAY + dt.timedelta(days=6), html=False,
                                   confirm_url=f"https://planner.example.vn/x/{name.split()[-1]}")


def test_roster_drawing_module_is_pure():
    code = ("import sys, planner.roster_pdf; "
            "print(sorted({'weasyprint', 'flask', 'sqlalchemy'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_fonts_are_embedded_subsets_and_text_keeps_its_diacritics():
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Thôn Đồng Tâm")  # as some keyboards and imports send it
    assert decomposed != "Thôn Đồng Tâm"
    rendered = printing.render_roster(
        unit_name=decomposed, commune_name="Xã Ngọc Lặc", rows=rows(14), period_label="", plan_title="Kế hoạch",
        confirm_url="https://planner.example.vn/x/abc", generated_at_label="07:00 ngày 28/03/2026",
        first=MONDAY, last=MONDAY + dt.timedelta(days=6))
    fonts = subprocess.run(["pdffonts", "-"], input=rendered.data, capture_output=True, check=True).stdout.decode()
    lines = fonts.splitlines()[2:]
    assert lines and all(re.search(r"\+LiberationSerif(-Bold|-Italic|-BoldItalic)?\s", line) for line in lines)
    assert all(line.split()[-5:-2] == ["yes", "yes", "yes"] for line in lines)  # embedded, subset, ToUnicode
    (text,) = texts(rendered.data)
    for phrase in ("LỊCH PHÁT THANH TRÊN HỆ THỐNG LOA – THÔN ĐỒNG TÂM", "Thôn Đồng Tâm · 30/03/2026 – 05/04/2026",
                   "Thứ Hai", "Kính thưa bà con Nhân dân xã Ngọc Lặc", "Trưởng thôn".upper(), "(Ký, ghi rõ họ tên)"):
        assert phrase in text
    meta = subprocess.run(["pdfinfo", "-"], input=rendered.data, capture_output=True, check=True).stdout.decode()
    assert "Lịch phát thanh – Thôn Đồng Tâm" in meta and "A4" in meta


def test_a_character_the_fonts_lack_is_refused_by_name():
    with pytest.raises(printing.PrintError, match=r"“😀” \(U\+1F600\)"):
        printing.render_roster_villages([village("Thôn 2 😀", 4)], commune_name="Xã Ngọc Lặc", plan_title="Kế hoạch",
                                        generated_at_label="07:00", pdf_title="x")


@needs_poppler
def test_villages_of_a_batch_start_their_own_pages_numbered_from_one():
    data, pages, ranges = printing.render_roster_villages(
        [village("Thôn 1", 14), village("Thôn 2", 19, per_day=3), village("Thôn 3", 0)],
        commune_name="Xã Ngọc Lặc", plan_title="Kế hoạch", generated_at_label="07:00", pdf_title="Xã Ngọc Lặc")
    assert pages == 4 and ranges == [(0, 1), (1, 3), (3, 4)]
    got = texts(data)
    assert [re.search(r"(Thôn \d) · ", t).group(1) for t in got] == ["Thôn 1", "Thôn 2", "Thôn 2", "Thôn 3"]
    assert [re.search(r"Trang (\d+)", t).group(1) for t in got] == ["1", "1", "2", "1"]
    assert "Chưa có buổi phát nào" in got[3] and all("TRƯỞNG THÔN" in got[n] for n in (0, 2, 3))


@needs_poppler
def test_a_day_longer_than_a_page_breaks_between_rows_each_naming_its_date():
    many = [{**row, "day": MONDAY, "date": f"{MONDAY:%d/%m/%Y}", "weekday": "Thứ Hai"} for row in rows(40, per_day=2)]
    rendered = printing.render_roster(
        unit_name="Thôn 12", commune_name="Xã Ngọc Lặc", rows=many, period_label="", plan_title="Kế hoạch",
        confirm_url="https://planner.example.vn/x/abc", generated_at_label="07:00",
        first=MONDAY, last=MONDAY + dt.timedelta(days=6))
    pages = texts(rendered.data)
    assert len(pages) >= 2 and sum(t.count("Thứ Hai") for t in pages) == 40
    assert "TRƯỞNG THÔN" in pages[-1] and re.search(r"\d\d:\d\d–\d\d:\d\d", pages[-1])
