"""Online posts: the editor's preview is what the fake Graph server receives, and people cannot confirm them."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from planner.auth import issue_token
from planner.channels.marker import strip_marker
from planner.db import utcnow
from planner.models import Delivery, DeliveryStatus, User
from planner.worker import tick
from tests.app import factories as f
from tests.app.test_flow_editor import _write_and_approve, fake  # noqa: F401 (fixture)
from tests.conftest import csrf_from

BODY = ("Người dân kích hoạt tài khoản trên [cổng VNeID](https://vneid.gov.vn/huong-dan).\n\n"
        "1. Mở ứng dụng VNeID\n2. Chọn **An sinh xã hội**\n\n"
        "Mọi thắc mắc xin liên hệ công an xã.\n\n#NgocLac #VNeID")


def test_post_received_by_the_fake_graph_server_is_the_editors_preview(app, login, db, fake):  # noqa: F811
    editor, message = _write_and_approve(login, db, body=BODY)
    csrf = csrf_from(editor.get(f"/messages/{message.id}").get_data(as_text=True))
    preview = editor.post("/messages/preview", data={"csrf_token": csrf, "body_md": BODY, "channel": "fanpage",
                                                     "title": message.latest.title}).get_json()
    assert "1. Mở ứng dụng VNeID" in preview["post"] and "(https://vneid.gov.vn/huong-dan)" in preview["post"]
    assert preview["post"].endswith("\n\n#NgocLac #VNeID") and preview["problems"] == []
    target = db.scalar(select(f.Target).where(f.Target.code == "fanpage-bhxh-vn"))
    f.occurrence(db, target=target, msg=message, at=utcnow() - dt.timedelta(seconds=30))
    assert tick(app.extensions["planner_db"], app.config, instance_path=app.instance_path,
                worker_id="w1")["delivered"] == 1
    (post,) = fake.posts
    assert strip_marker(post["message"]) == preview["post"]


def test_loudspeaker_preview_stays_html_without_a_post_text(login, db):
    editor = login("bientap")
    csrf = csrf_from(editor.get("/plans").get_data(as_text=True))
    preview = editor.post("/messages/preview", data={"csrf_token": csrf, "body_md": "**a**", "channel": "loudspeaker",
                                                     "title": "t"}).get_json()
    assert "<strong>a</strong>" in preview["html"] and "post" not in preview


@pytest.fixture()
def online_delivery(login, db):
    _, message = _write_and_approve(login, db)
    target = db.scalar(select(f.Target).where(f.Target.code == "fanpage-bhxh-vn"))
    return f.occurrence(db, target=target, msg=message, at=utcnow() - dt.timedelta(minutes=5))


@pytest.mark.parametrize("status", [DeliveryStatus.PLANNED, DeliveryStatus.UNKNOWN])
def test_logged_in_confirm_cannot_mark_an_online_post_delivered(login, db, online_delivery, status):
    online_delivery.status = status
    db.commit()
    officer = login("bientap")
    page = officer.get(f"/occurrences/{online_delivery.occurrence_id}").get_data(as_text=True)
    resp = officer.post(f"/occurrences/{online_delivery.occurrence_id}/confirm",
                        data={"csrf_token": csrf_from(page), "aired": "yes"}, follow_redirects=True)
    assert "chỉ được xác nhận bởi nền tảng" in resp.get_data(as_text=True)
    db.expire_all()
    assert db.get(Delivery, online_delivery.id).status is status


@pytest.mark.parametrize("body", [{"aired": True}, {"aired": False}])
def test_api_confirm_of_an_online_post_is_a_409(app, db, online_delivery, body):
    user = db.scalar(select(User).where(User.username == "bientap"))
    token, _ = issue_token(db, user, now=utcnow(), hours=1)
    db.commit()
    resp = app.test_client().post(f"/api/v1/deliveries/{online_delivery.id}/confirm", json=body,
                                  headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 409 and "chỉ được xác nhận bởi nền tảng" in resp.get_json()["error"]["message"]
    db.expire_all()
    assert db.get(Delivery, online_delivery.id).status is DeliveryStatus.PLANNED


def _api(app, db, username="bientap"):
    user = db.scalar(select(User).where(User.username == username))
    token, _ = issue_token(db, user, now=utcnow(), hours=1)
    db.commit()
    client = app.test_client()
    return lambda path, body: client.post(f"/api/v1{path}", json=body, headers={"Authorization": f"Bearer {token}"})


def test_api_reconciles_an_unknown_post_like_the_attention_page(app, db, online_delivery):
    online_delivery.status = DeliveryStatus.UNKNOWN
    db.commit()
    post = _api(app, db)
    missing = post(f"/deliveries/{online_delivery.id}/reconcile", {"published": True})
    assert missing.status_code == 400 and "external_id" in missing.get_json()["error"]["fields"]
    done = post(f"/deliveries/{online_delivery.id}/reconcile", {"published": True, "external_id": "100000000000001_9"})
    assert done.status_code == 200 and done.get_json()["status"] == "delivered"
    assert done.get_json()["external_id"] == "100000000000001_9"
    again = post(f"/deliveries/{online_delivery.id}/reconcile", {"published": False})
    assert again.status_code == 409


def test_api_reconcile_needs_schedule_rights_and_scope(app, db, online_delivery):
    online_delivery.status = DeliveryStatus.UNKNOWN
    db.commit()
    path = f"/deliveries/{online_delivery.id}/reconcile"
    assert _api(app, db, "duyet")(path, {"published": False}).status_code == 403
    assert _api(app, db, "vanhoa")(path, {"published": False}).status_code in (403, 404)
    db.expire_all()
    assert db.get(Delivery, online_delivery.id).status is DeliveryStatus.UNKNOWN
