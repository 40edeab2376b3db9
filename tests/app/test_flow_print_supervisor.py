"""Flows d and e: print orders for the print shop; the supervisor's dashboard and six-monthly report."""
from __future__ import annotations

import io

from pypdf import PdfReader
from sqlalchemy import select

from planner.models import PrintOrder, PrintStatus, Report, ReportStatus
from planner.worker import tick
from tests.app import factories as f
from tests.conftest import csrf_from


def _order(client, db, *, product="leaflet_a5", quantity="500", **extra):
    leaflet = f.message(db, "ngoc-lac-asxh-2026", "to-roi-6-buoc" if product.startswith("leaflet") else "bang-ron-tich-hop")
    page = client.get(f"/print-orders/new?version_id={leaflet.approved.id}").get_data(as_text=True)
    shop = db.scalar(select(f.Unit).where(f.Unit.code == "in-ngoc-lac"))
    data = {"csrf_token": csrf_from(page), "version_id": leaflet.approved.id, "product": product,
            "quantity": quantity, "print_shop_id": shop.id, **extra}
    return client.post("/print-orders/new", data=data)


def _proof_and_approve(app, officer, db, order):
    """The worker renders the proof; the orderer approves it on the order page."""
    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w1")
    page = officer.get(f"/print-orders/{order.id}").get_data(as_text=True)
    assert "Duyệt bản in thử" in page, page
    resp = officer.post(f"/print-orders/{order.id}/approve", data={"csrf_token": csrf_from(page)})
    assert resp.status_code == 302


def test_print_shop_receives_order_downloads_pdf_and_reports_progress(app, login, db):
    officer = login("vanhoa")
    assert _order(officer, db).status_code == 302
    order = db.scalar(select(PrintOrder))
    shop = login("inan")
    assert f"DI-{order.id:05d}" not in shop.get("/print-orders").get_data(as_text=True)  # not before approval
    _proof_and_approve(app, officer, db, order)
    assert f"DI-{order.id:05d}" in shop.get("/print-orders").get_data(as_text=True)
    pdf = shop.get(f"/print-orders/{order.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.data))
    trim = reader.pages[0].trimbox
    assert abs(float(trim.width) - 148 / 25.4 * 72) < 1 and abs(float(trim.height) - 210 / 25.4 * 72) < 1
    assert "Tài khoản hưởng an sinh xã hội" in "".join(p.extract_text() for p in reader.pages)
    for status in ("accepted", "printed"):
        csrf = csrf_from(shop.get(f"/print-orders/{order.id}").get_data(as_text=True))
        shop.post(f"/print-orders/{order.id}/status", data={"csrf_token": csrf, "status": status})
    db.expire_all()
    villages = [d.unit_id for d in db.get(PrintOrder, order.id).distribution]
    assert villages, "the commune's order is split over its villages"
    for unit_id in villages:    # delivered village by village; the order follows the last one
        csrf = csrf_from(shop.get(f"/print-orders/{order.id}").get_data(as_text=True))
        shop.post(f"/print-orders/{order.id}/villages/{unit_id}/delivered", data={"csrf_token": csrf})
    db.expire_all()
    assert db.get(PrintOrder, order.id).status is PrintStatus.DELIVERED


def test_officer_cannot_mark_printed_and_shop_cannot_see_plans(login, db):
    officer = login("vanhoa")
    _order(officer, db)
    order = db.scalar(select(PrintOrder))
    csrf = csrf_from(officer.get(f"/print-orders/{order.id}").get_data(as_text=True))
    resp = officer.post(f"/print-orders/{order.id}/status", data={"csrf_token": csrf, "status": "accepted"},
                        follow_redirects=True)
    assert "Bạn không thể thực hiện bước này" in resp.get_data(as_text=True)
    shop = login("inan")
    assert shop.get(f"/plans/{f.plan(db, 'ngoc-lac-asxh-2026').id}").status_code == 404


def test_bad_print_order_explains_and_keeps_input(login, db):
    officer = login("vanhoa")
    resp = _order(officer, db, product="custom", quantity="0", width_mm="30000", height_mm="abc")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Số lượng phải là số nguyên" in html and 'value="30000"' in html
    assert db.scalar(select(PrintOrder)) is None


def test_banner_order_pdf_is_trimmed_to_ordered_size(app, login, db):
    officer = login("vanhoa")
    assert _order(officer, db, product="banner_08x5", quantity="10").status_code == 302
    order = db.scalar(select(PrintOrder))
    _proof_and_approve(app, officer, db, order)
    pdf = officer.get(f"/print-orders/{order.id}.pdf")
    box = PdfReader(io.BytesIO(pdf.data)).pages[0].trimbox
    assert abs(float(box.width) - 5000 / 25.4 * 72) < 1 and abs(float(box.height) - 800 / 25.4 * 72) < 1


def test_supervisor_dashboard_and_six_monthly_report(app, login, db):
    client = login("giamsat")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    dash = client.get(f"/plans/{plan.id}/dashboard")
    assert dash.status_code == 200 and "Theo kênh" in dash.get_data(as_text=True)
    page = client.get(f"/plans/{plan.id}/reports").get_data(as_text=True)
    commune = db.scalar(select(f.Unit).where(f.Unit.code == "xa-ngoc-lac"))
    resp = client.post(f"/plans/{plan.id}/reports", data={
        "csrf_token": csrf_from(page), "kind": "first_half", "year": "2026", "unit": commune.id,
        "number": "15/BC-UBND", "signer_title": "PHÓ CHỦ TỊCH", "signer_name": "Lê Ngọc Sơn"})
    assert resp.status_code == 302
    report = db.scalar(select(Report))
    assert report.status is ReportStatus.QUEUED
    assert (report.period_start.isoformat(), report.period_end.isoformat()) == ("2025-12-15", "2026-06-14")
    tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w1")
    db.expire_all()
    assert db.get(Report, report.id).status is ReportStatus.READY
    pdf = client.get(f"/reports/{report.id}.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    for needle in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "BÁO CÁO", "15/BC-UBND", "Lê Ngọc Sơn", "Nơi nhận"):
        assert needle in text


def test_report_form_errors_in_vietnamese(login, db):
    client = login("giamsat")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    page = client.get(f"/plans/{plan.id}/reports").get_data(as_text=True)
    resp = client.post(f"/plans/{plan.id}/reports", data={
        "csrf_token": csrf_from(page), "kind": "monthly", "year": "abcd", "month": "13",
        "unit": f.user(db, "giamsat").unit_id, "signer_name": ""})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    assert "Năm không hợp lệ" in html and "Tháng phải từ 1 đến 12" in html and "Vui lòng nhập người ký" in html
