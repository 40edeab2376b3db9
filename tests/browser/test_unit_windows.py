"""A commune officer, in the browser, adds a commune-wide blackout from the plan's windows page: the preview
names every village it reaches, the plan's page shows it beside the plan's own windows, bad dates are
explained."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.app import factories as f
from tests.browser.conftest import look, login_as


def test_officer_adds_a_commune_blackout_and_sees_its_effect_per_village(contexts, demo):
    plan = f.plan(demo, "ngoc-lac-asxh-2026")
    page = contexts.new_page()
    login_as(page, "vanhoa")
    page.goto(f"/plans/{plan.id}")
    page.locator("#plan-windows").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Đợt cao điểm và ngày tạm dừng")
    page.locator("#unit-windows").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Đợt cao điểm và ngày tạm dừng: Xã Ngọc Lặc")
    form = page.locator("#add-window")
    form.get_by_label("Loại").select_option("blackout")
    form.get_by_label("Tên").fill("Bầu cử đại biểu HĐND")
    form.get_by_label("Từ ngày").fill("16/03/2027")
    form.get_by_label("Đến ngày").fill("15/03/2027")
    form.get_by_role("button", name="Thêm đợt").click()
    expect(page.locator("#err-ends_on")).to_contain_text("Ngày kết thúc trước ngày bắt đầu")
    page.locator("#add-window").get_by_label("Từ ngày").fill("15/03/2027")
    page.locator("#add-window").get_by_label("Đến ngày").fill("16/03/2027")
    page.locator("#add-window").get_by_role("button", name="Thêm đợt").click()
    expect(page.locator("#windows")).to_contain_text("Bầu cử đại biểu HĐND")
    expect(page.locator("#preview")).to_contain_text(
        re.compile(r"Thôn 7[^:]*:.*tạm dừng 15/03/2027 – 16/03/2027 \(Bầu cử đại biểu HĐND\)"))
    look(page, "w1-unit-windows")
    page.goto(f"/admin/plans/{plan.id}/windows")
    expect(page.locator("#unit-windows")).to_contain_text("Bầu cử đại biểu HĐND")
    look(page, "w2-plan-windows")
