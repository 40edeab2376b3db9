"""The content library loader: the real library loads, and every kind of bad input is reported."""
from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest

from planner.library import (
    ONLINE_POST_SECONDS, Library, LibraryError, Problem, load_library, load_units_csv, parse_date,
    parse_weekdays,
)

REPO = Path(__file__).resolve().parents[2]
CONTENT = REPO / "content_library"
SCHEDULES = REPO / "schedules"
BAD = REPO / "tests" / "fixtures" / "library_bad"
NL, BH = "ngoc-lac-asxh-2026", "bhxh-2728-2023"


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library(CONTENT, SCHEDULES)


@pytest.fixture
def copy(tmp_path):
    """A writable copy of the real library: (content_dir, schedules_dir)."""
    content, schedules = tmp_path / "content_library", tmp_path / "schedules"
    shutil.copytree(CONTENT, content)
    shutil.copytree(SCHEDULES, schedules)
    return content, schedules


def corrupt(path: Path, old: str, new: str) -> int:
    """Replace the first `old` in a file by `new`; return the 1-based line where it was."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


def problems_of(content: Path, schedules: Path | None = None, **kwargs) -> list[Problem]:
    with pytest.raises(LibraryError) as info:
        load_library(content, schedules, **kwargs)
    return info.value.problems


def find(problems: list[Problem], file: str, field: str) -> Problem:
    matches = [p for p in problems if p.file == file and p.field == field]
    assert matches, f"no problem for {file} {field}; got:\n" + "\n".join(map(str, problems))
    return matches[0]


def body_words(text: str) -> list[str]:
    return re.sub(r"[#*_>\[\]]", " ", text).split()


# ---------------------------------------------------------------- the real library


def test_real_library_loads_with_expected_counts(library):
    assert [p.code for p in library.plans] == [BH, NL]
    assert len(library.units) == 16 + 42
    assert len(library.messages) == 32
    assert Counter(m.plan_code for m in library.messages) == {BH: 20, NL: 12}
    assert len(library.targets) == 4
    assert len(library.grids) == 10
    assert library.loudspeaker_per_village is True
    assert library.loudspeaker_name_pattern.format(unit_name="Thôn 1") == "Cụm loa Thôn 1"


def test_messages_per_plan_and_channel(library):
    counts = Counter((m.plan_code, m.channel) for m in library.messages)
    assert counts[(NL, "loudspeaker")] == 4
    assert counts[(NL, "leaflet")] == 1
    assert counts[(NL, "banner")] == 3
    assert counts[(NL, "poster")] == 1
    assert counts[(BH, "fanpage")] == 11
    assert counts[(BH, "zalo")] == 3
    assert counts[(BH, "portal")] == 3


def test_some_messages_are_drafts_for_the_review_flow(library):
    drafts = {m.code for m in library.messages if m.status == "draft"}
    assert drafts == {"zalo-to-huong-dan-thon", "fb-1-6-dien-hinh", "portal-lo-trinh-2025-2030"}


def test_villages_are_forty_two_numbered_units_of_the_commune(library):
    villages = [u for u in library.units if u.kind == "village"]
    assert [u.code for u in villages] == [f"thon-{i:02d}" for i in range(1, 43)]
    assert [u.name for u in villages] == [f"Thôn {i}" for i in range(1, 43)]
    assert {u.parent_code for u in villages} == {"xa-ngoc-lac"}


def test_units_come_parents_first(library):
    position = {u.code: i for i, u in enumerate(library.units)}
    assert library.units[0].code == "viet-nam" and library.units[0].parent_code is None
    for unit in library.units:
        if unit.parent_code:
            assert position[unit.parent_code] < position[unit.code]


def test_organisation_tree_and_duties(library):
    units = {u.code: u for u in library.units}
    assert units["xa-ngoc-lac"].parent_code == "tinh-thanh-hoa"
    assert units["bhxh-thanh-hoa"].kind == "agency" and units["bhxh-thanh-hoa"].parent_code == "bhxh-viet-nam"
    assert units["in-ngoc-lac"].kind == "print_shop"
    assert "25/12" in units["bhxh-trung-tam-cntt"].duties
    assert "1900.9068" in units["bhxh-trung-tam-cskh"].duties
    assert "Cơ quan thường trực" in units["xa-ngoc-lac-cong-an"].duties


def test_plan_2728_fields(library):
    plan = next(p for p in library.plans if p.code == BH)
    assert plan.number == "2728/KH-BHXH"
    assert plan.unit_code == "bhxh-trung-tam-truyen-thong"
    assert (plan.issued_on, plan.starts_on, plan.ends_on) == (dt.date(2023, 8, 31), dt.date(2023, 8, 31),
                                                              dt.date(2030, 12, 31))
    assert [a.code for a in plan.audiences] == ["cap-uy-chinh-quyen", "don-vi-doanh-nghiep", "nguoi-dan",
                                                "ccvc-bhxh"]
    assert [code for code, _ in plan.themes] == ["1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2023",
                                                  "2024-2025", "2025-2030"]
    assert plan.details["deadlines"][0]["due"] == "25/12"
    assert plan.details["channels"] == list(plan.channels)
    assert {r["frequency"] for r in plan.details["reporting"]} == {"monthly", "six_monthly", "annual"}


def test_plan_ngoc_lac_is_ongoing_and_notes_the_blank_date(library):
    plan = next(p for p in library.plans if p.code == NL)
    assert plan.ends_on is None and plan.starts_on == dt.date(2026, 3, 5)
    assert plan.number == "KH-BCĐ" and plan.replan_missed is True
    assert any("05/03/2026" in note for note in plan.details["notes"])
    assert {a.code for a in plan.audiences} == {"nguoi-dan", "doan-vien-hoi-vien", "can-bo-thon"}
    first = plan.details["indicators"][0]
    assert (first["code"], first["measure"], first["target"], first["level"]) == ("tich-hop-asxh", "percentage", 100, "village")
    assert (first["from"], first["deadline"]) == ("2026-03-31", "2026-04-15")


def test_records_are_frozen(library):
    with pytest.raises(FrozenInstanceError):
        library.plans[0].title = "x"  # type: ignore[misc]


def test_messages_use_their_file_name_as_code_and_keep_the_source(library):
    for message in library.messages:
        assert message.source == f"plans/{message.plan_code}/messages/{message.code}.md"
        assert message.body_md and not message.body_md.startswith("---")


def test_ngoc_lac_loudspeaker_scripts_read_in_one_to_two_minutes(library):
    scripts = [m for m in library.messages if m.plan_code == NL and m.channel == "loudspeaker"]
    for script in scripts:
        assert 150 <= len(body_words(script.body_md)) <= 350, script.code
        assert (script.min_per_week, script.min_gap_hours) == (3, 4)
        assert script.peak_per_day in (1, 2)


def test_fanpage_posts_have_a_post_length(library):
    for post in (m for m in library.messages if m.channel == "fanpage"):
        assert 60 <= len(body_words(post.body_md)) <= 250, post.code


def test_banner_slogans_are_short_capitals_ending_with_an_exclamation(library):
    for banner in (m for m in library.messages if m.channel == "banner"):
        text = banner.body_md.replace("VNeID", "VNEID")
        assert text == text.upper() and text.endswith("!") and len(text.split()) <= 25, banner.code


def test_leaflet_has_the_six_steps_and_the_consent_text(library):
    leaflet = next(m for m in library.messages if m.code == "to-roi-6-buoc")
    for step in range(1, 7):
        assert f"**Bước {step}:**" in leaflet.body_md
    assert "Tôi đã đọc Mục đích chia sẻ, xử lý dữ liệu, Quyền, nghĩa vụ của chủ thể dữ liệu" in leaflet.body_md
    assert "Tài khoản hưởng an sinh xã hội" in leaflet.body_md


def test_peak_message_for_digital_transformation_day(library):
    post = next(m for m in library.messages if m.code == "fb-ngay-chuyen-doi-so")
    assert (post.valid_from, post.valid_to) == (dt.date(2026, 10, 1), dt.date(2026, 10, 10))
    assert post.priority == "priority"


def test_grids_convert_capacity_to_seconds(library):
    grids = {g.code: g for g in library.grids}
    morning = grids["loa-sang-thanh-hoa"]
    assert (morning.start, morning.end, morning.capacity_seconds) == (dt.time(5, 30), dt.time(6), 900)
    assert morning.weekdays == 0b1111111 and morning.unit_code == "tinh-thanh-hoa"
    assert grids["loa-sang-thon-01"].start == dt.time(6)
    assert grids["zalo-toi-bhxh"].capacity_seconds == ONLINE_POST_SECONDS
    assert grids["zalo-toi-bhxh"].target_code == "zalo-bhxh-vn" and grids["zalo-toi-bhxh"].unit_code is None
    assert grids["portal-sang-bhxh"].weekdays == 0b0011111


def test_windows_include_yearly_peaks_and_vietnamese_holidays(library):
    windows = {w.code: w for w in library.windows}
    day = windows["ngay-chuyen-doi-so"]
    assert day.is_yearly and (day.starts_on.month, day.starts_on.day, day.ends_on.day) == (10, 1, 10)
    assert windows["ngoc-lac-cao-diem"].plan_code == NL
    assert windows["ngoc-lac-cao-diem"].ends_on == dt.date(2026, 4, 15)
    assert windows["le-2026-02-17"].name == "Tết Nguyên Đán"
    assert "Giao thừa" in windows["le-2026-02-16"].name
    assert windows["le-2026-02-17"].kind == "blackout" and windows["le-2026-02-17"].channels == ("loudspeaker",)
    assert "le-2031-01-01" in windows and not any(c.startswith("le-2032") for c in windows)


def test_loader_imports_neither_flask_nor_sqlalchemy():
    code = "import sys, planner.library; print('flask' in sys.modules, 'sqlalchemy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert result.stdout.split() == ["False", "False"]


# ---------------------------------------------------------------- bad input, one corruption at a time

MSG = f"plans/{NL}/messages"


def test_unknown_audience_names_file_line_and_field(copy):
    content, schedules = copy
    line = corrupt(content / MSG / "loa-loi-ich.md", "audience: nguoi-dan", "audience: xyz")
    problem = find(problems_of(content, schedules), f"{MSG}/loa-loi-ich.md", "audience")
    assert problem.line == line
    assert problem.reason == f"không có nhóm đối tượng 'xyz' trong kế hoạch '{NL}'"


def test_unknown_channel(copy):
    content, schedules = copy
    line = corrupt(content / MSG / "fanpage-xa-loi-ich.md", "channel: fanpage", "channel: tiktok")
    problem = find(problems_of(content, schedules), f"{MSG}/fanpage-xa-loi-ich.md", "channel")
    assert (problem.line, problem.reason) == (line, "kênh 'tiktok' không được hỗ trợ")


def test_channel_the_plan_does_not_use(copy):
    content, schedules = copy
    corrupt(content / MSG / "fanpage-xa-loi-ich.md", "channel: fanpage", "channel: portal")
    problem = find(problems_of(content, schedules), f"{MSG}/fanpage-xa-loi-ich.md", "channel")
    assert "không có trong danh sách kênh của kế hoạch" in problem.reason


def test_impossible_date(copy):
    content, schedules = copy
    line = corrupt(content / MSG / "loa-cao-diem.md", "valid_from: 31/03/2026", "valid_from: 31/02/2026")
    problem = find(problems_of(content, schedules), f"{MSG}/loa-cao-diem.md", "valid_from")
    assert problem.line == line and "ngày không hợp lệ" in problem.reason and "31/02/2026" in problem.reason


def test_missing_title(copy):
    content, schedules = copy
    path = content / f"plans/{BH}/messages/zalo-tong-dai.md"
    corrupt(path, "title: Tổng đài 1900.9068 – giải đáp vướng mắc về BHXH, BHYT và Đề án 06\n", "")
    problem = find(problems_of(content, schedules), f"plans/{BH}/messages/zalo-tong-dai.md", "title")
    assert problem.reason == "thiếu tiêu đề" and problem.line == 2


def test_unknown_unit_code_in_plan(copy):
    content, schedules = copy
    line = corrupt(content / f"plans/{NL}/plan.yaml", "unit: xa-ngoc-lac\n", "unit: abc\n")
    problem = find(problems_of(content, schedules), f"plans/{NL}/plan.yaml", "unit")
    assert (problem.line, problem.reason) == (line, "không có đơn vị mã 'abc'")


def test_unknown_unit_code_in_duties_points_at_the_list_item(copy):
    content, schedules = copy
    line = corrupt(content / f"plans/{NL}/plan.yaml", "- unit: xa-ngoc-lac-kinh-te", "- unit: abc")
    problem = find(problems_of(content, schedules), f"plans/{NL}/plan.yaml", "details.duties[5].unit")
    assert (problem.line, problem.reason) == (line, "không có đơn vị mã 'abc'")


def test_unknown_unit_code_in_grid_and_target(copy):
    content, schedules = copy
    grid_line = corrupt(schedules / "grids.yaml", "unit: xa-ngoc-lac", "unit: xa-khong-co")
    target_line = corrupt(schedules / "targets.yaml", "unit: xa-ngoc-lac", "unit: xa-khong-co")
    problems = problems_of(content, schedules)
    assert find(problems, "schedules/grids.yaml", "grids[7].unit").line == grid_line
    assert find(problems, "schedules/targets.yaml", "online[4].unit").line == target_line


def test_unknown_village_parent(copy):
    content, schedules = copy
    corrupt(content / "villages/ngoc-lac.csv", "thon-05,Thôn 5,xa-ngoc-lac", "thon-05,Thôn 5,xa-khong-co")
    problem = find(problems_of(content, schedules), "villages/ngoc-lac.csv", "parent_code")
    assert (problem.line, problem.reason) == (6, "không có đơn vị mã 'xa-khong-co'")


def test_bad_time(copy):
    content, schedules = copy
    line = corrupt(schedules / "grids.yaml", 'start: "05:30"', 'start: "5h30"')
    problem = find(problems_of(content, schedules), "schedules/grids.yaml", "grids[1].start")
    assert problem.line == line and "giờ '5h30' không hợp lệ" in problem.reason


def test_unquoted_time_is_still_read_as_a_time(copy):
    content, schedules = copy
    corrupt(schedules / "grids.yaml", 'start: "05:30"', "start: 05:30")
    library = load_library(content, schedules)
    assert library.grids[0].start == dt.time(5, 30)


def test_grid_end_before_start(copy):
    content, schedules = copy
    line = corrupt(schedules / "grids.yaml", 'end: "06:00"', 'end: "05:00"')
    problem = find(problems_of(content, schedules), "schedules/grids.yaml", "grids[1].end")
    assert (problem.line, problem.reason) == (line, "giờ kết thúc phải sau giờ bắt đầu")


def test_window_end_before_start(copy):
    content, schedules = copy
    line = corrupt(schedules / "windows.yaml", "ends_on: 15/04/2026", "ends_on: 01/03/2026")
    problem = find(problems_of(content, schedules), "schedules/windows.yaml", "windows[3].ends_on")
    assert (problem.line, problem.reason) == (line, "ngày kết thúc trước ngày bắt đầu")


def test_plan_end_before_start(copy):
    content, schedules = copy
    line = corrupt(content / f"plans/{BH}/plan.yaml", "ends_on: 31/12/2030", "ends_on: 31/12/2020")
    problem = find(problems_of(content, schedules), f"plans/{BH}/plan.yaml", "ends_on")
    assert problem.line == line


def test_bad_weekdays_and_zero_capacity(copy):
    content, schedules = copy
    corrupt(schedules / "grids.yaml", "weekdays: T2-T6", "weekdays: T8")
    corrupt(schedules / "grids.yaml", "capacity_minutes: 15", "capacity_minutes: 0")
    problems = problems_of(content, schedules)
    assert "thứ 'T8' không hợp lệ" in find(problems, "schedules/grids.yaml", "grids[10].weekdays").reason
    assert find(problems, "schedules/grids.yaml", "grids[1].capacity_minutes").reason == \
        "phải lớn hơn hoặc bằng 1"


def test_grid_target_of_another_channel(copy):
    content, schedules = copy
    corrupt(schedules / "grids.yaml", "target: zalo-bhxh-vn", "target: portal-bhxh-vn")
    problem = find(problems_of(content, schedules), "schedules/grids.yaml", "grids[9].target")
    assert "thuộc kênh 'portal'" in problem.reason


def test_duplicate_codes(copy):
    content, schedules = copy
    corrupt(schedules / "grids.yaml", "code: loa-chieu-thanh-hoa", "code: loa-sang-thanh-hoa")
    corrupt(content / "units.yaml", "code: bhxh-tap-chi", "code: bhxh-trung-tam-cntt")
    problems = problems_of(content, schedules)
    assert "bị trùng" in find(problems, "schedules/grids.yaml", "grids[2].code").reason
    assert "bị trùng" in find(problems, "units.yaml", "units[14].code").reason


def test_unknown_kind_priority_and_status(copy):
    content, schedules = copy
    corrupt(content / "units.yaml", "kind: print_shop", "kind: printer")
    corrupt(content / MSG / "loa-cao-diem.md", "priority: priority", "priority: urgent")
    corrupt(content / MSG / "zalo-to-huong-dan-thon.md", "status: draft", "status: published")
    problems = problems_of(content, schedules)
    assert "loại đơn vị 'printer'" in find(problems, "units.yaml", "units[10].kind").reason
    assert "mức ưu tiên 'urgent'" in find(problems, f"{MSG}/loa-cao-diem.md", "priority").reason
    assert "trạng thái 'published'" in find(problems, f"{MSG}/zalo-to-huong-dan-thon.md", "status").reason


def test_yaml_syntax_error_reports_its_line(copy):
    content, schedules = copy
    line = corrupt(schedules / "targets.yaml", "  per_village: true", "  per_village: [true")
    problem = find(problems_of(content, schedules), "schedules/targets.yaml", "yaml")
    assert problem.reason.startswith("lỗi cú pháp YAML") and problem.line >= line


def test_error_text_lists_every_problem_one_per_line(copy):
    content, schedules = copy
    corrupt(content / MSG / "loa-loi-ich.md", "audience: nguoi-dan", "audience: xyz")
    line = corrupt(schedules / "grids.yaml", 'start: "05:30"', 'start: "99:99"')
    with pytest.raises(LibraryError) as info:
        load_library(content, schedules)
    lines = str(info.value).splitlines()
    assert len(lines) == len(info.value.problems) == 2
    assert lines[0] == f"{MSG}/loa-loi-ich.md:4: audience: không có nhóm đối tượng 'xyz' trong kế hoạch '{NL}'"
    assert lines[1].startswith(f"schedules/grids.yaml:{line}: grids[1].start: giờ '99:99'")


# ---------------------------------------------------------------- fixtures with many problems


def test_single_plan_folder_collects_all_problems():
    problems = problems_of(BAD / "single-plan", known_unit_codes=frozenset({"xa-ngoc-lac"}))
    seen = {(p.file, p.field) for p in problems}
    plan, msg = "plan.yaml", "messages/loi-nhieu-cho.md"
    expected = {
        (plan, "unit"), (plan, "issued_on"), (plan, "ends_on"), (plan, "period_rule"),
        (plan, "audiences[2].code"), (plan, "channels[2]"),
        (msg, "code"), (msg, "title"), (msg, "audience"), (msg, "channel"), (msg, "theme"),
        (msg, "priority"), (msg, "valid_to"), (msg, "min_per_week"), (msg, "status"), (msg, "colour"),
        ("messages/khong-co-front-matter.md", "front_matter"), ("messages/yaml-hong.md", "yaml"),
    }
    assert expected <= seen, "\n".join(map(str, problems))
    assert find(problems, plan, "issued_on").line == 7


def test_plan_units_may_come_from_the_database():
    problems = problems_of(BAD / "single-plan", known_unit_codes=frozenset({"don-vi-khong-co"}))
    assert not [p for p in problems if p.field == "unit"]


def test_partial_library_checks_units_against_known_codes(tmp_path):
    shutil.copytree(CONTENT / "plans", tmp_path / "plans")
    with pytest.raises(LibraryError) as info:
        load_library(tmp_path)
    assert any(p.reason == "không có đơn vị mã 'xa-ngoc-lac'" for p in info.value.problems)
    known = frozenset(u.code for u in load_library(CONTENT).units)
    library = load_library(tmp_path, known_unit_codes=known)
    assert len(library.plans) == 2 and library.units == () and library.grids == ()


def test_units_csv_for_a_commune_replacing_its_villages(tmp_path):
    path = tmp_path / "thon-moi.csv"
    path.write_text("code,name,parent_code\nthon-a,Thôn A,xa-ngoc-lac\nthon-b,Thôn B,xa-ngoc-lac\n",
                    encoding="utf-8")
    units = load_units_csv(path, known_unit_codes=frozenset({"xa-ngoc-lac"}))
    assert [(u.code, u.kind, u.parent_code) for u in units] == [("thon-a", "village", "xa-ngoc-lac"),
                                                                ("thon-b", "village", "xa-ngoc-lac")]


def test_units_csv_reports_every_bad_row():
    with pytest.raises(LibraryError) as info:
        load_units_csv(BAD / "villages.csv", known_unit_codes=frozenset({"xa-ngoc-lac"}))
    found = {(p.line, p.field) for p in info.value.problems}
    assert {(3, "code"), (4, "name"), (5, "parent_code"), (6, "kind"), (7, "code")} <= found
    assert all(p.file == "villages.csv" for p in info.value.problems)


def test_units_csv_needs_its_columns(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("ma,ten\nthon-a,Thôn A\n", encoding="utf-8")
    with pytest.raises(LibraryError) as info:
        load_units_csv(path)
    assert info.value.problems[0].reason == "thiếu cột trong dòng tiêu đề"


# ---------------------------------------------------------------- parsers


@pytest.mark.parametrize("text, mask", [
    ("T2-CN", 0b1111111), ("T2-T6", 0b0011111), ("T7,CN", 0b1100000), (["T2", "T4", "T6"], 0b0010101),
    ("cn", 0b1000000),
])
def test_parse_weekdays(text, mask):
    assert parse_weekdays(text) == mask


@pytest.mark.parametrize("text", ["", "T6-T2", "Thứ 2", []])
def test_parse_weekdays_rejects(text):
    with pytest.raises(ValueError):
        parse_weekdays(text)


def test_parse_date():
    assert parse_date("05/03/2026") == dt.date(2026, 3, 5)
    with pytest.raises(ValueError, match="ngày không hợp lệ"):
        parse_date("31/02/2026")
    with pytest.raises(ValueError, match="dd/mm/yyyy"):
        parse_date("2026-03-05")


def test_schedules_alone_load_against_known_units_and_plans(tmp_path):
    known = frozenset(u.code for u in load_library(CONTENT).units)
    library = load_library(tmp_path / "no-content", SCHEDULES, known_unit_codes=known,
                           known_plan_codes=frozenset({NL, BH}))
    assert library.plans == () and len(library.grids) == 10 and len(library.targets) == 4
    with pytest.raises(LibraryError) as info:
        load_library(tmp_path / "no-content", SCHEDULES, known_unit_codes=known)
    assert any(p.reason == f"không có kế hoạch mã '{NL}'" for p in info.value.problems)


def test_library_writer_imports_neither_flask_nor_sqlalchemy_and_shifts_only_full_dates():
    code = "import sys, planner.library_writer; print('flask' in sys.modules, 'sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout
    assert out.split() == ["False", "False"]
    from planner.library_writer import shift_dates

    doc = {"due": "31/03/2026", "yearly": "10/10", "post_at": ["05/04/2026 19:30"], "note": "đến 15/4/2026"}
    assert shift_dates(doc, 366) == {"due": "01/04/2027", "yearly": "10/10", "post_at": ["06/04/2027 19:30"],
                                     "note": "đến 15/4/2026"}


def test_a_window_may_belong_to_a_unit_but_not_to_a_unit_and_a_plan(copy):
    content, schedules = copy
    corrupt(schedules / "windows.yaml", "    plan: ngoc-lac-asxh-2026\n", "    unit: xa-ngoc-lac\n")
    window = next(w for w in load_library(content, schedules).windows if w.code == "ngoc-lac-cao-diem")
    assert window.unit_code == "xa-ngoc-lac" and window.plan_code is None
    corrupt(schedules / "windows.yaml", "    unit: xa-ngoc-lac\n", "    unit: xa-khong-co\n")
    assert "xa-khong-co" in find(problems_of(content, schedules), "schedules/windows.yaml", "windows[3].unit").reason
    corrupt(schedules / "windows.yaml", "    unit: xa-khong-co\n", "    unit: xa-ngoc-lac\n    plan: ngoc-lac-asxh-2026\n")
    problem = find(problems_of(content, schedules), "schedules/windows.yaml", "windows[3].unit")
    assert "không cả hai" in problem.reason


def test_holiday_exemptions_name_a_known_plan_and_an_automatic_holiday_once(copy):
    content, schedules = copy
    path = schedules / "windows.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "exemptions:\n"
                    "  - plan: ngoc-lac-asxh-2026\n    holiday: le-2026-05-01\n", encoding="utf-8")
    exemption, = load_library(content, schedules).exemptions
    assert (exemption.plan_code, exemption.window_code) == ("ngoc-lac-asxh-2026", "le-2026-05-01")
    path.write_text(path.read_text(encoding="utf-8") +
                    "  - plan: khong-co\n    holiday: ngoc-lac-cao-diem\n"
                    "  - plan: ngoc-lac-asxh-2026\n    holiday: le-2026-05-01\n    note: x\n", encoding="utf-8")
    problems = problems_of(content, schedules)
    assert "khong-co" in find(problems, "schedules/windows.yaml", "exemptions[2].plan").reason
    assert "ngày nghỉ lễ tự động" in find(problems, "schedules/windows.yaml", "exemptions[2].holiday").reason
    assert "đã được miễn" in find(problems, "schedules/windows.yaml", "exemptions[3].holiday").reason
    assert find(problems, "schedules/windows.yaml", "exemptions[3].note").reason == "trường không được hỗ trợ"
