"""Honest counting in dashboards and reports: make-ups once, orders when delivered and for whom they are."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from planner import localtime
from planner.models import Delivery, DeliveryStatus, Occurrence, PrintOrder, PrintStatus, Unit
from planner.operations.audit import record
from planner.reports import natural_key, plan_dashboard, print_summary
from tests.app import factories as f
from tests.app.test_api import api  # noqa: F401 — a fixture


def _unit(db, code: str) -> Unit:
    return db.scalar(select(Unit).where(Unit.code == code))


def _makeup(db, missed: Delivery, at: dt.datetime, status: DeliveryStatus) -> Delivery:
    occ = db.get(Occurrence, missed.occurrence_id)
    target = occ.target
    msg = occ.version.message
    made = f.occurrence(db, target=target, msg=msg, at=at, status=status)
    db.get(Occurrence, made.occurrence_id).replaces_delivery_id = missed.id
    missed.is_replaced = True
    db.commit()
    return made


def test_a_missed_broadcast_that_was_made_up_counts_once_as_made_up(demo, db):
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    target, msg = f.village_target(db, "thon-07"), f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich")
    day = localtime.local_datetime(dt.date(2026, 4, 1), dt.time(17, 0))
    missed = f.occurrence(db, target=target, msg=msg, at=day, status=DeliveryStatus.MISSED)
    _makeup(db, missed, day + dt.timedelta(days=1), DeliveryStatus.DELIVERED)
    f.occurrence(db, target=target, msg=msg, at=day + dt.timedelta(days=2), status=DeliveryStatus.DELIVERED)
    data = plan_dashboard(db, plan, f.user(db, "vanhoa"))
    t = data.total
    assert (t.planned, t.delivered, t.made_up, t.lost) == (2, 2, 1, 0)
    assert not data.reasons


def test_a_missed_broadcast_whose_make_up_was_cancelled_still_counts_as_missed(demo, db):
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    target, msg = f.village_target(db, "thon-07"), f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich")
    day = localtime.local_datetime(dt.date(2026, 4, 1), dt.time(17, 0))
    missed = f.occurrence(db, target=target, msg=msg, at=day, status=DeliveryStatus.MISSED)
    _makeup(db, missed, day + dt.timedelta(days=1), DeliveryStatus.CANCELLED)
    t = plan_dashboard(db, plan, f.user(db, "vanhoa")).total
    assert (t.planned, t.delivered, t.made_up, t.lost) == (1, 0, 0, 1)


def _order(db, *, placed: dt.datetime, unit: Unit, for_unit: Unit | None = None, quantity: int = 100) -> PrintOrder:
    msg = f.message(db, "ngoc-lac-asxh-2026", "to-roi-6-buoc")
    shop = _unit(db, "in-ngoc-lac")
    order = PrintOrder(version=msg.approved, product="leaflet_a5", width_mm=148, height_mm=210, quantity=quantity,
                       print_shop=shop, unit_id=unit.id, for_unit_id=for_unit.id if for_unit else None,
                       status=PrintStatus.SUBMITTED, created_at=placed, updated_at=placed)
    db.add(order)
    db.flush()
    return order


def _deliver(db, order: PrintOrder, at: dt.datetime) -> None:
    order.status = PrintStatus.DELIVERED
    entry = record(db, user=None, action="print_order.status", entity=order, from_state=PrintStatus.PRINTED,
                   to_state=PrintStatus.DELIVERED)
    entry.at = at
    db.commit()


def test_print_orders_count_as_delivered_in_the_period_they_were_delivered(demo, db):
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    commune = _unit(db, "xa-ngoc-lac")
    order = _order(db, placed=localtime.local_datetime(dt.date(2026, 3, 28), dt.time(9)), unit=commune)
    _deliver(db, order, localtime.local_datetime(dt.date(2026, 4, 3), dt.time(9)))
    march = print_summary(db, plan, commune, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    april = print_summary(db, plan, commune, dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    assert march == [["Tờ rơi A5", "1", "100", "0"]]
    assert april == [["Tờ rơi A5", "0", "0", "100"]]


def test_an_order_placed_by_the_province_for_a_commune_counts_for_that_commune(demo, db):
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    province, commune = _unit(db, "tinh-thanh-hoa"), _unit(db, "xa-ngoc-lac")
    _order(db, placed=localtime.local_datetime(dt.date(2026, 4, 2), dt.time(9)), unit=province, for_unit=commune,
           quantity=500)
    _order(db, placed=localtime.local_datetime(dt.date(2026, 4, 2), dt.time(9)), unit=province, quantity=7)
    rows = print_summary(db, plan, commune, dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    assert rows == [["Tờ rơi A5", "1", "500", "0"]]  # the human name, not the code


def test_vietnamese_order_puts_d_bar_after_d_and_thon_2_before_thon_10():
    names = ["Thôn 10", "Đồng Tâm", "Thôn 2", "Dân Chủ", "Eo Lê", "Ấp Mới", "An Bình"]
    assert sorted(names, key=natural_key) == ["An Bình", "Ấp Mới", "Dân Chủ", "Đồng Tâm", "Eo Lê", "Thôn 2",
                                              "Thôn 10"]


def test_a_province_officer_orders_prints_for_a_commune_below_it(api, demo):
    from tests.app.test_api import approved_version_id

    db = demo
    province = _unit(db, "tinh-thanh-hoa")
    officer = f.user(db, "vanhoa")
    officer.unit_id = province.id  # a provincial officer for this test
    db.commit()
    client = api("vanhoa")
    body = {"version_id": approved_version_id(db, "ngoc-lac-asxh-2026", "leaflet"), "product": "leaflet_a5",
            "quantity": 300, "print_shop_id": _unit(db, "in-ngoc-lac").id}
    resp = client.post("/print-orders", json=body | {"for_unit_id": _unit(db, "xa-ngoc-lac").id})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert db.get(PrintOrder, resp.get_json()["id"]).for_unit_id == _unit(db, "xa-ngoc-lac").id
    outside = client.post("/print-orders", json=body | {"for_unit_id": _unit(db, "bhxh-tap-chi").id})
    assert outside.status_code == 400 and "for_unit_id" in outside.get_json()["error"]["fields"]
