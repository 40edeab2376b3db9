"""Issue 10's 'done when': a village head sends this week's figures by phone, the officer uploads an XLSX for
42 villages (a bad row first), the supervisor drills down to the furthest-behind village, downloads the XLSX,
edits and issues the six-monthly report (outcomes and a chart in its PDF), and sees a reminder due in 7 days."""
from __future__ import annotations

import datetime as dt
import io

from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import func, select

from planner import localtime
from planner.db import utcnow
from planner.models import IndicatorResult, Plan
from planner.operations.delivery import make_village_token
from planner.worker import tick
from tests.app import factories as f
from tests.browser.conftest import login_as, shot


def _xlsx(path, bad_row: bool) -> None:
    book = Workbook()
    book.active.append(["Mã đơn vị", "Số công dân có tài khoản định danh điện tử mức độ 2",
                        "Số công dân đã tích hợp tài khoản ASXH"])
    for n in range(1, 43):
        linked = 60 + 3 * n if n != 17 else 12  # thôn 17 is furthest behind
        book.active.append([f"thon-{n:02d}", 200, 999 if bad_row and n == 9 else linked])
    book.save(path)


def _due_in_seven_days(db) -> None:
    plan = db.scalar(select(Plan).where(Plan.code == "ngoc-lac-asxh-2026"))
    due = localtime.today(utcnow()) + dt.timedelta(days=7)
    plan.details = dict(plan.details, reporting=list(plan.details["reporting"]) + [{
        "unit": "xa-ngoc-lac-cong-an", "to": "Công an tỉnh", "frequency": "once", "due": localtime.fmt_date(due)}])
    db.commit()


def test_supervision_from_phone_figures_to_an_issued_six_monthly_report(app, contexts, demo, tmp_path):
    db = demo
    _due_in_seven_days(db)
    # 1. The village head sends this week's linked accounts from the phone page.
    target = f.village_target(db, "thon-07")
    today = localtime.today(utcnow())
    token = make_village_token("test-secret", target.id, today - dt.timedelta(days=1), today)
    phone = contexts.new_page(phone=True)
    phone.goto(f"/x/{token}")
    section = phone.locator("#so-lieu")
    expect(section.get_by_role("heading", name="Số liệu tuần này")).to_be_visible()
    form = section.locator("form").first
    form.get_by_label("Số công dân đã tích hợp tài khoản ASXH").fill("150")
    form.get_by_label("Số công dân có tài khoản định danh điện tử mức độ 2").fill("200")
    shot(phone, "60-phone-weekly-figures")
    form.get_by_role("button", name="Gửi số liệu").tap()
    expect(phone.get_by_role("status")).to_contain_text("Đã gửi số liệu tuần này")

    # 2. The officer uploads 42 villages: one bad row is reported and nothing is written; then the fixed file.
    officer = contexts.new_page()
    login_as(officer, "vanhoa")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    officer.goto(f"/plans/{plan.id}/results")
    upload = officer.locator("#upload-form")
    upload.get_by_label("Chỉ tiêu", exact=True).select_option(label="Tỷ lệ công dân có tài khoản định danh điện tử mức độ 2 "
                                                        "đã tích hợp tài khoản ASXH (duy trì thường xuyên)")
    bad, good = tmp_path / "bad.xlsx", tmp_path / "good.xlsx"
    _xlsx(bad, True)
    _xlsx(good, False)
    upload.get_by_label("Tệp", exact=True).set_input_files(str(bad))
    upload.get_by_role("button", name="Kiểm tra tệp").click()
    expect(officer.locator("#upload-check")).to_contain_text("Dòng 10, cột C")
    expect(officer.locator("#confirm-upload")).to_have_count(0)
    before = db.scalar(select(func.count()).select_from(IndicatorResult))
    assert before == 1  # only the village head's figure
    shot(officer, "61-upload-bad-row")
    officer.locator("#upload-form").get_by_label("Chỉ tiêu", exact=True).select_option(index=1)
    officer.locator("#upload-form").get_by_label("Tệp", exact=True).set_input_files(str(good))
    officer.locator("#upload-form").get_by_role("button", name="Kiểm tra tệp").click()
    expect(officer.locator("#upload-check")).to_contain_text("42 dòng hợp lệ")
    officer.locator("#confirm-upload").click()
    expect(officer.get_by_role("status")).to_contain_text("Đã ghi 42 dòng")
    assert db.scalar(select(func.count()).select_from(IndicatorResult)) == 43  # thôn 7 corrected, history kept

    # 3. The supervisor drills from the province to the furthest-behind village and downloads the XLSX.
    sup = contexts.new_page()
    login_as(sup, "giamsat")
    sup.goto(f"/plans/{plan.id}/dashboard")
    expect(sup.locator("#due-items")).to_contain_text("Còn 7 ngày")
    sup.locator("#drilldown").get_by_role("link", name="Tỉnh Thanh Hóa").click()
    sup.locator("#drilldown").get_by_role("link", name="Xã Ngọc Lặc").click()
    expect(sup.locator("#drill-path")).to_contain_text("Xã Ngọc Lặc")
    first_row = sup.locator("#drilldown tbody tr").first
    expect(first_row.locator("th")).to_have_text("Thôn 17")
    expect(sup.locator("#ranking svg")).to_be_visible()
    shot(sup, "62-dashboard-commune")
    with sup.expect_download() as info:
        sup.locator("#download-xlsx").click()
    book = load_workbook(io.BytesIO(info.value.path().read_bytes()))
    assert book[book.sheetnames[0]]["A2"].value == "Thôn 17"

    # 4. The six-monthly report: draft, edit the narrative, issue; its PDF has the outcomes and a chart.
    sup.goto(f"/plans/{plan.id}/reports")
    form = sup.locator("#report-form")
    form.get_by_label("Kỳ báo cáo").select_option("first_half" if today.month <= 6 else "second_half")
    form.get_by_label("Năm", exact=True).fill(str(today.year))
    commune = db.scalar(select(f.Unit.id).where(f.Unit.code == "xa-ngoc-lac"))
    form.get_by_label("Đơn vị", exact=True).select_option(str(commune))
    form.get_by_label("Người ký", exact=True).fill("Phạm Thu Giám")
    form.get_by_role("button", name="Tạo dự thảo").click()
    narrative = sup.get_by_label("Nội dung", exact=True)
    expect(narrative).to_contain_text("Thôn 17")
    narrative.fill(narrative.input_value() + "\n\n**Kiến nghị:** tăng cường tổ hướng dẫn ở Thôn 17.")
    sup.get_by_role("button", name="Ban hành (khóa và cấp số)").click()
    expect(sup.locator("#report-state")).to_contain_text("Đã ban hành")
    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w-browser")
    sup.reload()
    with sup.expect_download() as info:
        sup.locator("#download-pdf").click()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(open(info.value.path(), "rb").read())).pages)
    assert "KẾT QUẢ THỰC HIỆN CHỈ TIÊU" in text and "Kiến nghị" in text and "Xếp hạng" in text
    shot(sup, "63-report-issued")
