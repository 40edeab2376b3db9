"""Issue 11's Done-when, as one story: an editor's post with a link, a numbered list, two paragraphs, a hashtag
line and a picture arrives at the fake Graph server exactly as previewed (text and picture bytes); the approver
sees it in the inbox and in the mail sink; scheduling outside Facebook's window is refused; a rate-limited page
is not hammered (requests counted); after kill -9 of a worker mid-burst only the posts really in flight could
wait for a person, and automatic reconciliation leaves none.

The kill -9 part runs the worker as a subprocess on the same database file (a browser adds nothing there); the
"Cần xử lý" page then shows what a person would have to check."""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import time

from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from planner.channels.marker import find_markers, strip_marker
from planner.db import utcnow
from planner.fake_platforms import FakePlatforms
from planner.localtime import to_local
from planner.mail_sink import MailSink
from planner.models import Delivery, DeliveryStatus, Message, Target
from planner.worker import tell_people, tick
from tests.app import factories as f
from tests.browser.conftest import login_as, look, shot

PAGE_ID = "100000000000001"      # the demo's "fanpage-bhxh-vn"
BURST_PAGE = "100000000000002"
LINK = "https://dichvucong.gov.vn/p/home/dvc-tra-cuu-ho-so.html"
BODY = ("Từ tháng này người dân tra cứu quá trình đóng BHXH ngay trên điện thoại.\n\n"
        "1. Mở ứng dụng VNeID\n2. Chọn **Tra cứu BHXH**\n3. Xem quá trình đóng\n\n"
        "Mọi vướng mắc xin gọi tổng đài 1900 9068.\n\n"
        "#BHXH #VNeID")
WORKER = """
import datetime as dt, json, sys
from planner import create_app, dispatch
app = create_app(json.loads(sys.argv[1]))
session = app.extensions["planner_db"].session()
dispatch.dispatch_due(session, dict(app.config), now=dt.datetime.fromisoformat(sys.argv[2]), worker_id="doomed")
"""


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), (0, 102, 170)).save(out, "JPEG")
    return out.getvalue()


def _tick(app, at):
    return tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w1", now=at)


def _write_with_picture(contexts) -> tuple[object, str, str]:
    """The editor writes the post, adds a picture, reads the preview and submits; (page, previewed text, image url)."""
    editor = contexts.new_page()
    login_as(editor, "bientap")
    editor.get_by_role("link", name=re.compile("Đề án phát triển ứng dụng dữ liệu")).click()
    editor.get_by_role("link", name="Viết tin bài mới").click()
    editor.get_by_label("Tiêu đề (nội bộ").fill("Tra cứu BHXH trên VNeID (có ảnh)")
    editor.get_by_label("Tiêu đề công khai").fill("Tra cứu quá trình đóng BHXH trên VNeID")
    editor.get_by_role("group", name=re.compile("Nhóm đối tượng")).get_by_role("checkbox").nth(1).check()
    editor.get_by_label("Kênh", exact=True).select_option(label="Fanpage Facebook")
    editor.get_by_label("Liên kết").fill(LINK)
    editor.get_by_label("Nội dung (Markdown)").fill(BODY)
    card = editor.locator("#preview .link-card")                      # no picture yet: Facebook draws a card
    expect(card).to_contain_text("DICHVUCONG.GOV.VN")
    expect(card).to_contain_text("Tra cứu quá trình đóng BHXH trên VNeID")
    editor.get_by_role("button", name="Lưu bản nháp").click()
    expect(editor.get_by_role("status")).to_contain_text("Đã lưu bản nháp")

    editor.get_by_label("Tệp ảnh").set_input_files({"name": "anh.jpg", "mimeType": "image/jpeg", "buffer": _photo()})
    editor.get_by_label("Mô tả ảnh").fill("Người dân tra cứu BHXH trên điện thoại")
    editor.get_by_role("button", name="Thêm ảnh").click()
    expect(editor.get_by_role("status")).to_contain_text("Đã thêm ảnh")
    expect(editor.get_by_role("img", name="Người dân tra cứu BHXH trên điện thoại")).to_be_visible()
    look(editor, "79-message-with-picture")                           # labelled fields, alt text, no overflow

    editor.get_by_role("link", name="Sửa", exact=True).click()
    post = editor.locator("#preview .post-preview")
    expect(post).to_contain_text("1. Mở ứng dụng VNeID")
    expect(post).to_contain_text("#BHXH #VNeID")
    picture = editor.locator("#preview .post-images img")
    expect(picture).to_have_attribute("alt", "Người dân tra cứu BHXH trên điện thoại")
    expect(editor.locator("#preview .link-note")).to_contain_text("không hiện thẻ liên kết")
    expect(editor.locator("#preview .link-card")).to_have_count(0)
    previewed = post.evaluate("el => el.textContent")
    image_url = picture.get_attribute("src")
    shot(editor, "80-post-with-picture-preview")
    editor.get_by_role("link", name="Hủy").click()
    editor.get_by_role("button", name="Gửi duyệt").click()
    expect(editor.get_by_role("status")).to_contain_text("Đã gửi duyệt")
    return editor, previewed, image_url


