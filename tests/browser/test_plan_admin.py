"""Plans in the browser: an officer creates a plan from the blank form (errors first, then saved as a draft),
copies an existing plan to a new start date, moves it through its life cycle and downloads its bundle."""
from __future__ import annotations

import io
import re
import zipfile

from playwright.sync_api import expect

from tests.browser.conftest import login_as, shot


def _fill_plan(page, **values) -> None:
    for label, value in values.items():
        page.get_by_label(re.compile(label)).fill(value)


def test_officer_creates_copies_runs_closes_and_exports_plans_in_the_browser(contexts, demo):
    page = contexts.new_page()
    login_as(page, "vanhoa")
    page.get_by_role("link", name="Lập kế hoạch mới").click()
    expect(page.get_by_role("heading", name="Lập kế hoạch mới")).to_be_visible()
    _fill_plan(page, **{r"^Mã kế hoạch": "xa-ngoc-lac-bau-cu-2027", r"^Số hiệu": "12/KH-UBND",
                        r"^Ngày ban hành": "02/04/2027", r"^Cơ quan ban hành": "UBND xã Ngọc Lặc",
                        r"^Địa danh": "Ngọc Lặc", r"^Bắt đầu": "31/02/2027",
                        r"^Nhóm đối tượng": "cu-tri: Cử tri trên địa bàn\ncan-bo-thon: Cán bộ thôn",
                        r"^Thời hạn": "- what: Ngày bầu cử\n  due: 23/05/2027\n  unit: xa-ngoc-lac\n"})
    page.get_by_role("checkbox", name="Loa truyền thanh").check()
    page.get_by_role("button", name="Tạo kế hoạch (dự thảo)").click()
    # Nothing written: every bad field says why, in Vietnamese.
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#err-title")).to_contain_text("thiếu tiêu đề")
    expect(page.locator("#err-starts_on")).to_contain_text("31/02/2027")
    shot(page, "60-plan-form-errors")
    _fill_plan(page, **{r"^Tên kế hoạch": "Tuyên truyền bầu cử đại biểu HĐND xã", r"^Bắt đầu": "05/04/2027"})
    page.get_by_role("button", name="Tạo kế hoạch (dự thảo)").click()
    expect(page.get_by_role("status")).to_contain_text("Đã tạo kế hoạch")
    expect(page.locator("#plan-status")).to_have_text("Dự thảo")
    expect(page.locator("#plan-deadlines")).to_contain_text("23/05/2027")
    page.get_by_role("button", name="Chuyển sang “Đang thực hiện”").click()
    expect(page.locator("#plan-status")).to_have_text("Đang thực hiện")

    # A copy of the Ngọc Lặc plan one year later: a draft with every date moved.
    page.goto(page.url.split("/plans/")[0] + "/")
    page.get_by_role("link", name=re.compile("Tuyên truyền, vận động, hướng dẫn công dân")).first.click()
    page.get_by_role("link", name="Sao chép thành kế hoạch mới").click()
    page.get_by_label("Mã kế hoạch mới").fill("ngoc-lac-asxh-2027")
    page.get_by_label(re.compile("Ngày bắt đầu mới")).fill("05/03/2027")
    page.get_by_role("button", name="Sao chép").click()
    expect(page.get_by_role("status")).to_contain_text("Đã sao chép")
    expect(page.locator("#plan-status")).to_have_text("Dự thảo")
    expect(page.locator("#plan-deadlines")).to_contain_text("31/03/2027")
    expect(page.locator("#plan-deadlines")).to_contain_text("15/04/2027")
    shot(page, "61-plan-copy")

    # Edit a field, then close: read-only from then on.
    page.get_by_role("link", name="Sửa kế hoạch").click()
    page.get_by_label(re.compile(r"^Số hiệu")).fill("07/KH-BCĐ")
    page.get_by_role("button", name="Lưu kế hoạch").click()
    expect(page.get_by_role("status")).to_contain_text("Đã lưu kế hoạch")
    expect(page.locator("p.muted").first).to_contain_text("07/KH-BCĐ")
    page.get_by_role("button", name="Chuyển sang “Đang thực hiện”").click()
    page.get_by_role("button", name="Kết thúc kế hoạch").click()
    expect(page.locator("#plan-status")).to_have_text("Đã kết thúc")
    expect(page.get_by_role("link", name="Sửa kế hoạch")).to_have_count(0)
    expect(page.get_by_role("link", name="Viết tin bài mới")).to_have_count(0)

    with page.expect_download() as download:
        page.get_by_role("link", name="Tải bộ tệp kế hoạch (ZIP)").click()
    names = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read())).namelist()
    assert "plans/ngoc-lac-asxh-2027/plan.yaml" in names and "units.yaml" in names
    shot(page, "62-plan-closed")
