"""People hear about what needs them: one inbox item per event for the right people, and nobody else's."""
from __future__ import annotations

from sqlalchemy import select

from planner.db import utcnow
from planner.models import Notification, OutboxMail
from tests.app import factories as f
from tests.app.test_api import api, assert_error, plan_id  # noqa: F401 — the `api` fixture
from tests.conftest import csrf_from


def _inbox(api, username: str, **params) -> dict:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    resp = api(username).get(f"/notifications?{query}")
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def _new_message(api, demo, username="bientap", plan="bhxh-2728-2023", channel="fanpage"):
    client = api(username)
    pid = plan_id(demo, plan)
    audience = client.get(f"/plans/{pid}").get_json()["audiences"][0]["id"]
    body = client.post(f"/plans/{pid}/messages", json={"title": "Tin cần duyệt", "body_md": "Nội dung.",
                                                       "audience_id": audience, "channel": channel}).get_json()
    return client, body["id"], body["versions"][0]["id"]


def test_submitting_tells_the_approvers_who_may_review_and_no_one_else(api, demo):
    client, mid, vid = _new_message(api, demo)
    assert client.post(f"/messages/{mid}/versions/{vid}/submit").status_code == 200
    inbox = _inbox(api, "duyet")
    assert inbox["total"] == 1 and inbox["items"][0]["kind"] == "message.submitted"
    assert "Tin cần duyệt" in inbox["items"][0]["text"] and inbox["items"][0]["link"] == f"/messages/{mid}"
    assert _inbox(api, "duyetxa")["total"] == 0      # the commune's approver may not review BHXH's messages
    assert _inbox(api, "bientap")["total"] == 0      # nobody is told of their own action


def test_a_commune_message_goes_to_the_commune_approver(api, demo):
    client, mid, vid = _new_message(api, demo, "vanhoa", "ngoc-lac-asxh-2026", "loudspeaker")
    client.post(f"/messages/{mid}/versions/{vid}/submit")
    assert _inbox(api, "duyetxa")["total"] == 1 and _inbox(api, "duyet")["total"] == 0


def test_sending_back_tells_the_author_with_the_note_and_approval_tells_them_too(api, demo):
    client, mid, vid = _new_message(api, demo)
    client.post(f"/messages/{mid}/versions/{vid}/submit")
    api("duyet").post(f"/messages/{mid}/versions/{vid}/review", json={"decision": "changes",
                                                                      "note": "Thêm số điện thoại hỗ trợ"})
    items = _inbox(api, "bientap")["items"]
    assert items[0]["kind"] == "message.reviewed" and "Thêm số điện thoại hỗ trợ" in items[0]["text"]
    client.post(f"/messages/{mid}/versions/{vid}/submit")
    api("duyet").post(f"/messages/{mid}/versions/{vid}/review", json={"decision": "approve"})
    items = _inbox(api, "bientap")["items"]
    assert len(items) == 2 and "đã duyệt" in items[0]["text"]


def test_nobody_reads_or_marks_another_persons_notifications(api, demo):
    client, mid, vid = _new_message(api, demo)
    client.post(f"/messages/{mid}/versions/{vid}/submit")
    item = _inbox(api, "duyet")["items"][0]
    assert_error(api("bientap").post(f"/notifications/{item['id']}/read"), 404)
    assert_error(api("duyetxa").post(f"/notifications/{item['id']}/read"), 404)
    assert api("bientap").post("/notifications/read-all").get_json()["marked"] == 0
    assert _inbox(api, "duyet", unread=1)["total"] == 1
    read = api("duyet").post(f"/notifications/{item['id']}/read")
    assert read.status_code == 200 and read.get_json()["is_read"] is True
    assert _inbox(api, "duyet", unread=1)["total"] == 0 and _inbox(api, "duyet")["total"] == 1


