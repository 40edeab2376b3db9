"""Flow c in a real browser: the editor writes Markdown with a live, sanitised preview and sends it for
review; the approver, in another browser, approves it."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import login_as, shot

BODY = ("**đậm** giúp người dân làm thủ tục BHXH trực tuyến.\n\n"
        "<script>window.__pwned = 1; document.title = 'pwned'</script>\n\n"
        "<img src=x onerror=\"window.__pwned = 2\">\n\n1. Cài VNeID\n2. Đăng nhập")


def test_editor_previews_markdown_safely_and_approver_approves(contexts, demo):
    editor = contexts.new_page()
    login_as(editor, "bientap")
    editor.get_by_role("link", name=re.compile("Đề án phát triển ứng dụng dữ liệu")).click()
    expect(editor.get_by_role("navigation", name="Kế hoạch")).to_be_visible()
    editor.get_by_role("link", name="Viết tin bài mới").click()
    expect(editor.get_by_role("heading", name="Viết tin bài mới")).to_be_visible()

    editor.get_by_label(re.compile(r"^Tiêu đề \(nội bộ")).fill("Dịch vụ công trực tuyến ngành BHXH")
    editor.get_by_label(re.compile(r"^Tiêu đề công khai")).fill("Nộp hồ sơ BHXH không cần đến cơ quan")
    audiences = editor.get_by_role("group", name=re.compile("Nhóm đối tượng")).get_by_role("checkbox")
    audiences.nth(1).check()
    audiences.nth(2).check()
    editor.get_by_label("Kênh", exact=True).select_option(label="Fanpage Facebook")
    editor.get_by_label("Nội dung (Markdown)").fill(BODY)

    preview = editor.locator("#preview")
    post = preview.locator(".post-preview")  # a fanpage post: exactly the text Facebook will receive
    expect(post).to_contain_text("Nộp hồ sơ BHXH không cần đến cơ quan")  # the public headline first
    expect(post).to_contain_text("đậm giúp người dân")
    expect(post).to_contain_text("1. Cài VNeID")
    expect(post).to_contain_text("2. Đăng nhập")
    assert preview.locator("strong").count() == 0
    assert preview.locator("script, img, [onerror]").count() == 0
    assert editor.locator("script:not([src])").count() == 0, "an inline script reached the page"
    assert editor.evaluate("window.__pwned") is None
    assert editor.title() != "pwned"
    shot(editor, "30-editor-preview")

    editor.get_by_role("button", name="Lưu bản nháp").click()
    expect(editor.get_by_role("status")).to_contain_text("Đã lưu bản nháp")
    message_url = editor.url
    assert re.search(r"/messages/\d+$", message_url)
    body = editor.locator("article.message-body")
    expect(body.locator("strong")).to_have_text("đậm")
    assert body.locator("script, img").count() == 0
    expect(editor.locator(".row-between .badge")).to_have_text("Bản nháp")
    editor.get_by_role("button", name="Gửi duyệt").click()
    expect(editor.get_by_role("status")).to_contain_text("Đã gửi duyệt")
    expect(editor.get_by_role("button", name="Duyệt", exact=True)).to_have_count(0)  # no self-approval
    shot(editor, "31-message-submitted")

    approver = contexts.new_page()
    login_as(approver, "duyet")
    approver.goto(message_url)
    expect(approver.get_by_role("heading", level=1)).to_have_text("Dịch vụ công trực tuyến ngành BHXH")
    approver.get_by_label("Ý kiến duyệt").fill("Đồng ý đăng.")
    shot(approver, "32-message-review")
    approver.get_by_role("button", name="Duyệt", exact=True).click()
    expect(approver.get_by_role("status")).to_contain_text("Đã duyệt")
    expect(approver.locator(".row-between .badge")).to_have_text("Đã duyệt")

    editor.reload()
    expect(editor.locator(".row-between .badge")).to_have_text("Đã duyệt")
    expect(editor.locator("#place-form")).to_be_visible()  # the editor may now schedule the post
    shot(editor, "33-message-approved")
