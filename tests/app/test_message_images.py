"""Pictures of a message: uploaded in the page or the API, checked by content, stored 0600 by SHA-256, part of
the approved version (a change after submission is a new draft), served only to people who may see the message."""
from __future__ import annotations

import io
import os
import stat

import pytest
from PIL import Image
from sqlalchemy import func, select

from planner.auth import issue_token
from planner.db import utcnow
from planner.models import Message, MessageImage, User, VersionStatus
from planner.operations.images import image_path
from tests.app import factories as f
from tests.app.test_flow_editor import _write_and_approve
from tests.conftest import csrf_from

LINK = "https://dichvucong.gov.vn/tra-cuu"


def picture(kind="JPEG", colour=(10, 120, 200), size=(120, 80)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, kind)
    return out.getvalue()


def _draft(login, db, link=""):
    editor = login("bientap")
    plan = f.plan(db, "bhxh-2728-2023")
    page = editor.get(f"/plans/{plan.id}/messages/new").get_data(as_text=True)
    resp = editor.post(f"/plans/{plan.id}/messages/new", data={
        "csrf_token": csrf_from(page), "title": "Tra cứu BHXH", "body_md": "Tra cứu trên VNeID.", "link": link,
        "audience_id": plan.audiences[2].id, "channel": "fanpage"})
    assert resp.status_code == 302
    return editor, db.scalar(select(Message).where(Message.plan_id == plan.id).order_by(Message.id.desc()))


def _upload(client, message_id, data: bytes, alt="Người dân tra cứu BHXH trên điện thoại", name="anh.jpg"):
    csrf = csrf_from(client.get(f"/messages/{message_id}").get_data(as_text=True))
    return client.post(f"/messages/{message_id}/images", data={
        "csrf_token": csrf, "alt_text": alt, "image": (io.BytesIO(data), name)},
        content_type="multipart/form-data", follow_redirects=True)


def test_an_uploaded_picture_is_stored_privately_by_sha256_and_shown_on_the_message_page(app, login, db):
    editor, message = _draft(login, db)
    page = _upload(editor, message.id, picture()).get_data(as_text=True)
    assert "Đã thêm ảnh" in page
    db.expire_all()
    (image,) = db.get(Message, message.id).latest.images
    path = image_path(app.config["IMAGE_DIR"], image)
    assert path.name == f"{image.sha256}.jpg" and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    url = f"/messages/{message.id}/images/{image.id}"
    assert f'src="{url}"' in page and 'alt="Người dân tra cứu BHXH trên điện thoại"' in page
    served = editor.get(url)
    assert served.status_code == 200 and served.mimetype == "image/jpeg" and served.data == path.read_bytes()
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert app.test_client().get(url).status_code in (302, 401)           # not for anonymous visitors
    assert editor.get(f"/messages/{message.id}/images/{image.id + 1000}").status_code == 404


@pytest.mark.parametrize("data,alt,reason", [
    (b"GIF89a not really", "Mô tả", "JPEG, PNG hoặc WebP"),
    (b"", "Mô tả", "Chưa chọn tệp"),
    (picture(), "   ", "mô tả ảnh"),
])
def test_a_bad_file_or_a_missing_description_is_refused_in_vietnamese_and_nothing_is_written(
        app, login, db, data, alt, reason):
    editor, message = _draft(login, db)
    page = _upload(editor, message.id, data, alt=alt).get_data(as_text=True)
    assert "Chưa thêm ảnh" in page and reason in page
    assert db.scalar(select(func.count(MessageImage.id))) == 0
    assert not os.path.isdir(app.config["IMAGE_DIR"]) or not os.listdir(app.config["IMAGE_DIR"])


def test_a_picture_added_after_approval_makes_a_new_draft_and_the_approved_version_keeps_its_pictures(login, db):
    editor, message = _write_and_approve(login, db)
    approved = message.approved
    assert _upload(editor, message.id, picture()).status_code == 200
    db.expire_all()
    message = db.get(Message, message.id)
    draft = message.latest
    assert draft.number == approved.number + 1 and draft.status is VersionStatus.DRAFT
    assert message.approved.id == approved.id and message.approved.images == [] and len(draft.images) == 1
    page = editor.get(f"/messages/{message.id}").get_data(as_text=True)
    assert "phiên bản này đổi: ảnh" in page
    # Editing the text of the new draft keeps its picture; removing it from an approved version is a new draft too.
    csrf = csrf_from(editor.get(f"/messages/{message.id}").get_data(as_text=True))
    editor.post(f"/messages/{message.id}/versions/{draft.id}/submit", data={"csrf_token": csrf})
    approver = login("duyet")
    csrf = csrf_from(approver.get(f"/messages/{message.id}").get_data(as_text=True))
    approver.post(f"/messages/{message.id}/versions/{draft.id}/review", data={"csrf_token": csrf,
                                                                              "decision": "approve"})
    db.expire_all()
    message = db.get(Message, message.id)
    assert message.approved.id == draft.id and len(message.approved.images) == 1
    image_id = message.approved.images[0].id
    csrf = csrf_from(editor.get(f"/messages/{message.id}").get_data(as_text=True))
    editor.post(f"/messages/{message.id}/images/{image_id}/delete", data={"csrf_token": csrf})
    db.expire_all()
    message = db.get(Message, message.id)
    assert message.latest.images == [] and len(message.approved.images) == 1
    assert message.latest.number == draft.number + 1


