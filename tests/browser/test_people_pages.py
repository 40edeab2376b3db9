"""People and places in a real browser: the commune's administrator adds a print shop and creates the commune's
officer, approver and print-shop users; the officer writes a message and the new commune approver approves it."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import login_as, look

PLAN = re.compile("Tuyên truyền, vận động, hướng dẫn công dân tích hợp tài khoản")


def _create_user(page, username, full_name, role, unit, password="mat-khau-xa-2026"):
    page.goto("/admin/users")
    page.get_by_role("link", name="Tạo người dùng").click()
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Họ tên").fill(full_name)
    page.get_by_label("Vai trò").select_option(label=role)
    page.get_by_label("Đơn vị").select_option(label=unit)
    page.get_by_label("Mật khẩu ban đầu").fill(password)
    page.get_by_role("button", name="Tạo người dùng").click()
    expect(page.get_by_role("status")).to_contain_text(f"Đã tạo người dùng {username.lower()}")


def test_commune_admin_creates_users_and_the_commune_approver_approves(contexts, demo):
    admin = contexts.new_page()
    login_as(admin, "quantrixa")
    admin.get_by_role("link", name="Quản trị").click()
    expect(admin.get_by_role("heading", name="Người dùng")).to_be_visible()
    look(admin, "60-admin-users")

    admin.get_by_role("link", name="Đơn vị và thôn").click()
    form = admin.locator("#add-unit")
    form.get_by_label("Thuộc đơn vị").select_option(label="Xã Ngọc Lặc")
    form.get_by_label("Loại").select_option(label="Cơ sở in")
    form.get_by_label("Tên", exact=True).fill("Cơ sở in Minh Phát")
    form.get_by_label(re.compile("^Mã")).fill("in-minh-phat")
    form.get_by_role("button", name="Thêm đơn vị").click()
    expect(admin.get_by_role("status")).to_contain_text("Đã thêm cơ sở in Cơ sở in Minh Phát")
    look(admin, "61-admin-units")

    _create_user(admin, "CanBo.Xa", "Nguyễn Văn Cán", "Cán bộ Văn hóa - Xã hội", "Xã Ngọc Lặc (Xã)")
    look(admin, "62-admin-user-created")
    _create_user(admin, "pheduyet", "Trần Thị Duyệt", "Người duyệt", "Xã Ngọc Lặc (Xã)")
    _create_user(admin, "in-minh-phat", "Cơ sở in Minh Phát", "Cơ sở in", "· Cơ sở in Minh Phát (Cơ sở in)")
    admin.goto("/admin/users")
    for name in ("canbo.xa", "pheduyet", "in-minh-phat"):
        expect(admin.locator("#users")).to_contain_text(name)

    officer = contexts.new_page()
    login_as(officer, "CANBO.XA", "mat-khau-xa-2026")
    officer.get_by_role("link", name=PLAN).first.click()
    officer.get_by_role("link", name="Viết tin bài mới").click()
    officer.get_by_label(re.compile(r"^Tiêu đề \(nội bộ")).fill("Loa: nhắc tích hợp tài khoản ASXH")
    officer.get_by_role("group", name=re.compile("Nhóm đối tượng")).get_by_role("checkbox").first.check()
    officer.get_by_label("Kênh", exact=True).select_option(label="Loa truyền thanh")
    officer.get_by_label("Nội dung (Markdown)").fill("Bà con mang căn cước đến nhà văn hóa thôn để được hướng dẫn.")
    officer.get_by_role("button", name="Lưu bản nháp").click()
    expect(officer.get_by_role("status")).to_contain_text("Đã lưu bản nháp")
    message_url = officer.url
    officer.get_by_role("button", name="Gửi duyệt").click()
    expect(officer.get_by_role("status")).to_contain_text("Đã gửi duyệt")

    approver = contexts.new_page()
    login_as(approver, "pheduyet", "mat-khau-xa-2026")
    approver.goto(message_url)
    approver.get_by_label("Ý kiến duyệt").fill("Đồng ý phát.")
    approver.get_by_role("button", name="Duyệt", exact=True).click()
    expect(approver.get_by_role("status")).to_contain_text("Đã duyệt")
    expect(approver.locator(".row-between .badge")).to_have_text("Đã duyệt")
    look(approver, "63-commune-approver-approved")

    shop = contexts.new_page()
    login_as(shop, "in-minh-phat", "mat-khau-xa-2026")
    expect(shop.get_by_role("link", name="Đơn in")).to_be_visible()
    expect(shop.get_by_role("link", name="Quản trị")).to_have_count(0)


def test_places_pages_preview_hours_and_check_a_village_file(contexts, demo, tmp_path):
    from sqlalchemy import select

    from planner.models import Unit

    commune = demo.scalar(select(Unit).where(Unit.code == "xa-ngoc-lac"))
    admin = contexts.new_page()
    login_as(admin, "quantrixa")
    admin.goto(f"/admin/units/{commune.id}/grids")
    expect(admin.locator("#preview")).to_contain_text("sáng 05:30–06:00, chiều 17:00–17:30, T2–CN")
    look(admin, "64-admin-grids")
    admin.goto(f"/admin/units/{commune.id}/accounts")
    look(admin, "65-admin-accounts")
    csv = tmp_path / "thon.csv"
    csv.write_text("code,name,parent_code\nthon-43,Thôn 43,xa-ngoc-lac\nthon-44,,xa-ngoc-lac\n", encoding="utf-8")
    admin.goto(f"/admin/units/{commune.id}/villages")
    admin.get_by_label("Tệp CSV").set_input_files(str(csv))
    admin.get_by_role("button", name="Kiểm tra tệp").click()
    expect(admin.locator("#problems")).to_contain_text("name")
    look(admin, "66-admin-villages-errors")
    csv.write_text("code,name,parent_code\nthon-43,Thôn 43,xa-ngoc-lac\nthon-01,Thôn 1,xa-ngoc-lac\n", encoding="utf-8")
    admin.get_by_label("Tệp CSV").set_input_files(str(csv))
    admin.get_by_role("button", name="Kiểm tra tệp").click()
    expect(admin.locator("#preview")).to_contain_text("1 thôn mới · 0 cập nhật · 0 chuyển xã · 1 không đổi")
    look(admin, "67-admin-villages-preview")
    admin.get_by_role("button", name="Nhập 2 dòng").click()
    expect(admin.get_by_role("status")).to_contain_text("Đã nhập: 1 thôn mới")
    expect(admin.locator("#units")).to_contain_text("Thôn 43")
