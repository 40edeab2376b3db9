"""Banner hems and grommets are options on the order (banners and flags only); the tri-fold is orderable."""
from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from planner.models import PrintOrder
from tests.app import factories as f
from tests.app.test_api import api  # noqa: F401  (fixture: a bearer-token API client)
from tests.app.test_print_orders import run_worker
from tests.conftest import csrf_from

PT_PER_MM = 72 / 25.4


def _shop_id(db) -> int:
    return db.scalar(select(f.Unit.id).where(f.Unit.code == "in-ngoc-lac"))


def _order(api, db, message: str, product: str, **options):
    version = f.message(db, "ngoc-lac-asxh-2026", message).approved
    return api("vanhoa").post("/print-orders", json={"version_id": version.id, "product": product, "quantity": 40,
                                                     "print_shop_id": _shop_id(db), **options})


def test_api_banner_order_with_hems_and_grommets_is_drawn_larger_and_named_on_the_ticket(app, api, db):
    resp = _order(api, db, "bang-ron-cao-diem", "banner_3x1", hem_cm=5, grommet_every_cm=50, finishing=["trim"])
    assert resp.status_code == 201, resp.get_data(as_text=True)
    order = resp.get_json()
    ticket = order["ticket"]
    assert (ticket["hem_cm"], ticket["grommet_every_cm"]) == (5, 50)
    assert ticket["finished_size_mm"] == [3000, 1000] and ticket["print_size_mm"] == [3100, 1100]
    assert ticket["finishing"] == ["trim", "hems", "grommets"]
    assert ticket["finishing_labels"] == ["Xén", "May viền 5 cm", "Khoen mỗi 50 cm"]
    run_worker(app)
    vanhoa = api("vanhoa")
    pdf = vanhoa.get(f"/print-orders/{order['id']}/pdf")
    assert pdf.status_code == 200
    page = PdfReader(io.BytesIO(pdf.data)).pages[0]
    assert float(page.trimbox.width) / PT_PER_MM == pytest_approx(3100)
    assert float(page.trimbox.height) / PT_PER_MM == pytest_approx(1100)
    sheet = vanhoa.get(f"/print-orders/{order['id']}/ticket.pdf")
    first = " ".join(PdfReader(io.BytesIO(sheet.data)).pages[0].extract_text().split())
    assert "Xén, May viền 5 cm, Khoen mỗi 50 cm" in first
    assert "khổ in kể cả viền may 5 cm mỗi cạnh 3100 × 1100 mm" in first


def pytest_approx(value):
    import pytest

    return pytest.approx(value, abs=0.3)


def test_hems_or_grommets_on_a_leaflet_are_refused_with_422_and_nothing_is_written(api, db):
    resp = _order(api, db, "to-roi-6-buoc", "leaflet_a5", hem_cm=3)
    assert resp.status_code == 422
    error = resp.get_json()["error"]
    assert error["code"] == "finishing_not_offered" and "chỉ dành cho băng rôn và cờ phướn" in error["message"]
    resp = _order(api, db, "ap-phich-dieu-kien", "poster_a1", grommet_every_cm=50)
    assert resp.status_code == 422 and resp.get_json()["error"]["fields"]["grommet_every_cm"]
    assert db.scalar(select(PrintOrder)) is None


def test_hem_and_grommet_values_outside_the_offer_are_refused_field_by_field(api, db):
    resp = _order(api, db, "bang-ron-cao-diem", "banner_09x6", hem_cm=7, grommet_every_cm=5)
    assert resp.status_code == 400
    fields = resp.get_json()["error"]["fields"]
    assert "0, 2, 3, 4 hoặc 5 cm" in fields["hem_cm"] and "từ 20 đến 200 cm" in fields["grommet_every_cm"]
    resp = _order(api, db, "bang-ron-cao-diem", "banner_09x6", hem_cm="ba")
    assert resp.status_code == 400 and "hem_cm" in resp.get_json()["error"]["fields"]
    assert db.scalar(select(PrintOrder)) is None


def test_order_form_offers_hems_and_grommets_for_a_slogan_only_and_keeps_them(login, db):
    officer = login("vanhoa")
    slogan = f.message(db, "ngoc-lac-asxh-2026", "bang-ron-cao-diem").approved
    page = officer.get(f"/print-orders/new?version_id={slogan.id}").get_data(as_text=True)
    assert 'name="hem_cm"' in page and 'name="grommet_every_cm"' in page and "Khoen mỗi 50 cm" in page
    leaflet = f.message(db, "ngoc-lac-asxh-2026", "to-roi-6-buoc").approved
    leaflet_page = officer.get(f"/print-orders/new?version_id={leaflet.id}").get_data(as_text=True)
    assert 'name="hem_cm"' not in leaflet_page and 'value="leaflet_trifold_a4"' in leaflet_page
    # A hand-made form post on a leaflet is refused in Vietnamese, nothing written.
    resp = officer.post("/print-orders/new", data={
        "csrf_token": csrf_from(leaflet_page), "version_id": leaflet.id, "product": "leaflet_a5", "quantity": "10",
        "print_shop_id": _shop_id(db), "hem_cm": "3"})
    assert resp.status_code == 400 and "Viền may và khoen chỉ dành cho băng rôn và cờ phướn." in resp.get_data(
        as_text=True)
    assert db.scalar(select(PrintOrder)) is None
    resp = officer.post("/print-orders/new", data={
        "csrf_token": csrf_from(page), "version_id": slogan.id, "product": "banner_09x6", "quantity": "10",
        "print_shop_id": _shop_id(db), "hem_cm": "3", "grommet_every_cm": "50"})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    order = db.scalar(select(PrintOrder))
    assert (order.hem_cm, order.grommet_every_cm, order.finishing) == (3, 50, "hems,grommets")
    shown = officer.get(f"/print-orders/{order.id}").get_data(as_text=True)
    assert "May viền 3 cm" in shown and "Khoen mỗi 50 cm" in shown and "6060 × 960 mm" in shown


def test_a_tri_fold_order_gets_a_two_page_proof_and_a_roll_fold_on_its_ticket(app, api, db):
    resp = _order(api, db, "to-roi-6-buoc", "leaflet_trifold_a4")
    assert resp.status_code == 201, resp.get_data(as_text=True)
    order = resp.get_json()
    assert order["ticket"]["finishing_labels"] == ["Xén", "Gấp 3 (cuộn)"]
    assert order["ticket"]["product_label"] == "Tờ rơi gấp 3 A4"
    run_worker(app)
    proof = api("vanhoa").get(f"/print-orders/{order['id']}").get_json()["proof"]
    assert proof["status"] == "ready" and proof["pages"] == 2, proof
