"""Print orders refuse what cannot be printed at ordering, with the reason, and write nothing."""
from __future__ import annotations

from sqlalchemy import select

from planner.models import MessageVersion, PrintOrder, VersionStatus
from tests.app import factories as f
from tests.app.test_api import api  # noqa: F401  (fixture: a bearer-token API client)
from tests.conftest import csrf_from


def approved_version(db, message_code: str, body_md: str, *, plan="ngoc-lac-asxh-2026") -> MessageVersion:
    message = f.message(db, plan, message_code)
    latest = message.latest
    version = MessageVersion(message=message, number=len(message.versions) + 1, title=latest.title,
                             headline=latest.headline, link=latest.link, channel=latest.channel,
                             audiences=list(latest.audiences), body_md=body_md, status=VersionStatus.APPROVED)
    db.add(version)
    db.commit()
    return version


def post_order(client, db, version, product="banner_3x1"):
    page = client.get(f"/print-orders/new?version_id={version.id}").get_data(as_text=True)
    shop = db.scalar(select(f.Unit).where(f.Unit.code == "in-ngoc-lac"))
    return client.post("/print-orders/new", data={
        "csrf_token": csrf_from(page), "version_id": version.id, "product": product, "quantity": "10",
        "print_shop_id": shop.id})


def test_order_of_a_slogan_with_an_emoji_is_refused_naming_the_character(login, db):
    version = approved_version(db, "bang-ron-tich-hop", "CHUNG TAY VÌ AN SINH 🙌")
    resp = post_order(login("vanhoa"), db, version)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "“🙌” (U+1F64C)" in html and "biểu tượng cảm xúc" in html
    assert db.scalar(select(PrintOrder)) is None


def test_order_of_a_body_beyond_the_markdown_limits_is_refused_through_the_api(api, db):
    version = approved_version(db, "to-roi-6-buoc", "> " * 150 + "sâu")
    shop = db.scalar(select(f.Unit).where(f.Unit.code == "in-ngoc-lac"))
    resp = api("vanhoa").post("/print-orders", json={
        "version_id": version.id, "product": "leaflet_a5", "quantity": 100, "print_shop_id": shop.id})
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert "lồng nhau 150 cấp" in resp.get_json()["error"]["fields"]["form"]
    assert db.scalar(select(PrintOrder)) is None


def place_order(client, db, version, product="leaflet_a5"):
    resp = post_order(client, db, version, product)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    return db.scalar(select(PrintOrder).order_by(PrintOrder.id.desc()))


def run_worker(app):
    from planner.worker import tick

    return tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path, worker_id="w1")


def proof_dir(app):
    from pathlib import Path

    return Path(app.instance_path) / app.config["PRINT_DIR"]


def test_worker_renders_preflights_and_stores_the_proof_privately_with_its_hash(app, login, db):
    import hashlib
    import stat

    from planner.models.printing import ProofStatus

    officer = login("vanhoa")
    order = place_order(officer, db, f.message(db, "ngoc-lac-asxh-2026", "to-roi-6-buoc").approved)
    assert order.proof_status is ProofStatus.QUEUED and order.proof_file == ""
    assert run_worker(app)["print_proofs"] == 1
    db.expire_all()
    order = db.get(PrintOrder, order.id)
    assert order.proof_status is ProofStatus.READY and order.proof_pages == 2
    path = proof_dir(app) / order.proof_file
    data = path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == order.proof_sha256 and len(data) == order.proof_bytes
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "Mọi phông chữ đã được nhúng" in order.proof_checks and "Số trang: 2" in order.proof_checks
    page = officer.get(f"/print-orders/{order.id}").get_data(as_text=True)
    assert "Chờ duyệt bản in thử" in page and order.proof_sha256 in page and "Mọi phông chữ" in page
    image = officer.get(f"/print-orders/{order.id}/proof-1.png")
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    assert officer.get(f"/print-orders/{order.id}/proof-3.png").status_code == 404


