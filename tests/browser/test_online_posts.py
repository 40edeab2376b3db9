"""Online posts end to end in a real browser: the editor's preview is exactly what the fake Graph server
receives; a rate-limited page is not hammered; after a crash mid-burst the worker settles the unknown posts
itself and the "Cần xử lý" page is left with nothing to do."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from planner import dispatch
from planner.channels.marker import find_markers, strip_marker
from planner.db import utcnow
from planner.fake_platforms import FakePlatforms
from planner.models import Delivery, DeliveryStatus, Message, Target
from planner.worker import tick
from tests.app import factories as f
from tests.browser.conftest import login_as, shot

PAGE_ID = "100000000000001"
BODY = ("Từ nay người dân tra cứu quá trình đóng BHXH trên [Cổng dịch vụ công](https://dichvucong.gov.vn).\n\n"
        "1. Đăng nhập VNeID mức 2\n2. Chọn **Tra cứu BHXH**\n3. Xem kết quả\n\n"
        "Mọi vướng mắc xin gọi tổng đài 1900 9068.\n\n"
        "#BHXH #VNeID")


@pytest.fixture()
def fake(app):
    server = FakePlatforms().start()
    app.config.update(FACEBOOK_GRAPH_URL=server.url, FACEBOOK_PAGE_TOKENS={PAGE_ID: "tok-1"},
                      CHANNEL_TIMEOUT_SECONDS=2)
    yield server
    server.stop()


def _tick(app, *, at=None, worker="w1"):
    return tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id=worker, now=at)


def _write_preview_and_approve(contexts) -> tuple[str, str]:
    """The editor writes the post in the browser and reads the preview; the approver approves it."""
    editor = contexts.new_page()
    login_as(editor, "bientap")
    editor.get_by_role("link", name=re.compile("Đề án phát triển ứng dụng dữ liệu")).click()
    editor.get_by_role("link", name="Viết tin bài mới").click()
    editor.get_by_label("Tiêu đề (nội bộ").fill("Tra cứu quá trình đóng BHXH trên VNeID")
    editor.get_by_role("group", name=re.compile("Nhóm đối tượng")).get_by_role("checkbox").nth(1).check()
    editor.get_by_label("Kênh", exact=True).select_option(label="Fanpage Facebook")
    editor.get_by_label("Nội dung (Markdown)").fill(BODY)
    post = editor.locator("#preview .post-preview")
    expect(post).to_contain_text("#BHXH #VNeID")
    expect(post).to_contain_text("1. Đăng nhập VNeID mức 2")
    expect(post).to_contain_text("Cổng dịch vụ công (https://dichvucong.gov.vn)")
    previewed = post.evaluate("el => el.textContent")
    shot(editor, "60-fanpage-post-preview")
    editor.get_by_role("button", name="Lưu bản nháp").click()
    editor.get_by_role("button", name="Gửi duyệt").click()
    expect(editor.get_by_role("status")).to_contain_text("Đã gửi duyệt")
    approver = contexts.new_page()
    login_as(approver, "duyet")
    approver.goto(editor.url)
    approver.get_by_role("button", name="Duyệt", exact=True).click()
    expect(approver.get_by_role("status")).to_contain_text("Đã duyệt")
    return previewed, editor.url


def test_post_arrives_as_previewed_and_a_rate_limited_page_is_not_hammered(app, contexts, demo, fake):
    previewed, message_url = _write_preview_and_approve(contexts)
    assert previewed.split("\n\n") == [
        "Tra cứu quá trình đóng BHXH trên VNeID",
        "Từ nay người dân tra cứu quá trình đóng BHXH trên Cổng dịch vụ công (https://dichvucong.gov.vn).",
        "1. Đăng nhập VNeID mức 2\n2. Chọn Tra cứu BHXH\n3. Xem kết quả",
        "Mọi vướng mắc xin gọi tổng đài 1900 9068.", "#BHXH #VNeID"]
    message = demo.get(Message, int(message_url.rsplit("/", 1)[1]))
    target = demo.scalar(select(Target).where(Target.code == "fanpage-bhxh-vn"))
    now = utcnow()
    first = f.occurrence(demo, target=target, msg=message, at=now - dt.timedelta(seconds=30))
    assert _tick(app)["delivered"] == 1
    (post,) = fake.posts
    assert strip_marker(post["message"]) == previewed                      # exactly what the editor saw

    fake.rate_limit(PAGE_ID, 32)
    later = [f.occurrence(demo, target=target, msg=message, at=now - dt.timedelta(seconds=20 + i)) for i in range(6)]
    for second in range(0, 40, 5):                                          # 40 s of 5-second ticks
        _tick(app, at=now + dt.timedelta(seconds=second))
    assert fake.requests_to(PAGE_ID) == 1 + 1                               # the first post, then one refusal
    page = contexts.new_page()
    login_as(page, "bientap")
    page.goto(f"/occurrences/{later[0].occurrence_id}")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Đã lên lịch")                            # back to due: nothing was published
    expect(facts).to_contain_text("giới hạn tần suất")
    shot(page, "61-rate-limited-post")
    page.goto(f"/occurrences/{first.occurrence_id}")
    expect(page.locator("dl.facts")).to_contain_text(post["id"])


def test_after_a_crash_mid_burst_the_worker_settles_unknown_posts_itself(app, contexts, demo, fake):
    target = demo.scalar(select(Target).where(Target.code == "fanpage-bhxh-vn"))
    message = f.message(demo, "bhxh-2728-2023", "fb-1-1-nghi-quyet-362")
    now = utcnow()
    rows = [f.occurrence(demo, target=target, msg=message, at=now - dt.timedelta(minutes=20, seconds=i))
            for i in range(5)]
    claimed = dispatch.claim_due(demo, now=now - dt.timedelta(minutes=15), worker_id="killed", limit=10)
    for row in dispatch._claimed_rows(demo, claimed[:2]):                   # in flight when the worker died
        from planner.channels import REGISTRY, ChannelSettings, TargetInfo

        REGISTRY["fanpage"].deliver(dispatch.content_of(row), TargetInfo(row.target_name, row.target_external_id),
                                    ChannelSettings(dict(app.config)), now=now, reference=row.id)
    assert _tick(app, at=now)["stale"] == 5
    plan = f.plan(demo, "bhxh-2728-2023")
    page = contexts.new_page()
    login_as(page, "bientap")
    page.goto(f"/plans/{plan.id}/attention?status=unknown")
    expect(page.locator("#attention-total")).to_contain_text("5 lượt cần xử lý")
    shot(page, "62-unknown-after-crash")

    counts = _tick(app, at=now + dt.timedelta(seconds=app.config["RECONCILE_GRACE_SECONDS"] + 1))
    assert counts["reconciled"] == 5 and counts["delivered"] == 3
    page.reload()
    expect(page.locator("#attention-total")).to_contain_text("0 lượt cần xử lý")
    demo.expire_all()
    ids = sorted(r.id for r in rows)
    assert {demo.get(Delivery, i).status for i in ids} == {DeliveryStatus.DELIVERED}
    assert sorted(m for p in fake.posts for m in find_markers(p["message"])) == ids
    page.goto(f"/occurrences/{rows[0].occurrence_id}")
    expect(page.locator("dl.facts")).to_contain_text("Đã thực hiện")
    shot(page, "63-settled-by-reconciliation")
