"""Emergency insertion and re-placing missed broadcasts, through the page and the worker."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from planner import localtime
from planner.db import utcnow
from planner.models import Delivery, DeliveryStatus, Occurrence, OccurrenceSource
from planner.worker import tick
from tests.app import factories as f
from tests.app.test_schedule_pages import _generate
from tests.conftest import csrf_from


def test_emergency_takes_the_next_session_and_reports_what_moved(login, db):
    client = login("vanhoa")
    _generate(client, db, days=3, unit_code="thon-07")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    msg = f.message(db, "ngoc-lac-asxh-2026", "loa-cao-diem")
    village = db.scalar(select(f.Unit).where(f.Unit.code == "thon-07"))
    page = client.get(f"/plans/{plan.id}/emergency").get_data(as_text=True)
    import re

    form = {"csrf_token": csrf_from(page), "message_id": msg.id, "unit": village.id, "sessions": "1",
            "nonce": re.search(r'name="nonce" value="([^"]+)"', page).group(1)}
    resp = client.post(f"/plans/{plan.id}/emergency", data=form)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html
    assert "Đã chèn <strong>1</strong> lượt tin khẩn" in html
    again = client.post(f"/plans/{plan.id}/emergency", data=form)
    assert again.status_code == 400 and "đã được gửi" in again.get_data(as_text=True)
    assert db.scalar(select(func.count()).select_from(Occurrence).where(
        Occurrence.source == OccurrenceSource.EMERGENCY)) == 1
    emergency = db.scalar(select(Occurrence).where(Occurrence.source == OccurrenceSource.EMERGENCY))
    assert emergency.is_pinned and emergency.starts_at == emergency.session_starts_at
    first_session = db.scalar(select(func.min(Occurrence.session_starts_at)).where(
        Occurrence.target_id == emergency.target_id))
    assert emergency.session_starts_at == first_session


def test_emergency_form_errors(login, db):
    client = login("vanhoa")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    page = client.get(f"/plans/{plan.id}/emergency").get_data(as_text=True)
    resp = client.post(f"/plans/{plan.id}/emergency", data={"csrf_token": csrf_from(page), "message_id": "",
                                                            "sessions": "9", "unit": f.user(db, "vanhoa").unit_id})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "Vui lòng chọn tin đã duyệt" in html and "từ 1 đến 6" in html


def test_missed_broadcast_is_replaced_when_the_plan_asks_for_it(app, demo, db):
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    plan.is_replanning_missed = True
    db.commit()
    target = f.village_target(db, "thon-07")
    msg = f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich")
    yesterday = localtime.local_datetime(localtime.today(utcnow()) - dt.timedelta(days=1), dt.time(17, 0))
    old = f.occurrence(db, target=target, msg=msg, at=yesterday)
    result = tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w")
    assert result["missed"] == 1 and result["replaced"] == 1
    db.expire_all()
    assert db.get(Delivery, old.id).status is DeliveryStatus.MISSED and db.get(Delivery, old.id).is_replaced
    new = db.scalar(select(Occurrence).where(Occurrence.id != old.occurrence_id))
    assert new.starts_at > utcnow() and new.message_version_id == msg.approved.id and "bị lỡ" in new.reason
    again = tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w")
    assert again["replaced"] == 0


def test_late_confirmation_of_a_missed_broadcast_cancels_its_make_up(app, demo, db):
    from planner.models import ConfirmedVia
    from planner.operations.delivery import confirm_delivery

    plan = f.plan(db, "ngoc-lac-asxh-2026")
    plan.is_replanning_missed = True
    db.commit()
    target = f.village_target(db, "thon-07")
    msg = f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich")
    yesterday = localtime.local_datetime(localtime.today(utcnow()) - dt.timedelta(days=1), dt.time(17, 0))
    old = f.occurrence(db, target=target, msg=msg, at=yesterday)
    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w")
    db.expire_all()
    makeup = db.scalar(select(Occurrence).where(Occurrence.replaces_delivery_id == old.id))
    assert makeup is not None
    confirm_delivery(db, db.get(Delivery, old.id), aired=True, reason="", via=ConfirmedVia.QR_LINK, now=utcnow(),
                     name="Trưởng thôn")
    db.commit()
    db.expire_all()
    assert db.get(Delivery, old.id).status is DeliveryStatus.DELIVERED
    assert makeup.delivery.status is DeliveryStatus.CANCELLED


def test_officer_switches_replanning_of_missed_broadcasts(login, db):
    client = login("vanhoa")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    page = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "Tự động xếp lại lượt phát bị lỡ" in page
    client.post(f"/plans/{plan.id}/settings", data={"csrf_token": csrf_from(page)})
    db.expire_all()
    assert f.plan(db, "ngoc-lac-asxh-2026").is_replanning_missed is False
    client.post(f"/plans/{plan.id}/settings", data={"csrf_token": csrf_from(page), "replan_missed": "1"})
    db.expire_all()
    assert f.plan(db, "ngoc-lac-asxh-2026").is_replanning_missed is True
    assert login("giamsat").post(f"/plans/{plan.id}/settings", data={"csrf_token": csrf_from(page)}).status_code in (400, 403)