def test_inbox_api_pages_and_counts_unread(api, demo):
    from planner.operations.notifications import notify

    duyet = f.user(demo, "duyet")
    for n in range(5):
        notify(demo, [duyet], "report.due", f"Việc {n}", now=utcnow())
    demo.commit()
    page = api("duyet").get("/notifications?limit=2&offset=2")
    body = page.get_json()
    assert body["total"] == 5 and [i["text"] for i in body["items"]] == ["Việc 2", "Việc 1"]
    assert page.headers["X-Unread-Count"] == "5"
    assert_error(api("duyet").get("/notifications?unread=maybe"), 400, "unread")
    assert api("duyet").post("/notifications/read-all").get_json()["marked"] == 5
    assert _inbox(api, "duyet", unread="true")["total"] == 0


def test_top_bar_shows_the_unread_count_and_the_inbox_marks_read(api, login, demo):
    client, mid, vid = _new_message(api, demo)
    client.post(f"/messages/{mid}/versions/{vid}/submit")
    browser = login("duyet")
    page = browser.get("/notifications").get_data(as_text=True)
    assert 'data-unread="1"' in page and "Tin cần duyệt" in page
    nid = demo.scalar(select(Notification.id).where(Notification.user_id == f.user(demo, "duyet").id))
    resp = browser.post(f"/notifications/{nid}/read", data={"csrf_token": csrf_from(page), "open": "1"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/messages/{mid}")
    assert 'data-unread="0"' in browser.get("/notifications").get_data(as_text=True)
    assert login("bientap").post(f"/notifications/{nid}/read", data={"csrf_token": csrf_from(page)}).status_code \
        in (400, 404)


def test_email_preference_queues_mail_only_for_the_chosen_kinds(api, login, demo):
    browser = login("duyet")
    page = browser.get("/account/notifications").get_data(as_text=True)
    bad = browser.post("/account/notifications", data={"csrf_token": csrf_from(page), "email": "không hợp lệ"})
    assert bad.status_code == 200 and "không hợp lệ" in bad.get_data(as_text=True)
    ok = browser.post("/account/notifications", data={"csrf_token": csrf_from(page), "email": "duyet@example.vn",
                                                      "kinds": ["message.submitted"]})
    assert ok.status_code == 302
    assert api("duyet").get("/account/notifications").get_json()["kinds"] == ["message.submitted"]
    client, mid, vid = _new_message(api, demo)
    client.post(f"/messages/{mid}/versions/{vid}/submit")
    mails = demo.scalars(select(OutboxMail)).all()
    assert [m.to_address for m in mails] == ["duyet@example.vn"] and "Tin cần duyệt" in mails[0].body
    assert mails[0].sent_at is None      # never sent in the request: the worker sends it
    assert_error(api("duyet").put("/account/notifications", json={"email": "a@b.vn", "kinds": ["x"]}), 400, "kinds")


def test_the_send_back_note_stays_on_the_message_page_until_the_next_approval(api, login, demo):
    client, mid, vid = _new_message(api, demo)
    client.post(f"/messages/{mid}/versions/{vid}/submit")
    api("duyet").post(f"/messages/{mid}/versions/{vid}/review", json={"decision": "changes",
                                                                      "note": "Ghi rõ hạn chót"})
    page = login("bientap")
    assert "Ghi rõ hạn chót" in page.get(f"/messages/{mid}").get_data(as_text=True)
    edited = client.patch(f"/messages/{mid}", json={"body_md": "Nội dung, hạn chót 15/4."})
    assert edited.status_code == 200 and edited.get_json()["latest_version"]["status"] == "draft"
    assert "Ghi rõ hạn chót" in page.get(f"/messages/{mid}").get_data(as_text=True)   # edited: still shown
    client.post(f"/messages/{mid}/versions/{vid}/submit")
    assert "Ghi rõ hạn chót" in page.get(f"/messages/{mid}").get_data(as_text=True)   # resubmitted: still shown
    assert client.get(f"/messages/{mid}").get_json()["change_request"]["note"] == "Ghi rõ hạn chót"
    api("duyet").post(f"/messages/{mid}/versions/{vid}/review", json={"decision": "approve"})
    assert "Ghi rõ hạn chót" not in page.get(f"/messages/{mid}").get_data(as_text=True)
    assert client.get(f"/messages/{mid}").get_json()["change_request"] is None