def test_shop_downloads_exactly_the_approved_file_from_storage_with_an_etag(app, login, db, monkeypatch):
    import hashlib

    from planner.operations import print_orders

    officer, shop = login("vanhoa"), login("inan")
    order = place_order(officer, db, f.message(db, "ngoc-lac-asxh-2026", "bang-ron-cao-diem").approved,
                        product="banner_09x6")
    run_worker(app)
    db.expire_all()
    order = db.get(PrintOrder, order.id)
    assert shop.get(f"/print-orders/{order.id}.pdf").status_code == 404  # not the shop's before approval
    page = officer.get(f"/print-orders/{order.id}").get_data(as_text=True)
    stale = officer.post(f"/print-orders/{order.id}/approve", data={"csrf_token": csrf_from(page), "sha256": "0" * 64},
                         follow_redirects=True)
    assert "Bản in thử đã thay đổi" in stale.get_data(as_text=True)
    officer.post(f"/print-orders/{order.id}/approve", data={"csrf_token": csrf_from(page), "sha256": order.proof_sha256})

    def no_render(*args, **kwargs):
        raise AssertionError("a download must never re-render")

    monkeypatch.setattr(print_orders, "render_order", no_render)
    first = shop.get(f"/print-orders/{order.id}.pdf")
    assert first.status_code == 200 and hashlib.sha256(first.data).hexdigest() == order.proof_sha256
    assert first.headers["ETag"].strip('"') == order.proof_sha256
    again = shop.get(f"/print-orders/{order.id}.pdf", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    csrf = csrf_from(shop.get(f"/print-orders/{order.id}").get_data(as_text=True))
    shop.post(f"/print-orders/{order.id}/status", data={"csrf_token": csrf, "status": "accepted"})
    db.expire_all()
    assert db.get(PrintOrder, order.id).status.value == "accepted"


def test_an_order_whose_file_cannot_be_produced_is_cancelled_with_the_reason(app, login, db):
    from planner.models.printing import ProofStatus

    body = "Mở đầu.\n\n" + "Nội dung rất dài về tài khoản an sinh xã hội trên VNeID, đọc kỹ nhé.\n\n" * 150
    officer = login("vanhoa")
    order = place_order(officer, db, approved_version(db, "to-roi-6-buoc", body))
    run_worker(app)
    db.expire_all()
    order = db.get(PrintOrder, order.id)
    assert order.proof_status is ProofStatus.FAILED and order.status.value == "cancelled"
    assert "Nội dung quá dài cho tờ rơi A5" in order.proof_error and order.proof_file == ""
    page = officer.get(f"/print-orders/{order.id}").get_data(as_text=True)
    assert "Không dựng được tệp in" in page and "Nội dung quá dài" in page


def test_api_shows_the_proof_and_its_page_images_and_refuses_approval_by_the_shop(app, api, db):
    version = f.message(db, "ngoc-lac-asxh-2026", "ap-phich-dieu-kien").approved
    shop_id = db.scalar(select(f.Unit.id).where(f.Unit.code == "in-ngoc-lac"))
    vanhoa = api("vanhoa")
    oid = vanhoa.post("/print-orders", json={"version_id": version.id, "product": "poster_a1", "quantity": 20,
                                             "print_shop_id": shop_id}).get_json()["id"]
    assert vanhoa.get(f"/print-orders/{oid}/pdf").status_code == 409  # still queued
    run_worker(app)
    proof = vanhoa.get(f"/print-orders/{oid}").get_json()["proof"]
    assert proof["status"] == "ready" and proof["pages"] == 1 and len(proof["sha256"]) == 64
    image = vanhoa.client.get(proof["page_image_urls"][0], headers=vanhoa.headers)
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert api("inan").post(f"/print-orders/{oid}/approve", json={}).status_code == 403
    approved = vanhoa.post(f"/print-orders/{oid}/approve", json={"sha256": proof["sha256"]}).get_json()
    assert approved["proof"]["status"] == "approved" and approved["proof"]["approved_by"]["username"] == "vanhoa"
    again = vanhoa.client.post(f"/api/v1/print-orders/{oid}/approve", headers=vanhoa.headers)  # no body
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "proof_not_approvable"
    pdf = api("inan").get(f"/print-orders/{oid}/pdf")
    assert pdf.status_code == 200 and pdf.headers["ETag"].strip('"') == proof["sha256"]


def test_order_form_offers_only_products_that_fit_the_message(login, db):
    officer = login("vanhoa")
    slogan = f.message(db, "ngoc-lac-asxh-2026", "bang-ron-cao-diem").approved
    page = officer.get(f"/print-orders/new?version_id={slogan.id}").get_data(as_text=True)
    assert 'value="banner_09x6"' in page and 'value="poster_a1"' in page and 'value="leaflet_a5"' not in page
    leaflet = f.message(db, "ngoc-lac-asxh-2026", "to-roi-6-buoc").approved
    page = officer.get(f"/print-orders/new?version_id={leaflet.id}").get_data(as_text=True)
    assert 'value="leaflet_a5"' in page and 'value="banner_09x6"' not in page
    resp = post_order(officer, db, slogan, product="leaflet_a5")
    assert resp.status_code == 400 and "Tờ rơi A5 không phù hợp với khẩu hiệu" in resp.get_data(as_text=True)
    assert db.scalar(select(PrintOrder)) is None


def test_a_machine_failure_while_storing_leaves_the_proof_queued_instead_of_cancelling(app, login, db, monkeypatch):
    from planner import printing
    from planner.models.printing import ProofStatus

    def no_pdftoppm(*args, **kwargs):
        raise printing.PrintError("Không tìm thấy pdftoppm (gói poppler-utils).")

    order = place_order(login("vanhoa"), db, f.message(db, "ngoc-lac-asxh-2026", "bang-ron-cao-diem").approved,
                        product="banner_3x1")
    monkeypatch.setattr(printing, "render_to_png_pages", no_pdftoppm)
    run_worker(app)
    db.expire_all()
    order = db.get(PrintOrder, order.id)
    assert order.proof_status is ProofStatus.QUEUED and order.status.value == "submitted"
    monkeypatch.undo()
    run_worker(app)
    db.expire_all()
    assert db.get(PrintOrder, order.id).proof_status is ProofStatus.READY


def test_a_newer_approved_version_makes_a_new_order_and_proof_while_the_old_order_keeps_its_file(app, login, db):
    officer = login("vanhoa")
    message = f.message(db, "ngoc-lac-asxh-2026", "bang-ron-dinh-danh")
    old = place_order(officer, db, message.approved, product="banner_3x1")
    run_worker(app)
    db.expire_all()
    old = db.get(PrintOrder, old.id)
    old_file, old_hash = old.proof_file, old.proof_sha256
    newer = approved_version(db, "bang-ron-dinh-danh", "ĐỊNH DANH MỨC ĐỘ 2 – TIỆN ÍCH SỐ CHO MỌI NGƯỜI!")
    page = officer.get(f"/print-orders/{old.id}").get_data(as_text=True)
    assert f"phiên bản duyệt mới hơn (phiên bản {newer.number})" in page
    assert f"/print-orders/new?version_id={newer.id}" in page
    new = place_order(officer, db, newer, product="banner_3x1")
    run_worker(app)
    db.expire_all()
    old, new = db.get(PrintOrder, old.id), db.get(PrintOrder, new.id)
    assert (old.proof_file, old.proof_sha256) == (old_file, old_hash) and (proof_dir(app) / old_file).is_file()
    assert new.proof_sha256 != old_hash and new.proof_file.endswith(f"-v{newer.number}-{new.proof_sha256[:12]}.pdf")


def test_an_order_already_in_production_before_proofs_stays_with_the_shop_and_gets_its_file(app, login, db):
    from planner.models import PrintStatus
    from planner.models.printing import ProofStatus

    order = place_order(login("vanhoa"), db, f.message(db, "ngoc-lac-asxh-2026", "bang-ron-cao-diem").approved,
                        product="banner_3x1")
    order.status = PrintStatus.ACCEPTED  # as migration 0002 leaves an order the shop had taken: proof queued
    db.commit()
    shop = login("inan")
    assert f"DI-{order.id:05d}" in shop.get("/print-orders").get_data(as_text=True)
    run_worker(app)
    db.expire_all()
    order = db.get(PrintOrder, order.id)
    assert order.proof_status is ProofStatus.APPROVED and order.status is PrintStatus.ACCEPTED
    assert shop.get(f"/print-orders/{order.id}.pdf").status_code == 200


def test_message_page_with_a_body_beyond_the_markdown_limits_opens_with_a_notice(login, db):
    version = approved_version(db, "to-roi-6-buoc", "> " * 150 + "sâu")
    resp = login("vanhoa").get(f"/messages/{version.message_id}")
    assert resp.status_code == 200 and "Không hiển thị được nội dung" in resp.get_data(as_text=True)


def test_no_print_order_from_a_retired_message_or_a_closed_plan(login, db):
    from planner.db import utcnow
    from planner.models import PlanStatus

    message = f.message(db, "ngoc-lac-asxh-2026", "bang-ron-tich-hop")
    message.retired_at = utcnow()
    db.commit()
    resp = post_order(login("vanhoa"), db, message.approved)
    assert resp.status_code == 400 and "ngừng dùng" in resp.get_data(as_text=True)
    message.retired_at = None
    message.plan.status = PlanStatus.CLOSED
    db.commit()
    resp = post_order(login("vanhoa"), db, message.approved)
    assert resp.status_code == 400 and "chỉ xem" in resp.get_data(as_text=True)
    assert db.scalar(select(PrintOrder)) is None
