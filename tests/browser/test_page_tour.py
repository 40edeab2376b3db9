"""Every main page looked at as a person would: with real data in it, at desktop size (and the pages a
phone user meets at phone size). Each page is screenshotted to /tmp/planner-shots/ and checked for what
people trip over: unlabeled fields, nameless buttons, not exactly one h1, sideways scrolling."""
from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect
from sqlalchemy import select

from planner import localtime
from planner.db import utcnow
from planner.models import DeliveryStatus, Unit
from planner.operations.schedule import schedule_plan
from planner.worker import tick
from tests.app import factories as f
from tests.browser.conftest import box_overflow, look, login_as

PLAN = "ngoc-lac-asxh-2026"


def _seed(app, db):
    """A week of loudspeaker broadcasts from tomorrow, and yesterday's outcomes in a few villages."""
    plan = f.plan(db, PLAN)
    officer = f.user(db, "vanhoa")
    start = localtime.today(utcnow()) + dt.timedelta(days=1)
    schedule_plan(db, plan, unit=officer.unit, channel="loudspeaker", start=start, end=start + dt.timedelta(days=6),
                  now=utcnow(), settings=app.config, user=officer)
    db.commit()
    msg = f.message(db, PLAN, "loa-loi-ich")
    yesterday = localtime.local_datetime(localtime.today(utcnow()) - dt.timedelta(days=1), dt.time(17, 0))
    outcomes = [DeliveryStatus.DELIVERED] * 5 + [DeliveryStatus.FAILED, DeliveryStatus.MISSED]
    for n, status in enumerate(outcomes, start=1):
        delivery = f.occurrence(db, target=f.village_target(db, f"thon-{n:02d}"), msg=msg, at=yesterday, status=status)
        if status is DeliveryStatus.FAILED:
            delivery.reason = "Mất điện"
            db.commit()
    return plan, start


def test_officer_pages(app, contexts, demo):
    plan, start = _seed(app, demo)
    page = contexts.new_page()
    login_as(page, "vanhoa")
    look(page, "60-plan-list")
    page.goto(f"/plans/{plan.id}")
    look(page, "61-plan-matrix")
    assert box_overflow(page, ".table-scroll") <= 0, "the message matrix needs sideways scrolling on a 1366 px screen"
    page.goto(f"/plans/{plan.id}/schedule")
    look(page, "62-schedule-form")

    # The roster of one village, from the week calendar.
    page.goto(f"/plans/{plan.id}/calendar?date={localtime.fmt_date(start)}")
    look(page, "63-calendar-week", full_page=False)
    assert box_overflow(page, ".table-scroll") <= 0, "a week of the calendar does not fit a 1366 px screen"
    page.get_by_role("rowheader", name="Thôn 7", exact=True).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lịch phát Thôn 7")
    assert page.locator("table.list tbody tr").count() > 1
    confirm_link = page.get_by_role("link", name="Mở trang xác nhận của thôn")
    assert confirm_link.get_attribute("href").startswith(contexts.base_url + "/x/")
    look(page, "64-roster")
    # Its first PDF is worker work: the link leads to the batch's page, which offers the file once it is drawn.
    page.get_by_role("link", name=re.compile("Tải lịch phát")).click()
    expect(page.locator("#batch-progress-text")).to_contain_text("Đã in 0/1 thôn")
    from planner.worker import tick

    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w-tour")
    expect(page.locator("#batch-status")).to_have_text("Đã xong", timeout=15_000)
    pdf = page.request.get(page.locator("#batch-pdf").get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"

    # A leaflet: read it, order it printed.
    leaflet = f.message(demo, PLAN, "to-roi-6-buoc")
    page.goto(f"/messages/{leaflet.id}")
    look(page, "65-message-leaflet")
    page.get_by_role("link", name="Đặt in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Đặt in")
    page.get_by_label("Số lượng").fill("0")
    page.get_by_role("button", name="Gửi đơn in").click()
    expect(page.locator("#err-quantity")).to_be_visible()
    look(page, "66-print-order-new-error")
    page.get_by_label("Số lượng").fill("1200")
    page.get_by_label("Cơ sở in", exact=True).select_option(label="Cơ sở in Ngọc Lặc")
    page.get_by_role("button", name="Gửi đơn in").click()
    expect(page.get_by_role("status")).to_contain_text("Đã tạo đơn in")
    look(page, "67-print-order-officer")
    page.get_by_role("banner").get_by_role("link", name="Đơn in").click()
    expect(page.locator("#orders tbody tr")).to_have_count(1)
    look(page, "68-print-orders-officer")

    page.goto(f"/plans/{plan.id}/dashboard")
    look(page, "69-dashboard-officer")
    page.goto("/plans/999999")
    look(page, "70-not-found")


def test_supervisor_dashboard_and_report(app, contexts, demo):
    plan, _ = _seed(app, demo)
    page = contexts.new_page()
    login_as(page, "giamsat")
    page.goto(f"/plans/{plan.id}/dashboard")
    stats = page.locator(".stats")
    expect(stats).to_contain_text("đã phát")
    expect(page.get_by_role("heading", name="Theo kênh")).to_be_visible()
    commune = demo.scalar(select(Unit).where(Unit.code == "xa-ngoc-lac"))
    # The supervisor starts above the communes, where the page leaves out the per-delivery tables and says so.
    expect(page.locator("#details-note")).to_contain_text("chọn một xã")
    page.goto(f"/plans/{plan.id}/dashboard?unit={commune.id}")
    expect(page.locator("main")).to_contain_text("Mất điện")
    look(page, "71-dashboard")

    page.get_by_role("navigation", name="Kế hoạch").get_by_role("link", name="Báo cáo").click()
    look(page, "72-reports")
    form = page.locator("#report-form")
    form.get_by_label("Kỳ báo cáo").select_option(label="Báo cáo 6 tháng đầu năm")
    form.get_by_label("Năm").fill("2026")
    form.get_by_label("Đơn vị").select_option(value=str(commune.id))
    form.get_by_label("Ký hiệu văn bản").fill("…/BC-UBND")
    form.get_by_label("Chức vụ người ký").fill("PHÓ CHỦ TỊCH")
    form.get_by_label("Người ký", exact=True).fill("Lê Ngọc Sơn")
    form.get_by_role("button", name="Tạo dự thảo").click()
    expect(page.get_by_role("status")).to_contain_text("Đã tạo dự thảo báo cáo")
    expect(page.locator("#report-state")).to_contain_text("Dự thảo")
    look(page, "73-report-draft")

    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w-browser")
    page.reload()
    download = page.get_by_role("link", name="Tải PDF (dự thảo)")
    expect(download).to_be_visible()
    response = page.request.get(download.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    look(page, "74-reports-ready")


def test_pages_a_phone_user_meets_fit_the_screen(app, contexts, demo):
    plan, start = _seed(app, demo)
    phone = contexts.new_page(phone=True)
    phone.goto("/login")
    look(phone, "80-phone-login")
    login_as(phone, "vanhoa")
    look(phone, "81-phone-plan-list")
    phone.goto(f"/plans/{plan.id}")
    look(phone, "82-phone-matrix")
    phone.goto(f"/plans/{plan.id}/calendar?date={localtime.fmt_date(start)}")
    look(phone, "83-phone-calendar-week", full_page=False)
    target = f.village_target(demo, "thon-07")
    phone.goto(f"/plans/{plan.id}/targets/{target.id}/roster")
    look(phone, "84-phone-roster")
