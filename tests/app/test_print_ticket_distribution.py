"""Every order carries a job ticket and a split over the ordering commune's villages, delivered village by village."""
from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from planner.models import PrintOrder, Unit, UnitKind
from tests.app import factories as f
from tests.app.test_api import api  # noqa: F401  (fixture: a bearer-token API client)
from tests.app.test_print_orders import post_order, run_worker
from tests.conftest import csrf_from


def _shop_id(db) -> int:
    return db.scalar(select(f.Unit.id).where(f.Unit.code == "in-ngoc-lac"))


def _villages(db) -> list[Unit]:
    commune = db.scalar(select(Unit).where(Unit.code == "xa-ngoc-lac"))
    return list(db.scalars(select(Unit).where(Unit.kind == UnitKind.VILLAGE, Unit.path.startswith(commune.path))))


def _banner_order(api, db, **ticket) -> dict:
    version = f.message(db, "ngoc-lac-asxh-2026", "bang-ron-cao-diem").approved
    resp = api("vanhoa").post("/print-orders", json={"version_id": version.id, "product": "banner_09x6",
                                                     "quantity": 100, "print_shop_id": _shop_id(db), **ticket})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.get_json()


def test_api_order_carries_a_job_ticket_with_product_defaults_and_the_given_delivery(api, db):
    order = _banner_order(api, db, delivery_date="20/12/2026", delivery_address="UBND xã Ngọc Lặc",
                          contact="Chị Lan, 0912 345 678")
    ticket = order["ticket"]
    assert ticket["product_label"] == "Băng rôn 0,9 × 6 m" and ticket["finished_size_mm"] == [6000, 900]
    assert (ticket["paper"], ticket["paper_gsm"], ticket["colours"], ticket["sides"]) == ("hiflex", 440, "4/0", 1)
    assert ticket["finishing"] == ["hems", "grommets"] and ticket["delivery_date"] == "2026-12-20"
    assert ticket["contact"] == "Chị Lan, 0912 345 678"


def test_api_order_with_a_bad_ticket_is_refused_field_by_field_and_writes_nothing(api, db):
    version = f.message(db, "ngoc-lac-asxh-2026", "bang-ron-cao-diem").approved
    resp = api("vanhoa").post("/print-orders", json={
        "version_id": version.id, "product": "banner_09x6", "quantity": 10, "print_shop_id": _shop_id(db),
        "colours": "7/7", "finishing": ["grommets", "gold-leaf"], "delivery_date": "01/01/2020"})
    assert resp.status_code == 400
    fields = resp.get_json()["error"]["fields"]
    assert set(fields) == {"colours", "finishing", "delivery_date"} and "gold-leaf" in fields["finishing"]
    assert db.scalar(select(PrintOrder)) is None


def test_quantity_is_split_over_the_villages_by_households_summing_to_the_quantity(api, db):
    villages = _villages(db)
    for n, village in enumerate(villages):
        village.households = 100 + 10 * n
    db.commit()
    dist = _banner_order(api, db)["distribution"]
    assert dist["by_households"] is True and len(dist["villages"]) == len(villages)
    assert sum(v["quantity"] for v in dist["villages"]) == 100
    biggest = max(dist["villages"], key=lambda v: v["households"])
    smallest = min(dist["villages"], key=lambda v: v["households"])
    assert biggest["quantity"] > smallest["quantity"]


def test_equal_shares_when_households_are_unknown_and_the_page_says_so(api, login, db):
    villages = _villages(db)
    villages[0].households = None
    db.commit()
    order = _banner_order(api, db)
    assert order["distribution"]["by_households"] is False
    quantities = [v["quantity"] for v in order["distribution"]["villages"]]
    assert max(quantities) - min(quantities) <= 1 and sum(quantities) == 100
    page = login("vanhoa").get(f"/print-orders/{order['id']}").get_data(as_text=True)
    assert "chia đều cho các thôn" in page and "Phiếu yêu cầu in" in page and "Bạt hiflex, 440 g/m²" in page


