"""A commune that did not exist runs its first campaign in the browser: (the commune row is added first, as the
units page does), the administrator uploads its villages (with households) and creates its officer and
approver in the browser; the officer creates
the plan with several audiences, writes a loudspeaker message for two audiences that must not air at
weekends, gets it approved, starts the plan and schedules it; the calendar shows every village."""
from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect
from sqlalchemy import select

from planner import localtime
from planner.db import utcnow
from planner.models import Unit, UnitKind
from tests.browser.conftest import login_as, shot

VILLAGES = ("code,name,parent_code,households,population\n"
            "thon-01,Thôn Bản Mới,xa-minh-son,120,480\nthon-02,Thôn Đồng Tâm,xa-minh-son,95,\n"
            "thon-03,Thôn Làng Sẻ,xa-minh-son,80,310\n")


def _add_commune(db) -> Unit:
    """The commune itself, as the units page adds it (that page's own test covers adding units)."""
    from planner.operations.importing import _path_of

    province = db.scalar(select(Unit).where(Unit.code == "tinh-thanh-hoa"))
    commune = Unit(code="xa-minh-son", name="Xã Minh Sơn", kind=UnitKind.COMMUNE, parent=province, duties="")
    db.add(commune)
    db.flush()
    commune.path = _path_of(commune)
    db.commit()
    return commune


def _create_user(page, username, full_name, role, unit, password="mat-khau-xa-2026"):
    page.goto("/admin/users")
    page.get_by_role("link", name="Tạo người dùng").click()
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Họ tên").fill(full_name)
    page.get_by_label("Vai trò").select_option(label=role)
    page.get_by_label("Đơn vị").select_option(value=str(unit.id))
    page.get_by_label("Mật khẩu ban đầu").fill(password)
    page.get_by_role("button", name="Tạo người dùng").click()
    expect(page.get_by_role("status")).to_contain_text(f"Đã tạo người dùng {username}")


def test_a_new_commune_creates_and_schedules_its_plan_in_the_browser(contexts, demo, tmp_path):
    commune = _add_commune(demo)
    admin = contexts.new_page()
    login_as(admin, "admin")
    csv = tmp_path / "minh-son.csv"
    csv.write_text(VILLAGES, encoding="utf-8")
    admin.goto(f"/admin/units/{commune.id}/villages")
    admin.get_by_label("Tệp CSV").set_input_files(str(csv))
    admin.get_by_role("button", name="Kiểm tra tệp").click()
    expect(admin.locator("#preview")).to_contain_text("3 thôn mới")
    admin.get_by_role("button", name="Nhập 3 dòng").click()
    expect(admin.get_by_role("status")).to_contain_text("Đã nhập: 3 thôn mới")
    _create_user(admin, "canbo.minhson", "Lê Văn Sơn", "Cán bộ Văn hóa - Xã hội", commune)
    _create_user(admin, "duyet.minhson", "Hà Thị Duyệt", "Người duyệt", commune)

    officer = contexts.new_page()
    login_as(officer, "canbo.minhson", "mat-khau-xa-2026")
    officer.get_by_role("link", name="Lập kế hoạch mới").click()
    start = localtime.today(utcnow()) + dt.timedelta(days=1)
    fields = {r"^Mã kế hoạch": "xa-minh-son-asxh", r"^Số hiệu": "05/KH-UBND", r"^Ngày ban hành": localtime.fmt_date(start),
              r"^Cơ quan ban hành": "UBND xã Minh Sơn", r"^Địa danh": "Minh Sơn",
              r"^Tên kế hoạch": "Tuyên truyền tích hợp tài khoản an sinh xã hội", r"^Bắt đầu": localtime.fmt_date(start),
              r"^Nhóm đối tượng": "nguoi-dan: Người dân\nnguoi-cao-tuoi: Người cao tuổi\ndoan-vien: Đoàn viên",
              r"^Chủ đề": "huong-dan: Hướng dẫn tích hợp"}
    for label, value in fields.items():
        officer.get_by_label(re.compile(label)).fill(value)
    officer.get_by_label("Đơn vị chủ trì").select_option(value="xa-minh-son")
    officer.get_by_role("checkbox", name="Loa truyền thanh").check()
    officer.get_by_role("button", name="Tạo kế hoạch (dự thảo)").click()
    expect(officer.locator("#plan-status")).to_have_text("Dự thảo")
    plan_url = officer.url

    officer.get_by_role("link", name="Viết tin bài mới").click()
    officer.get_by_label(re.compile(r"^Tiêu đề \(nội bộ")).fill("Loa: mời bà con tích hợp tài khoản ASXH")
    audiences = officer.get_by_role("group", name=re.compile("Nhóm đối tượng")).get_by_role("checkbox")
    audiences.nth(0).check()
    audiences.nth(1).check()
    officer.get_by_label("Kênh", exact=True).select_option(label="Loa truyền thanh")
    officer.get_by_label(re.compile("^Số lần/tuần")).fill("3")
    officer.get_by_label(re.compile("^Ngày trong tuần")).fill("T2-T6")
    officer.get_by_label("Nội dung (Markdown)").fill("Bà con mang căn cước đến nhà văn hóa thôn để được hướng dẫn.")
    officer.get_by_role("button", name="Lưu bản nháp").click()
    expect(officer.get_by_role("status")).to_contain_text("Đã lưu bản nháp")
    message_url = officer.url
    officer.get_by_role("button", name="Gửi duyệt").click()

    approver = contexts.new_page()
    login_as(approver, "duyet.minhson", "mat-khau-xa-2026")
    approver.goto(message_url)
    approver.get_by_label("Ý kiến duyệt").fill("Đồng ý.")
    approver.get_by_role("button", name="Duyệt", exact=True).click()
    expect(approver.get_by_role("status")).to_contain_text("Đã duyệt")

    officer.goto(plan_url)
    officer.get_by_role("button", name="Chuyển sang “Đang thực hiện”").click()
    expect(officer.locator("#plan-status")).to_have_text("Đang thực hiện")
    officer.get_by_role("navigation", name="Kế hoạch").get_by_role("link", name="Lập lịch").click()
    officer.get_by_label("Đơn vị").select_option(label="Xã Minh Sơn")
    officer.get_by_label("Kênh").select_option(label="Loa truyền thanh")
    officer.get_by_label("Từ ngày").fill(localtime.fmt_date(start))
    officer.get_by_label("Đến ngày").fill(localtime.fmt_date(start + dt.timedelta(days=13)))
    officer.get_by_role("button", name="Lập lịch").click()
    outcome = officer.locator("#outcome")
    expect(outcome).to_contain_text("cho 3 điểm phát")
    assert int(outcome.locator("strong").first.inner_text()) > 0
    outcome.get_by_role("link", name="Xem lịch").click()
    week = officer.locator("table.calendar.week")
    expect(week).to_be_visible()
    assert week.locator("tbody tr").count() == 3
    shot(officer, "63-new-commune-calendar")
    # Never at a weekend: the message may air Monday to Friday only.
    from planner.models import Occurrence

    demo.expire_all()
    days = {localtime.to_local(o.starts_at).weekday() for o in demo.scalars(select(Occurrence))
            if o.target.unit.parent_id == commune.id}
    assert days and days <= {0, 1, 2, 3, 4}