def test_the_preview_shows_a_link_card_without_pictures_and_says_the_link_is_in_the_text_with_them(login, db):
    editor, message = _draft(login, db, link=LINK)
    csrf = csrf_from(editor.get(f"/messages/{message.id}/edit").get_data(as_text=True))
    form = {"csrf_token": csrf, "title": "Tra cứu BHXH", "headline": "Tra cứu BHXH trên VNeID",
            "body_md": "Tra cứu trên VNeID.", "link": LINK, "channel": "fanpage", "message_id": str(message.id)}
    preview = editor.post("/messages/preview", data=form).get_json()
    assert preview["card"] == {"domain": "dichvucong.gov.vn", "title": "Tra cứu BHXH trên VNeID", "url": LINK}
    assert preview["images"] == [] and preview["post"].endswith(LINK)
    _upload(editor, message.id, picture("PNG"))
    preview = editor.post("/messages/preview", data=form).get_json()
    assert "card" not in preview and "không hiện thẻ liên kết" in preview["link_note"]
    (image,) = preview["images"]
    assert image["alt"].startswith("Người dân") and editor.get(image["url"]).mimetype == "image/png"
    assert preview["post"].endswith(LINK)                                   # the link stays in the caption


def _api(app, db, username="bientap"):
    user = db.scalar(select(User).where(User.username == username))
    token, _ = issue_token(db, user, now=utcnow(), hours=1)
    db.commit()
    client = app.test_client()
    return client, {"Authorization": f"Bearer {token}"}


def test_api_uploads_lists_serves_and_deletes_pictures(app, login, db):
    _, message = _draft(login, db)
    client, auth = _api(app, db)
    url = f"/api/v1/messages/{message.id}/images"
    resp = client.post(url, headers=auth, content_type="multipart/form-data",
                       data={"image": (io.BytesIO(picture("WEBP")), "x.webp"), "alt_text": "Ảnh minh họa"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["mime"] == "image/webp" and body["message"]["latest_version"]["images"][0]["id"] == body["id"]
    assert resp.headers["Location"].endswith(body["url"])
    served = client.get(body["url"], headers=auth)
    assert served.status_code == 200 and served.headers["ETag"].strip('"') == body["sha256"]
    gone = client.delete(f"{url}/{body['id']}", headers=auth)
    assert gone.status_code == 200 and gone.get_json()["latest_version"]["images"] == []
    assert client.delete(f"{url}/{body['id']}", headers=auth).status_code == 404


@pytest.mark.parametrize("data,fields", [
    ({"image": (io.BytesIO(b"%PDF-1.7 no"), "a.jpg"), "alt_text": "Mô tả"}, {"image"}),
    ({"image": (io.BytesIO(picture()), "a.jpg")}, {"alt_text"}),
    ({"alt_text": "Mô tả"}, {"image"}),
])
def test_api_refuses_bad_pictures_with_a_422_naming_the_field_and_writes_nothing(app, login, db, data, fields):
    _, message = _draft(login, db)
    client, auth = _api(app, db)
    resp = client.post(f"/api/v1/messages/{message.id}/images", headers=auth, content_type="multipart/form-data",
                       data=data)
    assert resp.status_code == 422, resp.get_data(as_text=True)
    error = resp.get_json()["error"]
    assert error["code"] == "invalid_image" and set(error["fields"]) == fields and "<" not in error["message"]
    assert db.scalar(select(func.count(MessageImage.id))) == 0
    assert client.post(f"/api/v1/messages/{message.id}/images", headers=auth,
                       json={"alt_text": "x"}).status_code == 415


def test_api_refuses_a_fifth_picture_and_other_units_cannot_see_them(app, login, db):
    _, message = _draft(login, db)
    client, auth = _api(app, db)
    url = f"/api/v1/messages/{message.id}/images"
    added = [client.post(url, headers=auth, content_type="multipart/form-data", data={
        "image": (io.BytesIO(picture(colour=(n, 0, 0))), "a.jpg"), "alt_text": f"Ảnh {n}"}) for n in range(4)]
    assert [r.status_code for r in added] == [201] * 4
    fifth = client.post(url, headers=auth, content_type="multipart/form-data",
                        data={"image": (io.BytesIO(picture()), "a.jpg"), "alt_text": "Ảnh 5"})
    assert fifth.status_code == 422 and "tối đa 4 ảnh" in fifth.get_json()["error"]["message"]
    other, other_auth = _api(app, db, "vanhoa")                             # a commune officer: not this plan
    assert other.get(added[0].get_json()["url"], headers=other_auth).status_code == 404
    assert other.post(url, headers=other_auth, content_type="multipart/form-data", data={
        "image": (io.BytesIO(picture()), "a.jpg"), "alt_text": "x"}).status_code in (403, 404)
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "multipart/form-data" in doc["paths"]["/messages/{message_id}/images"]["post"]["requestBody"]["content"]
    assert "422" in doc["paths"]["/messages/{message_id}/images"]["post"]["responses"]


def test_a_channel_that_posts_no_pictures_says_so_in_the_preview_instead_of_showing_them(login, db):
    editor, message = _draft(login, db)
    _upload(editor, message.id, picture())
    csrf = csrf_from(editor.get(f"/messages/{message.id}/edit").get_data(as_text=True))
    preview = editor.post("/messages/preview", data={
        "csrf_token": csrf, "title": "Tra cứu", "body_md": "Tra cứu.", "channel": "zalo",
        "message_id": str(message.id)}).get_json()
    assert preview["images"] == [] and any("không đăng kèm ảnh" in p for p in preview["problems"])