def test_form_order_with_a_past_delivery_date_is_refused_in_vietnamese(login, db):
    version = f.message(db, "ngoc-lac-asxh-2026", "bang-ron-cao-diem").approved
    client = login("vanhoa")
    page = client.get(f"/print-orders/new?version_id={version.id}").get_data(as_text=True)
    assert 'name="finishing"' in page and 'id="delivery_date"' in page
    resp = client.post("/print-orders/new", data={
        "csrf_token": csrf_from(page), "version_id": version.id, "product": "banner_09x6", "quantity": "10",
        "print_shop_id": _shop_id(db), "delivery_date": "01/01/2020", "finishing": ["grommets"]})
    assert resp.status_code == 400 and "Ngày giao không được ở trong quá khứ" in resp.get_data(as_text=True)
    assert db.scalar(select(PrintOrder)) is None


def test_form_order_keeps_the_ticked_finishing(login, db):
    resp = post_order(login("vanhoa"), db, f.message(db, "ngoc-lac-asxh-2026", "bang-ron-cao-diem").approved,
                      product="banner_09x6")
    assert resp.status_code == 302
    assert db.scalar(select(PrintOrder)).finishing == "hems,grommets"  # nothing ticked: the product's usual


def test_ticket_pdf_has_the_ticket_first_then_one_signed_delivery_note_per_village(api, db):
    order = _banner_order(api, db, contact="Chị Lan")
    resp = api("inan").get(f"/print-orders/{order['id']}/ticket.pdf")
    assert resp.status_code == 404  # not the shop's before the proof is approved
    resp = api("vanhoa").get(f"/print-orders/{order['id']}/ticket.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(resp.data)).pages]
    assert "PHIẾU YÊU CẦU IN" in pages[0] and "Băng rôn 0,9 × 6 m" in pages[0] and "Chị Lan" in pages[0]
    notes = [p for p in pages if "PHIẾU GIAO NHẬN ẤN PHẨM" in p]
    assert len(notes) == len(order["distribution"]["villages"])
    first = order["distribution"]["villages"][0]
    assert first["unit"]["name"] in notes[0] and f"{first['quantity']} bản" in notes[0]
    assert "TRƯỞNG THÔN NHẬN" in notes[0].upper()


def test_order_is_delivered_only_when_every_village_has_received_its_copies(app, api, db):
    order = _banner_order(api, db)
    oid, vanhoa, shop = order["id"], api("vanhoa"), api("inan")
    run_worker(app)
    vanhoa.post(f"/print-orders/{oid}/approve", json={})
    first = order["distribution"]["villages"][0]["unit"]["id"]
    early = shop.post(f"/print-orders/{oid}/villages/{first}/delivered", json={})
    assert early.status_code == 409 and "in xong" in early.get_json()["error"]["message"]
    for status in ("accepted", "printed"):
        assert shop.post(f"/print-orders/{oid}/status", json={"status": status}).status_code == 200
    whole = shop.post(f"/print-orders/{oid}/status", json={"status": "delivered"})
    assert whole.status_code == 409 and "chưa nhận hàng" in whole.get_json()["error"]["message"]
    assert vanhoa.post(f"/print-orders/{oid}/villages/{first}/delivered", json={}).status_code == 403
    villages = [v["unit"]["id"] for v in order["distribution"]["villages"]]
    for unit_id in villages[:-1]:
        body = shop.post(f"/print-orders/{oid}/villages/{unit_id}/delivered", json={}).get_json()
        assert body["status"] == "printed"
    again = shop.post(f"/print-orders/{oid}/villages/{villages[0]}/delivered", json={})
    assert again.status_code == 409
    body = shop.post(f"/print-orders/{oid}/villages/{villages[-1]}/delivered", json={}).get_json()
    assert body["status"] == "delivered" and all(v["delivered"] for v in body["distribution"]["villages"])


def test_an_emoji_in_the_contact_is_refused_at_ordering_since_the_ticket_could_not_print_it(api, db):
    version = f.message(db, "ngoc-lac-asxh-2026", "bang-ron-cao-diem").approved
    resp = api("vanhoa").post("/print-orders", json={
        "version_id": version.id, "product": "banner_09x6", "quantity": 10, "print_shop_id": _shop_id(db),
        "contact": "Chị Lan 📞 0912"})
    assert resp.status_code == 400 and "📞" in resp.get_json()["error"]["fields"]["contact"]
    assert db.scalar(select(PrintOrder)) is None
