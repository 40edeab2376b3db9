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
