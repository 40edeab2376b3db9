"""Two people at once, in real browsers: the second save of the same message is refused with both texts
on screen (nothing lost), and a double-clicked "Lên lịch" schedules one post."""
from __future__ import annotations

import datetime as dt

from playwright.sync_api import expect
from sqlalchemy import func, select

from planner import localtime
from planner.db import utcnow
from planner.models import Message, Occurrence
from tests.app import factories as f
from tests.browser.conftest import login_as, look


def test_second_save_of_a_message_shows_both_texts_and_loses_nothing(contexts, demo):
    plan = f.plan(demo, "bhxh-2728-2023")
    mid = demo.scalar(select(Message.id).where(Message.plan_id == plan.id, Message.channel == "fanpage")
                      .order_by(Message.id))
    first, second = contexts.new_page(), contexts.new_page()
    for page in (first, second):
        login_as(page, "bientap")
        page.goto(f"/messages/{mid}/edit")
    first.get_by_label("Nội dung (Markdown)").fill("Bản của người thứ nhất: **hạn chót 30/4**.")
    first.get_by_role("button", name="Lưu bản nháp").click()
    expect(first.get_by_role("status")).to_contain_text("Đã lưu phiên bản")

    second.get_by_label("Nội dung (Markdown)").fill("Bản của người thứ hai: thêm số điện thoại hỗ trợ.")
    second.get_by_role("button", name="Lưu bản nháp").click()
    conflict = second.locator("#edit-conflict")
    expect(conflict).to_contain_text("Có người vừa lưu tin bài này")
    expect(conflict.locator(".message-body strong")).to_have_text("hạn chót 30/4")
    expect(second.get_by_label("Nội dung (Markdown)")).to_have_value("Bản của người thứ hai: thêm số điện thoại hỗ trợ.")
    look(second, "60-edit-conflict")
    demo.expire_all()
    assert demo.get(Message, mid).latest.body_md == "Bản của người thứ nhất: **hạn chót 30/4**."

    second.get_by_label("Nội dung (Markdown)").fill("Gộp: **hạn chót 30/4**, thêm số điện thoại hỗ trợ.")
    second.get_by_role("button", name="Lưu bản nháp").click()
    expect(second.get_by_role("status")).to_contain_text("Đã lưu phiên bản")
    demo.expire_all()
    assert demo.get(Message, mid).latest.body_md.startswith("Gộp:")


def test_double_clicked_schedule_button_schedules_one_post(contexts, demo):
    message = next(m for m in demo.scalars(select(Message).where(Message.channel == "fanpage").order_by(Message.id))
                   if m.approved)
    page = contexts.new_page()
    login_as(page, "bientap")
    page.goto(f"/messages/{message.id}")
    when = localtime.to_local(utcnow() + dt.timedelta(days=2))
    form = page.locator("#place-form")
    form.get_by_label("Ngày").fill(when.strftime("%Y-%m-%d"))
    form.get_by_label("Giờ").fill("19:30")
    form.get_by_role("button", name="Lên lịch").dblclick()
    expect(page.get_by_role("status").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    demo.expire_all()
    assert demo.scalar(select(func.count()).select_from(Occurrence)) == 1
