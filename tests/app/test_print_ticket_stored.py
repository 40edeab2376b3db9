"""The job ticket is stored beside the proof (0600) when the worker renders the proof, and downloads serve that file
with its content key as ETag; it is rendered again only when what it prints changes. Scoping is unchanged."""
from __future__ import annotations

import io
import stat

from pypdf import PdfReader
from sqlalchemy import select

from planner import printing
from planner.models import PrintOrder
from tests.app import factories as f
from tests.app.test_api import api  # noqa: F401  (fixture: a bearer-token API client)
from tests.app.test_print_orders import proof_dir, run_worker


def _order(api, db) -> int:
    version = f.message(db, "ngoc-lac-asxh-2026", "bang-ron-cao-diem").approved
    shop = db.scalar(select(f.Unit.id).where(f.Unit.code == "in-ngoc-lac"))
    resp = api("vanhoa").post("/print-orders", json={"version_id": version.id, "product": "banner_09x6",
                                                     "quantity": 100, "print_shop_id": shop,
                                                     "delivery_address": "UBND xã Ngọc Lặc"})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    return resp.get_json()["id"]


def _tickets(app, order_id: int):
    return sorted(proof_dir(app).glob(f"DI-{order_id:05d}-phieu-*.pdf"))


def _count_renders(monkeypatch, *, fail: bool = False) -> list:
    calls, real = [], printing.render_job_ticket

    def counted(ctx):
        calls.append(ctx["number"])
        if fail:
            raise AssertionError("a download of an unchanged ticket must never render it")
        return real(ctx)

    monkeypatch.setattr(printing, "render_job_ticket", counted)
    return calls


def test_worker_stores_the_ticket_with_the_proof_and_downloads_never_render_it(app, api, login, db, monkeypatch):
    order_id = _order(api, db)
    run_worker(app)
    db.expire_all()
    order = db.get(PrintOrder, order_id)
    [path] = _tickets(app, order_id)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    _count_renders(monkeypatch, fail=True)
    first = api("vanhoa").get(f"/print-orders/{order_id}/ticket.pdf")
    assert first.status_code == 200 and first.data == path.read_bytes()
    key = path.stem.rsplit("-", 1)[1]
    assert first.headers["ETag"].strip('"') == key and len(key) == 64
    assert f"phieu-in_{order.number.lower()}.pdf" in first.headers["Content-Disposition"]
    text = PdfReader(io.BytesIO(first.data)).pages[0].extract_text()
    assert "PHIẾU YÊU CẦU IN" in text and order.proof_sha256[:16] in text  # it names the proof it goes with
    page = login("vanhoa")
    assert page.get(f"/print-orders/{order_id}/ticket.pdf").data == first.data
    again = page.get(f"/print-orders/{order_id}/ticket.pdf", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_page_download_renders_once_then_serves_the_stored_file(app, login, api, db, monkeypatch):
    order_id = _order(api, db)  # no worker yet: nothing stored
    assert _tickets(app, order_id) == []
    calls = _count_renders(monkeypatch)
    officer = login("vanhoa")
    first = officer.get(f"/print-orders/{order_id}/ticket.pdf")
    second = officer.get(f"/print-orders/{order_id}/ticket.pdf")
    assert first.status_code == second.status_code == 200 and first.data == second.data
    assert len(calls) == 1 and len(_tickets(app, order_id)) == 1


def test_a_change_to_what_the_ticket_prints_renders_a_new_ticket_and_drops_the_old(app, api, db, monkeypatch):
    order_id = _order(api, db)
    run_worker(app)
    [old] = _tickets(app, order_id)
    calls = _count_renders(monkeypatch)
    order = db.get(PrintOrder, order_id)
    order.delivery_address = "Nhà văn hóa thôn Minh Tiến"
    db.commit()
    resp = api("vanhoa").get(f"/print-orders/{order_id}/ticket.pdf")
    assert resp.status_code == 200 and len(calls) == 1
    assert "Nhà văn hóa thôn Minh Tiến" in PdfReader(io.BytesIO(resp.data)).pages[0].extract_text()
    [new] = _tickets(app, order_id)
    assert new != old and not old.exists() and resp.headers["ETag"].strip('"') == new.stem.rsplit("-", 1)[1]
    assert api("vanhoa").get(f"/print-orders/{order_id}/ticket.pdf").data == resp.data and len(calls) == 1


def test_a_stored_ticket_is_still_only_for_the_orderer_and_the_shop_after_approval(app, api, login, db):
    order_id = _order(api, db)
    run_worker(app)
    assert _tickets(app, order_id)
    assert api("inan").get(f"/print-orders/{order_id}/ticket.pdf").status_code == 404  # before approval
    assert login("inan").get(f"/print-orders/{order_id}/ticket.pdf").status_code == 404
    assert api("bientap").get(f"/print-orders/{order_id}/ticket.pdf").status_code == 404  # another unit
    assert api("vanhoa").post(f"/print-orders/{order_id}/approve", json={}).status_code == 200
    resp = api("inan").get(f"/print-orders/{order_id}/ticket.pdf")
    assert resp.status_code == 200 and resp.data == _tickets(app, order_id)[0].read_bytes()
