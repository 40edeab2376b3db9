"""Channel accounts: fanpage / Zalo OA tokens typed into the app are sealed at rest, never shown or logged again,
used by the dispatcher, and overridden by the environment JSON."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from planner import dispatch, secret_box
from planner.auth import issue_token
from planner.channels import REGISTRY, Receipt
from planner.channels.base import Channel
from planner.db import utcnow
from planner.models import AuditEntry, Target, Unit
from tests.app import factories as f
from tests.conftest import csrf_from

TOKEN = "EAAG-page-token-1234567890-abcd"


def commune(db) -> Unit:
    return db.scalar(select(Unit).where(Unit.code == "xa-ngoc-lac"))


def add_page(client, db, **fields):
    unit = commune(db)
    csrf = csrf_from(client.get(f"/admin/units/{unit.id}/accounts").get_data(as_text=True))
    return client.post(f"/admin/units/{unit.id}/accounts", data={"csrf_token": csrf, **fields})


def test_token_entered_in_the_app_is_sealed_and_never_shown_again(login, db):
    admin = login("quantrixa")
    resp = add_page(admin, db, channel="fanpage", name="Trang xã Ngọc Lặc mới", external_id="100000000000777",
                    token=TOKEN)
    assert resp.status_code == 302
    target = db.scalar(select(Target).where(Target.external_id == "100000000000777"))
    assert target.token_encrypted and TOKEN not in target.token_encrypted and target.token_hint == "abcd"
    page = admin.get(f"/admin/units/{commune(db).id}/accounts").get_data(as_text=True)
    assert TOKEN not in page and "…abcd" in page
    audit = db.scalars(select(AuditEntry).where(AuditEntry.entity_type == "targets")).all()
    assert audit and all(TOKEN not in str(e.detail) for e in audit)
    assert secret_box.unseal(target.token_encrypted, {"SECRET_KEY": "test-secret"}) == TOKEN
    assert secret_box.unseal(target.token_encrypted, {"SECRET_KEY": "test-secret", "CHANNEL_TOKEN_KEY": ""}) == TOKEN


def test_bad_account_input_is_explained_and_nothing_is_written(login, db):
    admin = login("quantrixa")
    before = db.scalar(select(Target.id).order_by(Target.id.desc()))
    resp = add_page(admin, db, channel="tiktok", name="", external_id="abc", token="short")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    for text in ("Chọn Trang Facebook hoặc Zalo OA", "Tên trang 1–200 ký tự", "dãy 5–30 chữ số",
                 "Mã truy cập không hợp lệ"):
        assert text in html, text
    assert db.scalar(select(Target.id).order_by(Target.id.desc())) == before


def test_accounts_api_never_returns_the_token_and_is_scoped(app, demo, db):
    token, _ = issue_token(db, f.user(db, "quantrixa"), now=utcnow(), hours=1)
    db.commit()
    client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    unit = commune(db)
    resp = client.post(f"/api/v1/units/{unit.id}/accounts", headers=headers, json={
        "channel": "zalo", "name": "Zalo OA xã", "external_id": "4321098765", "token": TOKEN})
    assert resp.status_code == 201 and TOKEN not in resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["has_token"] is True and body["token_hint"] == "abcd"
    cleared = client.patch(f"/api/v1/accounts/{body['id']}", headers=headers, json={"clear_token": True})
    assert cleared.get_json()["has_token"] is False
    bhxh = db.scalar(select(Unit).where(Unit.code == "bhxh-trung-tam-truyen-thong"))
    assert client.get(f"/api/v1/units/{bhxh.id}/accounts", headers=headers).status_code == 404
    page = db.scalar(select(Target).where(Target.channel == "fanpage", Target.unit_id == bhxh.id))
    assert client.patch(f"/api/v1/accounts/{page.id}", headers=headers, json={"name": "x"}).status_code == 404


class CapturingChannel(Channel):
    code, label, kind = "fanpage", "Fanpage (bắt token)", "online"

    def __init__(self):
        self.tokens: list = []

    def validate(self, item):
        return []

    def render(self, item):
        return item.plain_text

    def deliver(self, item, target, settings, *, now, scheduled_at=None, reference=None):
        self.tokens.append((settings.get("FACEBOOK_PAGE_TOKENS", {}) or {}).get(target.external_id))
        return Receipt(external_id="post-1")


def test_dispatcher_uses_the_stored_token_unless_the_environment_overrides_it(app, demo, db, monkeypatch):
    from planner.models import Message

    capture = CapturingChannel()
    monkeypatch.setitem(REGISTRY, "fanpage", capture)
    from planner.operations.channel_accounts import create_account

    target = create_account(db, f.user(db, "admin"), commune(db), {
        "channel": "fanpage", "name": "Trang thử", "external_id": "100000000000888", "token": TOKEN}, app.config)
    db.commit()
    msg = next(m for m in db.scalars(select(Message).where(Message.channel == "fanpage")) if m.approved)
    now = utcnow()
    f.occurrence(db, target=target, msg=msg, at=now - dt.timedelta(minutes=1))
    settings = dict(app.config, FACEBOOK_PAGE_TOKENS={})
    dispatch.dispatch_due(db, settings, now=now, worker_id="t")
    assert capture.tokens == [TOKEN]
    f.occurrence(db, target=target, msg=msg, at=now - dt.timedelta(seconds=30))
    settings = dict(app.config, FACEBOOK_PAGE_TOKENS={"100000000000888": "env-override-token"})
    dispatch.dispatch_due(db, settings, now=now, worker_id="t")
    assert capture.tokens[-1] == "env-override-token"
