"""Flow a in a real browser: the culture-society officer logs in, opens the Ngọc Lặc plan, schedules the
loudspeakers of all 42 villages for a week, and reads the calendar by week and by month."""
from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect

from planner import localtime
from planner.db import utcnow
from tests.browser.conftest import horizontal_overflow, login_as, shot


def test_officer_schedules_a_week_and_reads_the_calendar(page, demo):
    login_as(page, "vanhoa")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Kế hoạch truyền thông")).to_be_visible()
    shot(page, "01-plan-list")

    page.get_by_role("link", name=re.compile("tài khoản an sinh xã hội trên ứng dụng VNeID")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("VNeID")
    expect(page.locator("table.matrix")).to_contain_text("Loa truyền thanh")
    expect(page.get_by_role("navigation", name="Kế hoạch").locator("[aria-current=page]")).to_have_text(
        "Ma trận nội dung")
    shot(page, "02-plan-matrix")

    page.get_by_role("navigation", name="Kế hoạch").get_by_role("link", name="Lập lịch").click()
    expect(page.get_by_role("heading", name="Lập lịch phát")).to_be_visible()
    start = localtime.today(utcnow()) + dt.timedelta(days=1)
    end = start + dt.timedelta(days=6)
    page.get_by_label("Đơn vị").select_option(label="Xã Ngọc Lặc")
    page.get_by_label("Kênh").select_option(label="Loa truyền thanh")
    page.get_by_label("Từ ngày").fill(localtime.fmt_date(start))
    page.get_by_label("Đến ngày").fill(localtime.fmt_date(end))
    page.get_by_role("button", name="Lập lịch").click()

    outcome = page.locator("#outcome")
    expect(outcome).to_contain_text("cho 42 điểm phát")
    placed = int(outcome.locator("strong").first.inner_text())
    assert placed > 0
    shot(page, "03-schedule-outcome")

    outcome.get_by_role("link", name="Xem lịch").click()
    expect(page).to_have_url(re.compile(r"/calendar\?"))
    week = page.locator("table.calendar.week")
    expect(week).to_be_visible()
    expect(page.locator(".seg a[aria-current=page]")).to_have_text("Tuần")
    thon7 = week.locator("tbody tr").filter(has=page.get_by_role("rowheader", name="Thôn 7", exact=True))
    expect(thon7).to_have_count(1)
    assert week.locator("tbody tr").count() == 42
    sessions = thon7.locator(".session")
    expect(sessions.first).to_be_visible()
    expect(sessions.first.locator(".fill")).to_have_text(re.compile(r"^\d+%$"))
    assert thon7.locator(".occ").count() > 0
    assert horizontal_overflow(page) <= 0, "the calendar page scrolls sideways (only its table may)"
    shot(page, "04-calendar-week", full_page=False)
    shot(page, "04-calendar-week-full")

    page.locator(".seg").get_by_role("link", name="Tháng").click()
    expect(page.locator(".seg a[aria-current=page]")).to_have_text("Tháng")
    cells = page.locator("a.month-cell")
    expect(cells.first).to_be_visible()
    assert 28 <= cells.count() <= 31
    counts = [int(re.search(r"(\d+) lượt", t).group(1)) for t in cells.locator(".count").all_inner_texts()]
    assert len(counts) == cells.count() and sum(counts) > 0
    assert horizontal_overflow(page) <= 0
    shot(page, "05-calendar-month")
