"""Flow c: an editor writes a fanpage post, an approver approves, the worker publishes it at the due time."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from planner import localtime
from planner.db import utcnow
from planner.fake_platforms import FakePlatforms
from planner.models import Delivery, DeliveryStatus, Message, Occurrence
from planner.worker import tick
from tests.app import factories as f
from tests.conftest import csrf_from


@pytest.fixture()
def fake(app):
    server = FakePlatforms()
    server.start()
    app.config.update(FACEBOOK_GRAPH_URL=server.url, ZALO_API_URL=server.url,
                      FACEBOOK_PAGE_TOKENS={"100000000000001": "tok-1"}, CHANNEL_TIMEOUT_SECONDS=0.5)
    yield server
    server.stop()


def _write_and_approve(login, db, body="**Đề án 06** giúp người dân làm thủ tục BHXH trực tuyến."):
    editor = login("bientap")
    plan = f.plan(db, "bhxh-2728-2023")
    page = editor.get(f"/plans/{plan.id}/messages/new").get_data(as_text=True)
    audience = plan.audiences[2]
    resp = editor.post(f"/plans/{plan.id}/messages/new", data={
        "csrf_token": csrf_from(page), "title": "Dịch vụ công trực tuyến ngành BHXH", "body_md": body,
        "audience_id": audience.id, "channel": "fanpage", "min_per_week": "0", "peak_per_day": "0",
        "min_gap_hours": "0"})
    assert resp.status_code == 302
    message = db.scalar(select(Message).where(Message.plan_id == plan.id).order_by(Message.id.desc()))
    version = message.latest
    csrf = csrf_from(editor.get(f"/messages/{message.id}").get_data(as_text=True))
    editor.post(f"/messages/{message.id}/versions/{version.id}/submit", data={"csrf_token": csrf})
    approver = login("duyet")
    csrf = csrf_from(approver.get(f"/messages/{message.id}").get_data(as_text=True))
    approver.post(f"/messages/{message.id}/versions/{version.id}/review",
                  data={"csrf_token": csrf, "decision": "approve", "note": ""})
    db.expire_all()
    return editor, db.get(Message, message.id)


def test_bad_message_form_keeps_text_and_explains(login, db):
    editor = login("bientap")
    plan = f.plan(db, "bhxh-2728-2023")
    page = editor.get(f"/plans/{plan.id}/messages/new").get_data(as_text=True)
    resp = editor.post(f"/plans/{plan.id}/messages/new", data={
        "csrf_token": csrf_from(page), "title": "", "body_md": "Nội dung đã gõ", "audience_id": "",
        "channel": "tiktok", "min_per_week": "abc"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    for text in ("Vui lòng nhập tiêu đề.", "Vui lòng chọn nhóm đối tượng", "Vui lòng chọn kênh",
                 "phải là số nguyên", "Nội dung đã gõ"):
        assert text in html


def test_markdown_is_sanitised_in_preview_and_page(login, db):
    editor, message = _write_and_approve(login, db, body="Xin chào <script>alert(1)</script> [x](javascript:alert(2))")
    html = editor.get(f"/messages/{message.id}").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "javascript:alert" not in html
    csrf = csrf_from(html)
    preview = editor.post("/messages/preview", data={"csrf_token": csrf, "body_md": "<img src=x onerror=alert(1)>**a**",
                                                     "channel": "fanpage", "title": "t"}).get_json()
    assert "onerror" not in preview["html"] and "<strong>a</strong>" in preview["html"]


def test_writer_cannot_approve_own_version_and_edits_make_new_versions(login, db):
    editor, message = _write_and_approve(login, db)
    assert message.approved is not None and message.approved.number == 1
    html = editor.get(f"/messages/{message.id}/edit").get_data(as_text=True)
    editor.post(f"/messages/{message.id}/edit", data={
        "csrf_token": csrf_from(html), "title": "Tiêu đề mới", "body_md": "Nội dung mới",
        "audience_id": message.audience_id, "channel": "fanpage", "min_per_week": 0, "peak_per_day": 0,
        "min_gap_hours": 0})
    db.expire_all()
    message = db.get(Message, message.id)
    assert [v.number for v in message.versions] == [1, 2]
    assert message.approved.number == 1 and message.latest.status.value == "draft"


def test_post_is_scheduled_then_published_by_the_worker(app, login, db, fake):
    editor, message = _write_and_approve(login, db)
    target = db.scalar(select(f.Target).where(f.Target.code == "fanpage-bhxh-vn"))
    when = localtime.to_local(utcnow() + dt.timedelta(hours=2))
    csrf = csrf_from(editor.get(f"/messages/{message.id}").get_data(as_text=True))
    resp = editor.post(f"/messages/{message.id}/place", data={
        "csrf_token": csrf, "target_id": target.id, "day": when.strftime("%d/%m/%Y"), "at": when.strftime("%H:%M")},
        follow_redirects=True)
    assert "Đã lên lịch đăng" in resp.get_data(as_text=True)
    occ = db.scalar(select(Occurrence).where(Occurrence.target_id == target.id))
    assert occ.is_pinned
    db_ = app.extensions["planner_db"]
    result = tick(db_, app.config, instance_path=app.instance_path, worker_id="w1", now=occ.starts_at + dt.timedelta(seconds=5))
    assert result["delivered"] == 1
    db.expire_all()
    delivery = db.scalar(select(Delivery).where(Delivery.occurrence_id == occ.id))
    assert delivery.status is DeliveryStatus.DELIVERED and delivery.external_id.startswith("100000000000001_")
    assert len(fake.posts) == 1 and "Đề án 06" in fake.posts[0]["message"]
    again = tick(db_, app.config, instance_path=app.instance_path, worker_id="w2", now=occ.starts_at + dt.timedelta(seconds=30))
    assert again["claimed"] == 0 and len(fake.posts) == 1


def test_timeout_after_sending_marks_unknown_and_never_resends(app, login, db, fake):
    editor, message = _write_and_approve(login, db)
    target = db.scalar(select(f.Target).where(f.Target.code == "fanpage-bhxh-vn"))
    delivery = f.occurrence(db, target=target, msg=message, at=utcnow() - dt.timedelta(seconds=30))
    fake.hang_next(2)
    db_ = app.extensions["planner_db"]
    tick(db_, app.config, instance_path=app.instance_path, worker_id="w1")
    db.expire_all()
    assert db.get(Delivery, delivery.id).status is DeliveryStatus.UNKNOWN
    tick(db_, app.config, instance_path=app.instance_path, worker_id="w1")
    assert len(fake.posts) == 1


def test_platform_error_is_recorded(app, login, db, fake):
    _, message = _write_and_approve(login, db)
    target = db.scalar(select(f.Target).where(f.Target.code == "fanpage-bhxh-vn"))
    delivery = f.occurrence(db, target=target, msg=message, at=utcnow() - dt.timedelta(seconds=30))
    fake.fail_next(100, "Invalid parameter")
    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w1")
    db.expire_all()
    row = db.get(Delivery, delivery.id)
    assert row.status is DeliveryStatus.FAILED and "100" in row.error


def test_posts_due_during_long_downtime_expire_instead_of_sending(app, login, db, fake):
    _, message = _write_and_approve(login, db)
    target = db.scalar(select(f.Target).where(f.Target.code == "fanpage-bhxh-vn"))
    delivery = f.occurrence(db, target=target, msg=message, at=utcnow() - dt.timedelta(hours=5))
    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w1")
    db.expire_all()
    assert db.get(Delivery, delivery.id).status is DeliveryStatus.EXPIRED and fake.posts == []


def test_online_post_must_be_at_least_ten_minutes_ahead(login, db):
    editor, message = _write_and_approve(login, db)
    target = db.scalar(select(f.Target).where(f.Target.code == "fanpage-bhxh-vn"))
    when = localtime.to_local(utcnow() + dt.timedelta(minutes=3))
    csrf = csrf_from(editor.get(f"/messages/{message.id}").get_data(as_text=True))
    resp = editor.post(f"/messages/{message.id}/place", data={
        "csrf_token": csrf, "target_id": target.id, "day": when.strftime("%d/%m/%Y"), "at": when.strftime("%H:%M")},
        follow_redirects=True)
    assert "ít nhất 10 phút" in resp.get_data(as_text=True)


def test_unknown_outcomes_are_listed_and_reconciled_by_the_editor(app, login, db, fake):
    editor, message = _write_and_approve(login, db)
    target = db.scalar(select(f.Target).where(f.Target.code == "fanpage-bhxh-vn"))
    delivery = f.occurrence(db, target=target, msg=message, at=utcnow() - dt.timedelta(seconds=30))
    fake.hang_next(2)
    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w1")
    plan = f.plan(db, "bhxh-2728-2023")
    html = editor.get(f"/plans/{plan.id}/attention").get_data(as_text=True)
    assert "Chưa rõ kết quả" in html and message.latest.title in html
    resp = editor.post(f"/deliveries/{delivery.id}/reconcile", data={
        "csrf_token": csrf_from(html), "published": "yes", "external_id": ""}, follow_redirects=True)
    assert "Vui lòng nhập mã bài đăng" in resp.get_data(as_text=True)
    editor.post(f"/deliveries/{delivery.id}/reconcile", data={
        "csrf_token": csrf_from(html), "published": "yes", "external_id": "100000000000001_7"})
    db.expire_all()
    row = db.get(Delivery, delivery.id)
    assert row.status is DeliveryStatus.DELIVERED and row.external_id == "100000000000001_7"


def test_zalo_allows_one_broadcast_a_day(login, db):
    editor = login("bientap")
    message = f.message(db, "bhxh-2728-2023", next(
        m.code for m in db.scalars(select(Message).where(Message.channel == "zalo")) if m.approved))
    target = db.scalar(select(f.Target).where(f.Target.code == "zalo-bhxh-vn"))
    day = localtime.to_local(utcnow() + dt.timedelta(days=2)).strftime("%d/%m/%Y")
    for at, expected in (("09:00", "Đã lên lịch đăng"), ("20:00", "tối đa 1 tin/ngày")):
        csrf = csrf_from(editor.get(f"/messages/{message.id}").get_data(as_text=True))
        resp = editor.post(f"/messages/{message.id}/place", data={
            "csrf_token": csrf, "target_id": target.id, "day": day, "at": at}, follow_redirects=True)
        assert expected in resp.get_data(as_text=True)


def test_priority_validity_and_audio_length_are_set_in_the_form(login, db):
    editor = login("bientap")
    plan = f.plan(db, "bhxh-2728-2023")
    page = editor.get(f"/plans/{plan.id}/messages/new").get_data(as_text=True)
    base = {"csrf_token": csrf_from(page), "title": "Tin khẩn", "body_md": "Nội dung", "audience_id": plan.audiences[2].id,
            "channel": "loudspeaker", "min_per_week": "0", "peak_per_day": "0", "min_gap_hours": "0"}
    bad = editor.post(f"/plans/{plan.id}/messages/new", data={**base, "priority": "top", "valid_from": "10/10/2026",
                                                              "valid_to": "01/10/2026", "audio_seconds": "-5"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "Mức ưu tiên không hợp lệ" in html and "phải sau ngày bắt đầu" in html and "từ 1 đến 3600" in html
    ok = editor.post(f"/plans/{plan.id}/messages/new", data={**base, "priority": "emergency", "valid_from": "01/10/2026",
                                                             "valid_to": "10/10/2026", "audio_seconds": "95"})
    assert ok.status_code == 302
    message = db.scalar(select(Message).where(Message.plan_id == plan.id).order_by(Message.id.desc()))
    assert message.priority.value == "emergency" and message.valid_to == dt.date(2026, 10, 10)
    assert message.latest.audio_seconds == 95
