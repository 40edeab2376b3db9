"""Bad input in a browser (a wrong password) and the print shop's narrow view: its own orders and the
print-ready PDF."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from planner.db import utcnow
from planner.models import Unit
from planner.models.org import UnitKind
from planner.operations.print_orders import create_print_order
from tests.app import factories as f
from tests.browser.conftest import login_as, shot


def test_wrong_password_explains_in_vietnamese_and_keeps_the_username(page, demo):
    page.goto("/login")
    expect(page.get_by_label("Tên đăng nhập")).to_be_focused()
    shot(page, "40-login")
    page.get_by_label("Tên đăng nhập").fill("vanhoa")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator(".field-error")).to_have_text("Tên đăng nhập hoặc mật khẩu không đúng.")
    expect(page.get_by_label("Tên đăng nhập")).to_have_value("vanhoa")
    expect(page.get_by_label("Mật khẩu")).to_have_value("")
    expect(page.get_by_label("Mật khẩu")).to_be_focused()  # the username is kept: type the password again
    expect(page).to_have_url(re.compile(r"/login$"))
    shot(page, "41-login-wrong-password")

    page.get_by_role("button", name="Đăng nhập").click()  # the password is empty now
    expect(page.locator("#err-password")).to_have_text("Vui lòng nhập mật khẩu.")
    expect(page.get_by_label("Mật khẩu")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Mật khẩu")).to_have_accessible_description("Vui lòng nhập mật khẩu.")
    expect(page.get_by_label("Tên đăng nhập")).to_have_value("vanhoa")

    page.get_by_label("Mật khẩu").fill("pw-test-123")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", name="Kế hoạch truyền thông")).to_be_visible()


def _other_shops_order(db):
    """An approved order for another print shop, which the demo shop must not see."""
    from planner.models.printing import ProofStatus

    officer = f.user(db, "vanhoa")
    leaflet = f.message(db, "ngoc-lac-asxh-2026", "to-roi-6-buoc")
    mine = db.scalar(select(Unit).where(Unit.code == "in-ngoc-lac"))
    other = Unit(code="in-tho-xuan", name="Cơ sở in Thọ Xuân", kind=UnitKind.PRINT_SHOP, parent=mine.parent)
    db.add(other)
    db.flush()
    other.path = f"{mine.parent.path}{other.id}/"
    theirs = create_print_order(db, leaflet.approved, officer, {"product": "leaflet_a4", "quantity": "200",
                                                                 "print_shop_id": str(other.id)}, now=utcnow())
    theirs.proof_status = ProofStatus.APPROVED
    db.commit()
    return theirs.id


def test_order_proof_approval_download_and_delivery_in_the_browser(app, contexts, demo):
    """The print shop's whole path: order → proof by the worker → approval → download → accepted →
    printed → delivered; the shop sees only its own approved orders."""
    from planner.worker import tick

    theirs = _other_shops_order(demo)
    officer = contexts.new_page()
    login_as(officer, "vanhoa")
    slogan = f.message(demo, "ngoc-lac-asxh-2026", "bang-ron-tich-hop").approved
    officer.goto(f"/print-orders/new?version_id={slogan.id}")
    products = officer.get_by_label("Ấn phẩm")
    assert "Tờ rơi A5" not in products.inner_text()  # a slogan is not a leaflet
    products.select_option("banner_09x6")
    officer.get_by_label("Số lượng").fill("42")
    officer.get_by_label("Cơ sở in", exact=True).select_option(label="Cơ sở in Ngọc Lặc")
    officer.get_by_label("Người liên hệ, điện thoại").fill("Chị Lan, 0912 345 678")
    officer.get_by_role("button", name="Gửi đơn in").click()
    expect(officer.get_by_role("status")).to_contain_text("bản in thử đang được dựng")
    expect(officer.locator("#proof")).to_contain_text("Đang dựng bản in thử")
    ours = int(re.search(r"/print-orders/(\d+)$", officer.url).group(1))

    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w-browser")
    officer.reload()
    expect(officer.locator(".title-row .badge")).to_have_text("Chờ duyệt bản in thử")  # not yet "sent"
    expect(officer.locator("#proof")).to_contain_text("Mọi phông chữ đã được nhúng")
    expect(officer.locator("#proof")).to_contain_text("PDF/X-4 với hồ sơ màu CMYK FOGRA39")  # for the shop
    image = officer.get_by_role("img", name="Trang 1 của bản in thử")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") == 1400  # the stored page image, longest side
    shot(officer, "52-print-proof")
    officer.get_by_role("button", name="Duyệt bản in thử và gửi cơ sở in").click()
    expect(officer.get_by_role("status")).to_contain_text("Đã duyệt bản in thử")
    expect(officer.locator("#proof")).to_contain_text("cơ sở in nhận đúng tệp này")
    expect(officer.locator(".title-row .badge")).to_have_text("Đã gửi cơ sở in")

    page = contexts.new_page()
    login_as(page, "inan")
    expect(page).to_have_url(re.compile(r"/print-orders$"))
    top = page.locator("header.topbar nav")
    expect(top.get_by_role("link")).to_have_text(["Đơn in"])
    rows = page.locator("#orders tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"DI-{ours:05d}")
    expect(page.locator("#orders")).not_to_contain_text(f"DI-{theirs:05d}")
    shot(page, "50-print-orders")

    rows.first.get_by_role("link", name=f"DI-{ours:05d}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"DI-{ours:05d}")
    pdf_link = page.get_by_role("link", name="Tải tệp in đã duyệt (PDF)")
    response = page.request.get(pdf_link.get_attribute("href"))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    with page.expect_download() as download:
        pdf_link.click()
    assert download.value.suggested_filename.startswith(f"DI-{ours:05d}")
    assert download.value.suggested_filename.endswith(".pdf")
    shot(page, "51-print-order")

    page.get_by_role("button", name="Nhận đơn").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"đơn in", re.IGNORECASE))  # the wording changes
    page.get_by_role("button", name="Đã in xong").click()
    expect(page.locator("#job-ticket")).to_contain_text("Bạt hiflex, 440 g/m²")
    expect(page.locator("#job-ticket")).to_contain_text("Chị Lan, 0912 345 678")
    ticket = page.request.get(page.get_by_role("link", name="Tải phiếu in và phiếu giao nhận (PDF)").get_attribute("href"))
    assert ticket.status == 200 and ticket.body().startswith(b"%PDF")
    expect(page.get_by_role("button", name="Đã giao hàng")).to_have_count(0)  # village by village instead
    buttons = page.locator("#distribution").get_by_role("button", name="Đã giao thôn này")
    villages = buttons.count()
    assert villages > 1
    for left in range(villages, 0, -1):     # each village head signs; the order follows the last one
        expect(buttons).to_have_count(left)
        expect(page.locator(".title-row .badge")).to_have_text("Đã in")
        buttons.first.click()
    expect(page.locator(".title-row .badge")).to_have_text("Đã giao")
    expect(page.locator("#distribution")).not_to_contain_text("Chưa giao")
    shot(page, "53-print-delivered-per-village")
    assert page.goto(f"/print-orders/{theirs}").status == 404
    assert page.goto(f"/plans/{f.plan(demo, 'ngoc-lac-asxh-2026').id}").status in (403, 404)
