"""Smaller things seen on the way: readable history, yearly peaks, long roster ranges, regeneration keeps edits."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from planner import localtime
from planner.db import utcnow
from planner.models import AuditEntry, Delivery, DeliveryStatus, Occurrence
from tests.app import factories as f
from tests.app.test_schedule_pages import _generate
from tests.conftest import csrf_from


def test_occurrence_history_names_the_worker_and_its_action_in_vietnamese(login, db):
    delivery = f.occurrence(db, target=f.village_target(db), msg=f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich"),
                            at=utcnow() + dt.timedelta(days=1))
    db.add(AuditEntry(actor="worker", action="delivery.dispatch", entity_type="deliveries", entity_id=delivery.id,
                      from_state="planned", to_state="delivered", detail={}))
    db.commit()
    html = login("vanhoa").get(f"/occurrences/{delivery.occurrence_id}").get_data(as_text=True)
    assert "Hệ thống gửi tin tự động · Gửi lên kênh → Đã thực hiện" in html
    assert "delivery.dispatch" not in html and "worker ·" not in html


def test_a_yearly_peak_reads_by_day_and_month(login, db):
    plan = f.plan(db, "bhxh-2728-2023")
    yearly = [w for w in plan.windows if w.is_yearly and w.kind.value == "peak"]
    html = login("bientap").get(f"/plans/{plan.id}").get_data(as_text=True)
    assert yearly and f"{yearly[0].starts_on:%d/%m} – {yearly[0].ends_on:%d/%m} hằng năm" in html
    assert "/05/2000" not in html


def test_a_roster_range_over_92_days_explains_itself_on_the_form(login, db):
    plan, target = f.plan(db, "ngoc-lac-asxh-2026"), f.village_target(db)
    resp = login("vanhoa").get(f"/plans/{plan.id}/targets/{target.id}/roster?start=01/01/2026&end=30/06/2026")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "tối đa 92 ngày" in html and 'value="30/06/2026"' in html
    assert 'id="roster"' in html    # the first 92 days are still shown


def test_regenerating_keeps_a_persons_cancellation(login, db):
    client = login("vanhoa")
    _generate(client, db)
    occ = db.scalar(select(Occurrence).order_by(Occurrence.id))
    key = (occ.target_id, occ.session_starts_at, occ.message_version_id)
    csrf = csrf_from(client.get(f"/occurrences/{occ.id}").get_data(as_text=True))
    client.post(f"/occurrences/{occ.id}/change", data={"csrf_token": csrf, "action": "cancel", "confirmed": "yes"})
    _generate(client, db)
    db.expire_all()
    assert db.get(Delivery, occ.delivery.id).status is DeliveryStatus.CANCELLED
    live = db.scalars(select(Occurrence).join(Delivery).where(
        Occurrence.target_id == key[0], Occurrence.session_starts_at == key[1],
        Occurrence.message_version_id == key[2], Delivery.status != DeliveryStatus.CANCELLED)).all()
    assert live == [], "regeneration put the cancelled broadcast back"
