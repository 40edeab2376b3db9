"""Library format: message front matter (audiences, weekdays, post_at, headline, link) and village CSV
columns (households, population; unknown columns refused)."""
from __future__ import annotations

import datetime as dt

import pytest

from planner.library import LibraryError, load_library, load_units_csv
from tests.unit.test_library import CONTENT, NL, SCHEDULES, copy, corrupt, find, problems_of  # noqa: F401

LEAFLET = f"plans/{NL}/messages/to-roi-6-buoc.md"
FANPAGE = f"plans/{NL}/messages/fanpage-xa-loi-ich.md"


def test_real_library_has_headlines_slogans_and_a_leaflet_for_two_groups():
    lib = load_library(CONTENT, SCHEDULES)
    by_code = {m.code: m for m in lib.messages}
    for m in lib.messages:
        if m.channel in ("poster", "leaflet"):
            assert m.headline and not m.headline.startswith(("Áp phích", "Tờ rơi")), m.code
            assert not m.body_md.lstrip().startswith("# "), "the headline is not repeated as the body's heading"
        if m.channel == "banner":
            assert m.body_md.strip().isupper() or m.body_md.strip().endswith("!"), "a banner's body is its slogan"
    assert by_code["to-roi-6-buoc"].audience_codes == ("nguoi-dan", "doan-vien-hoi-vien")
    assert by_code["ap-phich-tien-ich-so"].link.startswith("https://")


def test_new_message_fields_are_read(copy):
    content, schedules = copy
    corrupt(content / FANPAGE, "audience: nguoi-dan\n",
            "audiences: [nguoi-dan, can-bo-thon]\nweekdays: T2-T7\nlink: https://vneid.gov.vn\n"
            "post_at: ['05/04/2026 19:30', '06/04/2026 07:00']\n")
    message = next(m for m in load_library(content, schedules).messages if m.code == "fanpage-xa-loi-ich")
    assert message.audience_codes == ("nguoi-dan", "can-bo-thon") and message.audience_code == "nguoi-dan"
    assert message.weekdays == 0b0111111 and message.link == "https://vneid.gov.vn"
    assert message.post_at == (dt.datetime(2026, 4, 5, 12, 30, tzinfo=dt.timezone.utc),
                               dt.datetime(2026, 4, 6, 0, 0, tzinfo=dt.timezone.utc))


@pytest.mark.parametrize("front, field", [
    ("link: http://vneid.gov.vn\n", "link"),
    ("link: javascript:alert(1)\n", "link"),
    ("weekdays: T2-T8\n", "weekdays"),
    ("post_at: ['31/04/2026 19:30']\n", "post_at"),
    ("post_at: 05/04/2026 19:30\n", "post_at"),
    ("audiences: [nguoi-dan, khong-co]\n", "audiences"),
    ("audiences: [nguoi-dan]\n", "audiences"),    # together with audience: — one or the other
])
def test_bad_new_fields_name_file_line_and_field(copy, front, field):
    content, schedules = copy
    line = corrupt(content / FANPAGE, "channel: fanpage\n", front + "channel: fanpage\n")
    problem = find(problems_of(content, schedules), FANPAGE, field)
    assert problem.line == line and problem.reason


def test_post_times_are_refused_on_a_loudspeaker_message(copy):
    content, schedules = copy
    path = f"plans/{NL}/messages/loa-loi-ich.md"
    corrupt(content / path, "channel: loudspeaker\n", "channel: loudspeaker\npost_at: ['05/04/2026 19:30']\n")
    assert "trực tuyến" in find(problems_of(content, schedules), path, "post_at").reason


def test_village_csv_reads_households_and_population(tmp_path):
    path = tmp_path / "thon.csv"
    path.write_text("code,name,parent_code,households,population\nthon-a,Thôn A,xa,212,\nthon-b,Thôn B,xa,,0\n",
                    encoding="utf-8")
    units = load_units_csv(path, known_unit_codes=frozenset({"xa"}))
    assert [(u.households, u.population) for u in units] == [(212, None), (None, 0)]


def test_village_csv_refuses_unknown_columns_negative_counts_and_stray_cells(tmp_path):
    path = tmp_path / "thon.csv"
    path.write_text("code,name,parent_code,so_ho\nthon-a,Thôn A,xa,12\n", encoding="utf-8")
    with pytest.raises(LibraryError) as info:
        load_units_csv(path, known_unit_codes=frozenset({"xa"}))
    assert [(p.file, p.line, p.field) for p in info.value.problems] == [("thon.csv", 1, "so_ho")]
    path.write_text("code,name,parent_code,households,population\nthon-a,Thôn A,xa,-3,1.5\n"
                    "thon-b,Thôn B,xa,10,20,30\n", encoding="utf-8")
    with pytest.raises(LibraryError) as info:
        load_units_csv(path, known_unit_codes=frozenset({"xa"}))
    assert {(p.line, p.field) for p in info.value.problems} == {(2, "households"), (2, "population"),
                                                                (3, "cột 6")}
