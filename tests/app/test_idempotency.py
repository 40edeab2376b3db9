"""One-time keys: a double-submitted form (or a retried API call) creates one thing, not two."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from planner import localtime
from planner.db import utcnow
from planner.models import IdempotencyKey, Message, Occurrence, ScheduleRun
from tests.app import factories as f
from tests.conftest import csrf_from


def once_from(html: str) -> str:
    match = re.search(r'name="once" value="([^"]+)"', html)
    assert match, "no one-time key on the page"
    return match.group(1)


def approved_fanpage_message(db) -> Message:
    return next(m for m in db.scalars(select(Message).where(Message.channel == "fanpage").order_by(Message.id))
                if m.approved)


def post_form(db, client, message):
    page = client.get(f"/messages/{message.id}").get_data(as_text=True)
    target = db.scalar(select(f.Target).where(f.Target.code == "fanpage-bhxh-vn"))
    when = localtime.to_local(utcnow() + dt.timedelta(hours=3))
    return {"csrf_token": csrf_from(page), "once": once_from(page), "target_id": target.id,
            "day": when.strftime("%d/%m/%Y"), "at": when.strftime("%H:%M")}


def test_double_submitted_post_form_schedules_one_post(login, db):
    editor = login("bientap")
    message = approved_fanpage_message(db)
    data = post_form(db, editor, message)
    first = editor.post(f"/messages/{message.id}/place", data=data, follow_redirects=True)
    assert "Đã lên lịch đăng" in first.get_data(as_text=True)
    second = editor.post(f"/messages/{message.id}/place", data=data, follow_redirects=True)
    assert "Biểu mẫu này đã được gửi" in second.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Occurrence)) == 1
    row = db.scalar(select(IdempotencyKey))
    assert row.route == "schedule.place" and row.resource == "occurrence"
    assert row.resource_id == db.scalar(select(Occurrence.id))


def test_same_post_form_key_with_other_data_is_refused_and_creates_nothing(login, db):
    editor = login("bientap")
    message = approved_fanpage_message(db)
    data = post_form(db, editor, message)
    editor.post(f"/messages/{message.id}/place", data=data)
    other = dict(data, at="23:59" if data["at"] != "23:59" else "23:58")
    resp = editor.post(f"/messages/{message.id}/place", data=other, follow_redirects=True)
    assert "đã được dùng cho một yêu cầu khác" in resp.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Occurrence)) == 1


def test_a_failed_post_form_leaves_its_key_free_for_the_corrected_retry(login, db):
    editor = login("bientap")
    message = approved_fanpage_message(db)
    data = post_form(db, editor, message)
    past = localtime.to_local(utcnow() - dt.timedelta(days=1))
    resp = editor.post(f"/messages/{message.id}/place", data=dict(data, day=past.strftime("%d/%m/%Y")),
                       follow_redirects=True)
    assert "Thời điểm đã qua" in resp.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    resp = editor.post(f"/messages/{message.id}/place", data=data, follow_redirects=True)
    assert "Đã lên lịch đăng" in resp.get_data(as_text=True)


def test_double_submitted_generate_form_starts_one_run(login, db):
    officer = login("vanhoa")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    page = officer.get(f"/plans/{plan.id}/schedule").get_data(as_text=True)
    start = localtime.today(utcnow()) + dt.timedelta(days=1)
    data = {"csrf_token": csrf_from(page), "once": once_from(page), "unit": officer_unit_id(db),
            "channel": "loudspeaker", "start": localtime.fmt_date(start),
            "end": localtime.fmt_date(start + dt.timedelta(days=6))}
    first = officer.post(f"/plans/{plan.id}/schedule", data=data)
    second = officer.post(f"/plans/{plan.id}/schedule", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    run = db.scalar(select(ScheduleRun))
    assert db.scalar(select(func.count()).select_from(ScheduleRun)) == 1
    assert db.scalar(select(func.count()).select_from(Occurrence)) == run.placed > 0
    assert "Biểu mẫu này đã được gửi" in officer.get(second.headers["Location"]).get_data(as_text=True)


def officer_unit_id(db) -> int:
    return f.user(db, "vanhoa").unit_id


def test_expired_keys_are_forgotten(app, db, demo):
    from planner.operations.idempotency import purge_expired_keys

    user = f.user(db, "vanhoa")
    now = utcnow()
    db.add_all([IdempotencyKey(user_id=user.id, key="old-key-123", route="r", request_hash="h", resource="",
                               response_status=0, created_at=now - dt.timedelta(hours=25)),
                IdempotencyKey(user_id=user.id, key="new-key-123", route="r", request_hash="h", resource="",
                               response_status=0, created_at=now - dt.timedelta(hours=1))])
    db.commit()
    assert purge_expired_keys(db, now=now, ttl_hours=24) == 1
    assert db.scalars(select(IdempotencyKey.key)).all() == ["new-key-123"]