def _approver_is_told_and_approves(app, contexts, demo, title: str) -> None:
    approver = contexts.new_page()
    login_as(approver, "duyet")
    expect(approver.locator(".inbox-link")).to_have_attribute("data-unread", "1")
    approver.locator(".inbox-link").click()
    item = approver.locator(".inbox-item.unread")
    expect(item).to_contain_text(title)
    with MailSink(http_port=0) as sink:
        settings = {**app.config, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": sink.smtp_port}
        assert tell_people(demo, settings, now=utcnow())["mail_sent"] >= 1
        mail_page = contexts.new_page()
        mail_page.goto(sink.page_url)
        expect(mail_page.locator("article", has_text="duyet@demo.planner.local")).to_contain_text(title)
    item.get_by_role("button", name="Mở").click()
    approver.get_by_role("button", name="Duyệt", exact=True).click()
    expect(approver.get_by_role("status")).to_contain_text("Đã duyệt")


def _schedule(editor, when: dt.datetime) -> None:
    local = to_local(when)
    editor.get_by_label("Ngày", exact=True).fill(local.strftime("%Y-%m-%d"))
    editor.get_by_label("Giờ", exact=True).fill(local.strftime("%H:%M"))
    editor.get_by_role("button", name="Lên lịch", exact=True).click()


def _kill_mid_burst(app, demo, fake, message) -> None:
    """30 posts with the picture on another page; a worker subprocess is SIGKILLed while sending them."""
    page_target = demo.scalar(select(Target).where(Target.external_id == PAGE_ID))
    burst = Target(code="fanpage-burst", unit_id=page_target.unit_id, channel="fanpage", name="Trang thử tải",
                   external_id=BURST_PAGE)
    demo.add(burst)
    demo.commit()
    now = utcnow().replace(microsecond=0)
    ids = sorted(f.occurrence(demo, target=burst, msg=message, at=now - dt.timedelta(seconds=i)).id for i in range(30))
    config = {"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "test-secret", "TESTING": True,
              "FACEBOOK_GRAPH_URL": fake.url, "FACEBOOK_PAGE_TOKENS": app.config["FACEBOOK_PAGE_TOKENS"],
              "IMAGE_DIR": app.config["IMAGE_DIR"], "CHANNEL_TIMEOUT_SECONDS": 5, "DISPATCH_BATCH_SIZE": 500}
    fake.slow_down(0.05)
    worker = subprocess.Popen([sys.executable, "-c", WORKER, json.dumps(config), now.isoformat()],
                              env={**os.environ, "PLANNER_INSTANCE_PATH": app.instance_path})
    deadline = time.monotonic() + 60
    while fake.requests_to(BURST_PAGE) < 10 and time.monotonic() < deadline and worker.poll() is None:
        time.sleep(0.01)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    fake.slow_down(0)
    received = fake.requests_to(BURST_PAGE)
    assert 10 <= received < 30, "the kill did not land mid-burst"
    demo.expire_all()
    dispatched = [d for d in demo.scalars(select(Delivery).where(Delivery.id.in_(ids)))
                  if d.status is DeliveryStatus.DISPATCHED]
    # Posts really in flight: claimed by the dead worker but never answered — at most the one request it was
    # waiting for; everything it had not sent yet is equally "dispatched" until the stale check.
    assert dispatched, "the dead worker left no claim to settle"

    stale = _tick(app, now + dt.timedelta(seconds=app.config["DISPATCH_STALE_SECONDS"] + 1))
    assert stale["stale"] == len(dispatched)
    settled = _tick(app, now + dt.timedelta(seconds=app.config["DISPATCH_STALE_SECONDS"]
                                            + app.config["RECONCILE_GRACE_SECONDS"] + 2))
    assert settled["reconciled"] == len(dispatched)
    demo.expire_all()
    statuses = [demo.get(Delivery, i).status for i in ids]
    in_flight = 1                                                       # one worker sends one post at a time
    assert statuses.count(DeliveryStatus.UNKNOWN) <= in_flight
    assert statuses.count(DeliveryStatus.UNKNOWN) == 0                  # reconciliation found or re-sent each
    burst_posts = [p for p in fake.posts if p["page_id"] == BURST_PAGE]
    assert sorted(m for p in burst_posts for m in find_markers(p["message"])) == ids   # each posted exactly once


def test_editors_post_with_a_picture_arrives_as_previewed_and_the_worker_survives_limits_and_kill_9(
        app, contexts, demo):
    fake = FakePlatforms().start()
    app.config.update(FACEBOOK_GRAPH_URL=fake.url, CHANNEL_TIMEOUT_SECONDS=2,
                      FACEBOOK_PAGE_TOKENS={PAGE_ID: "tok-1", BURST_PAGE: "tok-2"})
    try:
        editor, previewed, image_url = _write_with_picture(contexts)
        assert previewed.split("\n\n") == [
            "Tra cứu quá trình đóng BHXH trên VNeID",
            "Từ tháng này người dân tra cứu quá trình đóng BHXH ngay trên điện thoại.",
            "1. Mở ứng dụng VNeID\n2. Chọn Tra cứu BHXH\n3. Xem quá trình đóng",
            "Mọi vướng mắc xin gọi tổng đài 1900 9068.", "#BHXH #VNeID", LINK]
        shown_bytes = editor.request.get(image_url).body()
        _approver_is_told_and_approves(app, contexts, demo, "Tra cứu BHXH trên VNeID (có ảnh)")

        editor.reload()
        _schedule(editor, utcnow() + dt.timedelta(minutes=3))             # inside Facebook's 10 minutes: refused
        expect(editor.get_by_role("alert")).to_contain_text("ít nhất 10 phút")
        when = (utcnow() + dt.timedelta(minutes=20)).replace(second=0, microsecond=0)
        _schedule(editor, when)
        expect(editor.get_by_role("status")).to_contain_text("Đã lên lịch đăng")
        assert _tick(app, when - dt.timedelta(minutes=1))["delivered"] == 0     # not before its time
        assert _tick(app, when + dt.timedelta(seconds=5))["delivered"] == 1
        (post,) = fake.posts
        assert strip_marker(post["message"]) == previewed                 # exactly what the editor saw
        assert post["images"] == [hashlib.sha256(shown_bytes).hexdigest()]  # the very picture shown in the app
        shot(editor, "81-post-scheduled-and-sent")

        message = demo.scalar(select(Message).order_by(Message.id.desc()))
        target = demo.scalar(select(Target).where(Target.external_id == PAGE_ID))
        fake.rate_limit(PAGE_ID, 32)
        before = fake.requests_to(PAGE_ID)
        later = [f.occurrence(demo, target=target, msg=message, at=when + dt.timedelta(seconds=i)) for i in range(6)]
        for second in range(10, 50, 5):                                    # 40 s of 5-second ticks
            _tick(app, when + dt.timedelta(seconds=second))
        assert fake.requests_to(PAGE_ID) - before == 1                     # one refusal, then the page waits
        editor.goto(f"/occurrences/{later[0].occurrence_id}")
        expect(editor.locator("dl.facts")).to_contain_text("giới hạn tần suất")
        fake.rate_limit(PAGE_ID, None)

        _kill_mid_burst(app, demo, fake, message)
        plan = f.plan(demo, "bhxh-2728-2023")
        editor.goto(f"/plans/{plan.id}/attention?status=unknown")
        expect(editor.locator("#attention-total")).to_contain_text("0 lượt cần xử lý")
        shot(editor, "82-nothing-waits-after-kill-9")
    finally:
        fake.stop()
