"""Flow b on a phone: a village head opens the signed link from the printed roster's QR code and confirms
today's broadcasts with big buttons — no password, no sideways scrolling."""
from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect

from planner import localtime
from planner.db import utcnow
from planner.operations.delivery import make_village_token
from tests.app import factories as f
from tests.browser.conftest import PHONE, horizontal_overflow, shot

MIN_TAP_PX = 44


def _two_broadcasts_today(db):
    """Two of thôn 7's broadcasts that have just aired, and a link covering yesterday and today (so a
    test run just after midnight still finds them)."""
    target = f.village_target(db, "thon-07")
    now = utcnow()
    first = f.occurrence(db, target=target, msg=f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich"),
                         at=now - dt.timedelta(minutes=10))
    second = f.occurrence(db, target=target, msg=f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich"),
                          at=now - dt.timedelta(minutes=5))
    today = localtime.today(now)
    token = make_village_token("test-secret", target.id, today - dt.timedelta(days=1), today)
    return token, first.id, second.id


def _assert_fits_a_phone(page):
    assert page.viewport_size == PHONE
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"], "the page scrolls sideways"
    assert horizontal_overflow(page) <= 0


def _assert_tappable(locator):
    box = locator.bounding_box()
    assert box is not None and box["height"] >= MIN_TAP_PX, f"tap target too small: {box}"
    assert box["width"] >= MIN_TAP_PX


def test_village_head_confirms_on_a_phone(contexts, demo):
    token, aired_id, failed_id = _two_broadcasts_today(demo)
    phone = contexts.new_page(phone=True)
    phone.goto(f"/x/{token}")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thôn 7")
    aired = phone.locator(f"#d{aired_id}")
    failed = phone.locator(f"#d{failed_id}")
    expect(aired.get_by_role("button", name="Đã phát")).to_be_visible()
    _assert_fits_a_phone(phone)
    _assert_tappable(aired.get_by_role("button", name="Đã phát"))
    _assert_tappable(aired.locator("summary", has_text="Không phát được"))
    shot(phone, "20-confirm-phone")

    aired.get_by_role("button", name="Đã phát").tap()
    expect(phone.get_by_role("status")).to_contain_text("Đã ghi nhận: đã phát")
    expect(aired.locator(".done")).to_contain_text("Đã thực hiện")
    expect(aired.get_by_role("button", name="Đã phát")).to_have_count(0)
    _assert_fits_a_phone(phone)
    shot(phone, "21-confirm-phone-done")

    phone.reload()
    expect(phone.get_by_role("status")).to_have_count(0)
    expect(aired.locator(".done")).to_contain_text("Đã thực hiện")
    expect(aired.get_by_role("button")).to_have_count(0)

    failed.locator("summary", has_text="Không phát được").tap()
    reason = failed.get_by_label("Lý do")
    expect(reason).to_be_visible()
    _assert_tappable(reason)
    _assert_tappable(failed.get_by_role("button", name="Gửi lý do"))
    shot(phone, "22-confirm-phone-reason")
    reason.select_option("Mất điện")
    failed.get_by_role("button", name="Gửi lý do").tap()
    expect(phone.get_by_role("status")).to_contain_text("Đã ghi nhận: không phát được")
    expect(failed.locator(".done")).to_contain_text("Mất điện")
    _assert_fits_a_phone(phone)
    shot(phone, "23-confirm-phone-failed")


def test_village_link_that_was_tampered_with_explains_on_a_phone(contexts, demo):
    token, _, _ = _two_broadcasts_today(demo)
    phone = contexts.new_page(phone=True)
    response = phone.goto(f"/x/{token[:-3]}abc")
    assert response.status == 403
    expect(phone.get_by_role("heading", level=1)).to_have_text("Không mở được trang xác nhận")
    expect(phone.locator("main")).to_contain_text("cán bộ văn hóa - xã hội")
    _assert_fits_a_phone(phone)
    shot(phone, "24-confirm-phone-invalid")
