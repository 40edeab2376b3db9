"""Flows a and b: the culture-society officer schedules the peak and prints rosters; a village head confirms."""
from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select

from planner import localtime
from planner.db import utcnow
from planner.models import AuditEntry, Delivery, DeliveryStatus, Occurrence
from planner.operations.delivery import make_village_token, mark_missed
from tests.app import factories as f
from tests.conftest import csrf_from


def _future_range(days=7):
    start = localtime.today(utcnow()) + dt.timedelta(days=1)
    return start, start + dt.timedelta(days=days - 1)


def test_officer_opens_plan_matrix_with_audiences_and_channels(login, db):
    client = login("vanhoa")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    html = client.get(f"/plans/{plan.id}").get_data(as_text=True)
    assert "Loa truyền thanh" in html and "Tờ rơi" in html
    for audience in plan.audiences:
        assert audience.name in html


def test_officer_generates_loudspeaker_schedule_for_all_42_villages(login, db):
    client = login("vanhoa")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    page = client.get(f"/plans/{plan.id}/schedule")
    start, end = _future_range()
    unit_id = f.user(db, "vanhoa").unit_id
    resp = client.post(f"/plans/{plan.id}/schedule", data={
        "csrf_token": csrf_from(page.get_data(as_text=True)), "unit": unit_id, "channel": "loudspeaker",
        "start": localtime.fmt_date(start), "end": localtime.fmt_date(end)}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html
    assert "Báo cáo ngoại lệ" in html
    assert "cho 42 điểm phát" in html
    targets = db.scalar(select(func.count(func.distinct(Occurrence.target_id))).where(Occurrence.plan_id == plan.id))
    assert targets == 42
    week = client.get(f"/plans/{plan.id}/calendar?unit={unit_id}&view=week&date={localtime.fmt_date(start)}")
    assert week.status_code == 200 and "Thôn 42" in week.get_data(as_text=True)
    month = client.get(f"/plans/{plan.id}/calendar?unit={unit_id}&view=month&date={localtime.fmt_date(start)}")
    assert month.status_code == 200 and "lượt" in month.get_data(as_text=True)


def test_generate_with_bad_dates_keeps_input_and_explains_in_vietnamese(login, db):
    client = login("vanhoa")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    page = client.get(f"/plans/{plan.id}/schedule")
    resp = client.post(f"/plans/{plan.id}/schedule", data={
        "csrf_token": csrf_from(page.get_data(as_text=True)), "unit": f.user(db, "vanhoa").unit_id,
        "channel": "loudspeaker", "start": "31/02/2026", "end": "01/03/2026"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Ngày &#39;31/02/2026&#39; không hợp lệ" in html or "Ngày '31/02/2026' không hợp lệ" in html
    assert 'value="31/02/2026"' in html
    assert db.scalar(select(func.count()).select_from(Occurrence)) == 0


def test_roster_pdf_has_village_and_signed_confirmation_link(app, login, db):
    client = login("vanhoa")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    target = f.village_target(db, "thon-07")
    msg = f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich")
    start, end = _future_range()
    f.occurrence(db, target=target, msg=msg, at=localtime.local_datetime(start, dt.time(5, 30)))
    q = f"start={localtime.fmt_date(start)}&end={localtime.fmt_date(end)}"
    page = client.get(f"/plans/{plan.id}/targets/{target.id}/roster?{q}").get_data(as_text=True)
    assert "Thôn 7" in page and msg.approved.title in page
    link = re.search(r'href="(http[^"]*/x/[^"]+)"', page).group(1)
    queued = client.get(f"/plans/{plan.id}/targets/{target.id}/roster.pdf?{q}")  # the worker makes it
    assert queued.status_code == 302 and "/roster-batches/" in queued.headers["Location"]
    from planner.worker import tick

    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="t")
    pdf = client.get(f"/plans/{plan.id}/targets/{target.id}/roster.pdf?{q}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    from pypdf import PdfReader
    import io

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "Thôn 7" in text
    assert link.split("/x/")[1][:20] in text.replace("\n", "")


def test_village_head_confirms_once_even_when_tapping_twice(app, demo, db):
    target = f.village_target(db, "thon-07")
    msg = f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich")
    now = utcnow()
    delivery = f.occurrence(db, target=target, msg=msg, at=now - dt.timedelta(minutes=10))
    today = localtime.today(now)
    token = make_village_token("test-secret", target.id, today - dt.timedelta(days=1), today)
    client = app.test_client()
    page = client.get(f"/x/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and msg.approved.title in html and "Đã phát" in html
    data = {"csrf_token": csrf_from(html), "aired": "yes"}
    first = client.post(f"/x/{token}/deliveries/{delivery.id}", data=data, follow_redirects=True)
    assert "Đã ghi nhận: đã phát" in first.get_data(as_text=True)
    second = client.post(f"/x/{token}/deliveries/{delivery.id}", data=data, follow_redirects=True)
    assert "đã được ghi nhận trước đó" in second.get_data(as_text=True)
    db.expire_all()
    assert db.get(Delivery, delivery.id).status is DeliveryStatus.DELIVERED
    confirmations = db.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "delivery.confirm", AuditEntry.entity_id == delivery.id))
    assert confirmations == 1


def test_not_aired_needs_a_reason(app, demo, db):
    target = f.village_target(db)
    delivery = f.occurrence(db, target=target, msg=f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich"),
                            at=utcnow() - dt.timedelta(minutes=5))
    today = localtime.today(utcnow())
    token = make_village_token("test-secret", target.id, today - dt.timedelta(days=1), today)
    client = app.test_client()
    csrf = csrf_from(client.get(f"/x/{token}").get_data(as_text=True))
    resp = client.post(f"/x/{token}/deliveries/{delivery.id}", data={"csrf_token": csrf, "aired": "no", "reason": ""},
                       follow_redirects=True)
    assert "Vui lòng cho biết lý do" in resp.get_data(as_text=True)
    resp = client.post(f"/x/{token}/deliveries/{delivery.id}",
                       data={"csrf_token": csrf, "aired": "no", "reason": "Mất điện"}, follow_redirects=True)
    db.expire_all()
    assert db.get(Delivery, delivery.id).status is DeliveryStatus.FAILED
    assert db.get(Delivery, delivery.id).reason == "Mất điện"


def test_village_link_is_limited_to_its_village_and_dates(app, demo, db):
    mine, other = f.village_target(db, "thon-07"), f.village_target(db, "thon-08")
    msg = f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich")
    foreign = f.occurrence(db, target=other, msg=msg, at=utcnow() - dt.timedelta(minutes=5))
    f.occurrence(db, target=mine, msg=msg, at=utcnow() - dt.timedelta(minutes=5))
    today = localtime.today(utcnow())
    client = app.test_client()
    token = make_village_token("test-secret", mine.id, today - dt.timedelta(days=1), today)
    csrf = csrf_from(client.get(f"/x/{token}").get_data(as_text=True))
    assert client.post(f"/x/{token}/deliveries/{foreign.id}", data={"csrf_token": csrf, "aired": "yes"}).status_code == 404
    assert client.get(f"/x/{token[:-3]}abc").status_code == 403
    old = make_village_token("test-secret", mine.id, today - dt.timedelta(days=30), today - dt.timedelta(days=20))
    assert client.get(f"/x/{old}").status_code == 403
    forged = make_village_token("another-secret", mine.id, today, today)
    assert client.get(f"/x/{forged}").status_code == 403


def test_unconfirmed_broadcast_shows_as_missed_next_day(demo, db):
    target = f.village_target(db)
    msg = f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich")
    now = utcnow()
    yesterday = localtime.local_datetime(localtime.today(now) - dt.timedelta(days=1), dt.time(17, 0))
    old = f.occurrence(db, target=target, msg=msg, at=yesterday)
    today = f.occurrence(db, target=target, msg=msg, at=now - dt.timedelta(seconds=1))
    assert mark_missed(db, now=now) >= 1
    db.commit()
    db.expire_all()
    assert db.get(Delivery, old.id).status is DeliveryStatus.MISSED
    assert db.get(Delivery, today.id).status is DeliveryStatus.PLANNED


def test_officer_cannot_see_other_agencies_plan(login, db):
    client = login("vanhoa")
    assert client.get(f"/plans/{f.plan(db, 'bhxh-2728-2023').id}").status_code == 404
