"""A print order placed for a unit below the orderer's: the form offers only areas in scope, and the copies count
for that unit in the period the shop delivered them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from planner import localtime
from planner.models import PrintOrder, PrintStatus, Unit
from planner.operations.audit import record
from planner.supervision import Filters, drilldown
from tests.app import factories as f
from tests.app.test_print_orders import post_order
from tests.conftest import csrf_from


def _unit(db, code: str) -> Unit:
    return db.scalar(select(Unit).where(Unit.code == code))


def _post_for(client, db, version, for_unit_id) -> tuple[int, str]:
    page = client.get(f"/print-orders/new?version_id={version.id}").get_data(as_text=True)
    resp = client.post("/print-orders/new", data={
        "csrf_token": csrf_from(page), "version_id": version.id, "product": "leaflet_a5", "quantity": "120",
        "print_shop_id": _unit(db, "in-ngoc-lac").id, "for_unit_id": str(for_unit_id)})
    return resp.status_code, resp.get_data(as_text=True)


def test_the_order_form_offers_the_villages_and_records_the_one_chosen(login, db):
    officer = login("vanhoa")
    leaflet = f.message(db, "ngoc-lac-asxh-2026", "to-roi-6-buoc").approved
    page = officer.get(f"/print-orders/new?version_id={leaflet.id}").get_data(as_text=True)
    village = _unit(db, "thon-07")
    assert 'name="for_unit_id"' in page and f'<option value="{village.id}" >— {village.name}</option>' in page
    assert f'value="{_unit(db, "in-ngoc-lac").id}" >— ' not in page    # a print shop is not an area
    status, _html = _post_for(officer, db, leaflet, village.id)
    assert status == 302
    assert db.scalar(select(PrintOrder.for_unit_id)) == village.id
    assert post_order(officer, db, leaflet, product="leaflet_a5").status_code == 302   # left empty: for the commune
    assert db.scalar(select(PrintOrder.for_unit_id).order_by(PrintOrder.id.desc()).limit(1)) is None


def test_an_order_for_a_unit_outside_scope_or_not_an_area_is_refused_and_nothing_written(login, db):
    officer = login("vanhoa")
    leaflet = f.message(db, "ngoc-lac-asxh-2026", "to-roi-6-buoc").approved
    for unit_id in (_unit(db, "bhxh-tap-chi").id, _unit(db, "tinh-thanh-hoa").id, "abc", 99999999):
        status, html = _post_for(officer, db, leaflet, unit_id)
        assert status == 400 and "Đơn vị nhận ấn phẩm phải là" in html
    assert db.scalar(select(func.count()).select_from(PrintOrder)) == 0


def test_an_order_for_a_village_counts_there_in_the_period_it_was_delivered(demo, db):
    plan, commune, village = f.plan(db, "ngoc-lac-asxh-2026"), _unit(db, "xa-ngoc-lac"), _unit(db, "thon-07")
    msg = f.message(db, "ngoc-lac-asxh-2026", "to-roi-6-buoc")
    order = PrintOrder(version=msg.approved, product="leaflet_a5", width_mm=148, height_mm=210, quantity=120,
                       print_shop=_unit(db, "in-ngoc-lac"), unit_id=commune.id, for_unit_id=village.id,
                       status=PrintStatus.DELIVERED,
                       created_at=localtime.local_datetime(dt.date(2026, 3, 28), dt.time(9)))
    db.add(order)
    db.flush()
    entry = record(db, user=None, action="print_order.status", entity=order, from_state=PrintStatus.PRINTED,
                   to_state=PrintStatus.DELIVERED)
    entry.at = localtime.local_datetime(dt.date(2026, 4, 3), dt.time(9))
    db.commit()
    scope = f.user(db, "vanhoa").unit
    april = drilldown(db, plan, commune, Filters(dt.date(2026, 4, 1), dt.date(2026, 4, 30)), scope_top=scope)
    march = drilldown(db, plan, commune, Filters(dt.date(2026, 3, 1), dt.date(2026, 3, 31)), scope_top=scope)
    assert april.root.leaflets_delivered == 120 and march.root.leaflets_delivered == 0
    by_unit = {r.unit.code: r.leaflets_delivered for r in april.rows}
    assert by_unit["thon-07"] == 120 and sum(by_unit.values()) == 120
