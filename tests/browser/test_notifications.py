"""An editor submits a message; the approver sees the unread count in the top bar and the item in the inbox,
and the e-mail the worker sent is on the demo's mail sink page."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from planner.db import utcnow
from planner.mail_sink import MailSink
from planner.operations import content
from tests.app import factories as f
from tests.browser.conftest import login_as, shot


def test_editor_submits_and_the_approver_is_told_in_the_inbox_and_by_mail(app, contexts, demo):
    plan = f.plan(demo, "bhxh-2728-2023")
    message = content.create_message(demo, plan, f.user(demo, "bientap"), {
        "title": "Hỏi đáp BHXH số", "body_md": "Tải **VssID** để tra cứu quá trình đóng.",
        "audience_ids": [str(plan.audiences[0].id)], "channel": "fanpage"}, now=utcnow())
    demo.commit()

    editor = contexts.new_page()
    login_as(editor, "bientap")
    editor.goto(f"/messages/{message.id}")
    editor.get_by_role("button", name="Gửi duyệt").click()
    expect(editor.get_by_role("status")).to_contain_text("Đã gửi duyệt")
    expect(editor.locator(".inbox-link")).to_have_attribute("data-unread", "0")   # not told of their own act

    approver = contexts.new_page()
    login_as(approver, "duyet")
    inbox_link = approver.locator(".inbox-link")
    expect(inbox_link).to_have_attribute("data-unread", "1")
    expect(inbox_link.locator(".badge")).to_have_text("1")
    inbox_link.click()
    item = approver.locator(".inbox-item.unread")
    expect(item).to_contain_text("Hỏi đáp BHXH số")
    expect(item).to_contain_text("gửi duyệt")
    shot(approver, "70-approver-inbox")
    item.get_by_role("button", name="Mở").click()
    approver.wait_for_url(re.compile(rf"/messages/{message.id}$"))
    expect(approver.get_by_role("button", name="Duyệt", exact=True)).to_be_visible()
    expect(approver.locator(".inbox-link")).to_have_attribute("data-unread", "0")

    from planner.worker import tell_people

    with MailSink(http_port=0) as sink:
        settings = {**app.config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": sink.smtp_port}
        assert tell_people(demo, settings, now=utcnow())["mail_sent"] >= 1
        mail_page = contexts.new_page()
        mail_page.goto(sink.page_url)
        mail = mail_page.locator("article", has_text="duyet@demo.planner.local")
        expect(mail).to_contain_text("Hỏi đáp BHXH số")
        expect(mail).to_contain_text(f"/messages/{message.id}")
        shot(mail_page, "71-mail-sink")
