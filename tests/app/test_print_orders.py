"""Print orders refuse what cannot be printed at ordering, with the reason, and write nothing."""
from __future__ import annotations

from sqlalchemy import select

from planner.models import MessageVersion, PrintOrder, VersionStatus
from tests.app import factories as f
from tests.app.test_api import api  # noqa: F401  (fixture: a bearer-token API client)
from tests.conftest import csrf_from


def approved_version(db, message_code: str, body_md: str, *, plan="ngoc-lac-asxh-2026") -> MessageVersion:
    message = f.message(db, plan, message_code)
    version = MessageVersion(message=message, number=len(message.versions) + 1, title=message.latest.title,
                             body_md=body_md, status=VersionStatus.APPROVED)
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
