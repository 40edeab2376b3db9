"""Schedule pages around the engine: exception report, queued runs, explanations, move/pin/cancel."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from planner import localtime
from planner.db import utcnow
from planner.models import Delivery, DeliveryStatus, Occurrence, RunStatus, ScheduleRun
from planner.worker import tick
from tests.app import factories as f
from tests.conftest import csrf_from


def _generate(client, db, days=7, unit_code="xa-ngoc-lac"):
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    start = localtime.today(utcnow()) + dt.timedelta(days=1)
    unit = db.scalar(select(f.Unit).where(f.Unit.code == unit_code))
    page = client.get(f"/plans/{plan.id}/schedule").get_data(as_text=True)
    return plan, client.post(f"/plans/{plan.id}/schedule", data={
        "csrf_token": csrf_from(page), "unit": unit.id, "channel": "loudspeaker",
        "start": localtime.fmt_date(start), "end": localtime.fmt_date(start + dt.timedelta(days=days - 1))})


def test_each_placement_explains_why_it_is_there(login, db):
    client = login("vanhoa")
    _generate(client, db)
    occ = db.scalar(select(Occurrence).order_by(Occurrence.id))
    html = client.get(f"/occurrences/{occ.id}").get_data(as_text=True)
    assert "Vì sao tin này ở đây?" in html
    from markupsafe import escape

    assert occ.explanation and str(escape(occ.explanation)) in html


def test_large_units_are_scheduled_by_the_worker_with_a_progress_page(app, login, db):
    app.config["SCHEDULE_INLINE_MAX_TARGETS"] = 10
    client = login("vanhoa")
    plan, resp = _generate(client, db)
    run = db.scalar(select(ScheduleRun))
    assert run.status is RunStatus.QUEUED and run.targets == 42
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Đang lập lịch cho 42 điểm phát" in page and 'http-equiv="refresh"' in page
    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w")
    db.expire_all()
    assert db.get(ScheduleRun, run.id).status is RunStatus.DONE
    assert db.scalar(select(func.count()).select_from(Occurrence)) == db.get(ScheduleRun, run.id).placed > 0


def test_regenerating_keeps_pinned_and_moved_items(login, db):
    client = login("vanhoa")
    _generate(client, db)
    occ = db.scalar(select(Occurrence).order_by(Occurrence.id))
    new_day = localtime.to_local(occ.starts_at).date() + dt.timedelta(days=1)
    csrf = csrf_from(client.get(f"/occurrences/{occ.id}").get_data(as_text=True))
    resp = client.post(f"/occurrences/{occ.id}/change", data={
        "csrf_token": csrf, "action": "move", "day": localtime.fmt_date(new_day), "at": "17:00"}, follow_redirects=True)
    assert "Đã dời lịch" in resp.get_data(as_text=True)
    db.expire_all()
    moved = db.get(Occurrence, occ.id)
    assert moved.is_pinned and localtime.to_local(moved.starts_at).date() == new_day
    _generate(client, db)
    db.expire_all()
    assert db.get(Occurrence, occ.id) is not None and db.get(Occurrence, occ.id).starts_at == moved.starts_at


def test_moving_into_a_full_session_is_refused(login, db):
    client = login("vanhoa")
    _generate(client, db)
    occ = db.scalar(select(Occurrence).order_by(Occurrence.id))
    csrf = csrf_from(client.get(f"/occurrences/{occ.id}").get_data(as_text=True))
    resp = client.post(f"/occurrences/{occ.id}/change", data={
        "csrf_token": csrf, "action": "move", "day": "31/02/2026", "at": "17:00"}, follow_redirects=True)
    assert "không hợp lệ" in resp.get_data(as_text=True)


def test_cancelled_occurrence_is_not_delivered_and_cancel_asks_first(login, db):
    client = login("vanhoa")
    _generate(client, db)
    occ = db.scalar(select(Occurrence).order_by(Occurrence.id))
    csrf = csrf_from(client.get(f"/occurrences/{occ.id}").get_data(as_text=True))
    asked = client.post(f"/occurrences/{occ.id}/change", data={"csrf_token": csrf, "action": "cancel"},
                        follow_redirects=True).get_data(as_text=True)
    assert "Hủy lượt này?" in asked and "Có, hủy lượt này" in asked
    db.expire_all()
    assert db.scalar(select(Delivery).where(Delivery.occurrence_id == occ.id)).status is DeliveryStatus.PLANNED
    client.post(f"/occurrences/{occ.id}/change", data={"csrf_token": csrf, "action": "cancel", "confirmed": "yes"})
    db.expire_all()
    assert db.scalar(select(Delivery).where(Delivery.occurrence_id == occ.id)).status is DeliveryStatus.CANCELLED


def test_officer_records_an_outcome_reported_by_phone(login, db):
    client = login("vanhoa")
    delivery = f.occurrence(db, target=f.village_target(db), msg=f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich"),
                            at=utcnow() - dt.timedelta(hours=2))
    occ_id = delivery.occurrence_id
    csrf = csrf_from(client.get(f"/occurrences/{occ_id}").get_data(as_text=True))
    client.post(f"/occurrences/{occ_id}/confirm", data={"csrf_token": csrf, "aired": "yes"})
    db.expire_all()
    row = db.get(Delivery, delivery.id)
    assert row.status is DeliveryStatus.DELIVERED and row.confirmed_via.value == "user"


def test_scripts_longer_than_every_session_stop_generation_with_a_clear_error(app, login, db):
    # Every session can hold only 30 s, so the 1–2 minute scripts cannot be placed: an error, no partial schedule.
    from planner.models import SlotGrid

    for grid in db.scalars(select(SlotGrid).where(SlotGrid.channel == "loudspeaker")):
        grid.capacity_seconds = 30
    db.commit()
    client = login("vanhoa")
    _, resp = _generate(client, db)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "vượt mọi phiên phát (phiên dài nhất 30 giây)" in html and "Tin &#39;" in html
    assert db.scalar(select(func.count()).select_from(Occurrence)) == 0


def test_exception_report_lists_frequency_shortfalls(login, db):
    # Sessions of 150 s fit one script each, so three scripts × 3 a week over 2 sessions a day still fit,
    # but one session a week (Sunday only) cannot: the report names what fell short and why.
    from planner.models import SlotGrid

    for grid in db.scalars(select(SlotGrid).where(SlotGrid.channel == "loudspeaker")):
        grid.weekdays = 0b1000000
    db.commit()
    client = login("vanhoa")
    _, resp = _generate(client, db, days=14)
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Báo cáo ngoại lệ" in html and "Không đạt chỉ tiêu tần suất" in html


def test_day_view_lists_each_village_session_with_links_to_occurrences(login, db):
    client = login("vanhoa")
    plan, _ = _generate(client, db, days=2)
    occ = db.scalar(select(Occurrence).order_by(Occurrence.starts_at))
    day = localtime.fmt_date(occ.starts_at)
    html = client.get(f"/plans/{plan.id}/calendar?view=day&date={day}").get_data(as_text=True)
    assert f"/occurrences/{occ.id}" in html and "Thôn 42" in html and "05:30–06:00" in html
    week = client.get(f"/plans/{plan.id}/calendar?view=week&date={day}").get_data(as_text=True)
    assert f"/occurrences/{occ.id}" in week and "view=day" in week
