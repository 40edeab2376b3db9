"""Pure checks of a message's public fields: https-only links, weekday masks both ways, exact post times."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from planner.public_fields import format_post_at, format_weekdays, link_problem, parse_post_at, parse_weekdays

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("url", ["https://baohiemxahoi.gov.vn", "https://dichvucong.gov.vn/p/home?x=1#a",
                                 "HTTPS://vssid.vn/tai-app"])
def test_https_links_with_a_domain_are_accepted(url):
    assert link_problem(url) is None


@pytest.mark.parametrize("url", ["http://baohiemxahoi.gov.vn", "javascript:alert(1)", "data:text/html,x",
                                 "https://", "https://localhost", "https://user:pw@bhxh.gov.vn",
                                 "https://bhxh.gov.vn/a b", "https://bhxh.gov.vn/\"onmouseover=x",
                                 "//bhxh.gov.vn", "https://bhxh.gov.vn:0/", "https://" + "a" * 500 + ".vn"])
def test_other_links_are_refused_with_a_vietnamese_reason(url):
    reason = link_problem(url)
    assert reason and reason.endswith(".") and ("Liên kết" in reason)


@pytest.mark.parametrize("mask", range(1, 128))
def test_weekday_masks_format_into_text_that_parses_back(mask):
    assert parse_weekdays(format_weekdays(mask)) == mask


def test_weekday_text_reads_like_the_grids():
    assert format_weekdays(0b0111111) == "T2-T7" and format_weekdays(0b1010101) == "T2,T4,T6,CN"


def test_post_times_are_local_sorted_unique_and_round_trip():
    times = parse_post_at("06/04/2026 07:00\n05/04/2026 19:30\n\n05/04/2026 19:30")
    assert times == [dt.datetime(2026, 4, 5, 12, 30, tzinfo=dt.timezone.utc),
                     dt.datetime(2026, 4, 6, 0, 0, tzinfo=dt.timezone.utc)]
    assert format_post_at(times) == ["05/04/2026 19:30", "06/04/2026 07:00"]


@pytest.mark.parametrize("value", [["31/04/2026 19:30"], ["05/04/2026"], ["2026-04-05 19:30"], [20260405],
                                   {"at": "05/04/2026 19:30"}, ["05/04/1990 19:30"]])
def test_bad_post_times_name_the_value(value):
    with pytest.raises(ValueError) as info:
        parse_post_at(value)
    assert str(info.value)


def test_public_fields_import_neither_flask_nor_sqlalchemy():
    code = ("import planner.public_fields, planner.library, sys; "
            "assert 'flask' not in sys.modules and 'sqlalchemy' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
