"""Optimistic concurrency: row versions, ETag / If-Match in the API, stale forms refused with both versions."""
from __future__ import annotations

from sqlalchemy import select

from planner.models import Message, PrintOrder
from tests.app import factories as f
from tests.app.test_api import ApiClient, api, approved_version_id, proof_approved, unit_id  # noqa: F401


def _with(client: ApiClient, **headers) -> ApiClient:
    tagged = ApiClient(client.client, "x")
    tagged.headers = {**client.headers, **headers}
    return tagged


def editable_message_id(db) -> int:
    plan = f.plan(db, "bhxh-2728-2023")
    return db.scalar(select(Message.id).where(Message.plan_id == plan.id, Message.channel == "fanpage")
                     .order_by(Message.id))


def test_message_etag_changes_when_its_text_is_saved(api, demo):
    editor, mid = api("bientap"), editable_message_id(demo)
    first = editor.get(f"/messages/{mid}")
    tag = first.headers["ETag"]
    saved = _with(editor, **{"If-Match": tag}).patch(f"/messages/{mid}", json={"body_md": "Nội dung **mới** hơn."})
    assert saved.status_code == 200, saved.get_json()
    assert saved.headers["ETag"] != tag and editor.get(f"/messages/{mid}").headers["ETag"] == saved.headers["ETag"]


def test_second_api_save_with_the_old_etag_is_refused_and_keeps_the_first(api, demo):
    editor, mid = api("bientap"), editable_message_id(demo)
    tag = editor.get(f"/messages/{mid}").headers["ETag"]
    first = _with(editor, **{"If-Match": tag}).patch(f"/messages/{mid}", json={"body_md": "Bản của người thứ nhất."})
    assert first.status_code == 200
    second = _with(editor, **{"If-Match": tag}).patch(f"/messages/{mid}", json={"body_md": "Bản của người thứ hai."})
    assert second.status_code == 412 and second.get_json()["error"]["code"] == "precondition_failed"
    assert second.headers["ETag"] == first.headers["ETag"]
    detail = editor.get(f"/messages/{mid}").get_json()
    assert detail["latest_version"]["body_md"] == "Bản của người thứ nhất." if "body_md" in detail["latest_version"] \
        else any(v.get("body_md") == "Bản của người thứ nhất." for v in detail["versions"])
    assert _with(editor, **{"If-Match": "*"}).patch(f"/messages/{mid}", json={"title": "Tiêu đề"}).status_code == 200


def test_print_order_status_honours_if_match(app, api, demo):
    vanhoa = api("vanhoa")
    order = vanhoa.post("/print-orders", json={
        "version_id": approved_version_id(demo, "ngoc-lac-asxh-2026", "leaflet"), "product": "leaflet_a5",
        "quantity": 100, "print_shop_id": unit_id(demo, "in-ngoc-lac")})
    oid = order.get_json()["id"]
    proof_approved(app, vanhoa, oid)        # the shop sees the order once its proof is approved
    tag = vanhoa.get(f"/print-orders/{oid}").headers["ETag"]
    inan = api("inan")
    assert inan.get(f"/print-orders/{oid}").headers["ETag"] == tag
    accepted = _with(inan, **{"If-Match": tag}).post(f"/print-orders/{oid}/status", json={"status": "accepted"})
    assert accepted.status_code == 200 and accepted.headers["ETag"] != tag
    stale = _with(vanhoa, **{"If-Match": tag}).post(f"/print-orders/{oid}/status", json={"status": "cancelled"})
    assert stale.status_code == 412
    demo.expire_all()
    assert demo.get(PrintOrder, oid).status.value == "accepted"


def test_plan_carries_an_etag(api, demo):
    plan = f.plan(demo, "ngoc-lac-asxh-2026")
    assert api("vanhoa").get(f"/plans/{plan.id}").headers["ETag"] == f'"plan-{plan.id}-{plan.row_version}"'


def test_two_sessions_saving_the_same_message_conflict_instead_of_overwriting(app, demo):
    import pytest
    from sqlalchemy.orm.exc import StaleDataError

    from planner.db import utcnow
    from planner.operations.content import edit_message

    mid = editable_message_id(demo)
    first, second = (app.extensions["planner_db"].session() for _ in range(2))
    try:
        mine, theirs = first.get(Message, mid), second.get(Message, mid)
        form = {"title": mine.latest.title, "audience_id": str(mine.audience_id), "channel": mine.channel,
                "min_per_week": "0", "peak_per_day": "0", "min_gap_hours": "0", "priority": "normal"}
        theirs.latest  # noqa: B018 — both loaded before either saves
        edit_message(first, mine, f.user(first, "bientap"), {**form, "body_md": "Người thứ nhất."}, now=utcnow())
        first.commit()
        with pytest.raises(StaleDataError):
            edit_message(second, theirs, f.user(second, "bientap"), {**form, "body_md": "Người thứ hai."},
                         now=utcnow())
            second.commit()
        second.rollback()
    finally:
        first.close()
        second.close()
    demo.expire_all()
    assert demo.get(Message, mid).latest.body_md == "Người thứ nhất."


def _version_from(html: str) -> str:
    import re

    match = re.search(r'name="row_version" value="(\d+)"', html)
    assert match, "the form does not carry the version it was drawn from"
    return match.group(1)


def test_stale_plan_settings_form_is_refused_and_says_so(login, demo):
    from tests.conftest import csrf_from

    plan = f.plan(demo, "ngoc-lac-asxh-2026")
    mine, theirs = login("vanhoa"), login("vanhoa")
    page = mine.get(f"/plans/{plan.id}").get_data(as_text=True)
    seen = {"csrf_token": csrf_from(page), "row_version": _version_from(page)}
    was_on = plan.is_replanning_missed
    other = theirs.get(f"/plans/{plan.id}").get_data(as_text=True)
    flipped = {} if was_on else {"replan_missed": "1"}
    theirs.post(f"/plans/{plan.id}/settings", data={"csrf_token": csrf_from(other), "row_version": _version_from(other),
                                                     **flipped})
    resp = mine.post(f"/plans/{plan.id}/settings", data={**seen, **({"replan_missed": "1"} if was_on else {})},
                     follow_redirects=True)      # would have switched it back
    assert "vừa được người khác lưu" in resp.get_data(as_text=True)
    demo.expire_all()
    assert f.plan(demo, "ngoc-lac-asxh-2026").is_replanning_missed is not was_on


def test_stale_print_order_button_is_refused(app, login, demo, api):
    from tests.conftest import csrf_from

    order_id = api("vanhoa").post("/print-orders", json={
        "version_id": approved_version_id(demo, "ngoc-lac-asxh-2026", "leaflet"), "product": "leaflet_a5",
        "quantity": 100, "print_shop_id": unit_id(demo, "in-ngoc-lac")}).get_json()["id"]
    proof_approved(app, api("vanhoa"), order_id)
    officer, shop = login("vanhoa"), login("inan")
    page = officer.get(f"/print-orders/{order_id}").get_data(as_text=True)
    stale = {"csrf_token": csrf_from(page), "row_version": _version_from(page), "status": "cancelled"}
    shop_page = shop.get(f"/print-orders/{order_id}").get_data(as_text=True)
    shop.post(f"/print-orders/{order_id}/status", data={"csrf_token": csrf_from(shop_page), "status": "accepted",
                                                         "row_version": _version_from(shop_page)})
    resp = officer.post(f"/print-orders/{order_id}/status", data=stale, follow_redirects=True)
    assert "Đơn in vừa được người khác lưu" in resp.get_data(as_text=True)
    demo.expire_all()
    assert demo.get(PrintOrder, order_id).status.value == "accepted"


def test_stale_occurrence_form_does_not_move_what_someone_else_moved(login, demo):
    import datetime as dt

    from planner import localtime
    from planner.db import utcnow
    from planner.models import Occurrence
    from tests.conftest import csrf_from

    plan = f.plan(demo, "ngoc-lac-asxh-2026")
    msg = next(m for m in demo.scalars(select(Message).where(Message.plan_id == plan.id,
                                                             Message.channel == "loudspeaker")) if m.approved)
    at = localtime.local_datetime(localtime.today(utcnow()) + dt.timedelta(days=3), dt.time(17, 0))
    occ_id = f.occurrence(demo, target=f.village_target(demo), msg=msg, at=at).occurrence_id
    mine, theirs = login("vanhoa"), login("vanhoa")
    page = mine.get(f"/occurrences/{occ_id}").get_data(as_text=True)
    other = theirs.get(f"/occurrences/{occ_id}").get_data(as_text=True)
    moved_to = localtime.fmt_date(localtime.today(utcnow()) + dt.timedelta(days=4))
    theirs.post(f"/occurrences/{occ_id}/change", data={"csrf_token": csrf_from(other), "action": "move",
                                                       "row_version": _version_from(other), "day": moved_to,
                                                       "at": "17:00"})
    resp = mine.post(f"/occurrences/{occ_id}/change", data={"csrf_token": csrf_from(page), "action": "cancel",
                                                            "confirmed": "yes",
                                                            "row_version": _version_from(page)}, follow_redirects=True)
    assert "vừa được người khác lưu" in resp.get_data(as_text=True)
    demo.expire_all()
    occ = demo.get(Occurrence, occ_id)
    assert occ.delivery.status.value == "planned" and localtime.fmt_date(occ.starts_at) == moved_to


def test_second_edit_form_save_is_refused_showing_both_texts_and_keeps_the_first(login, demo):
    import re
    from html import unescape

    from tests.conftest import csrf_from

    mid = editable_message_id(demo)
    first, second = login("bientap"), login("bientap")
    form_a = first.get(f"/messages/{mid}/edit").get_data(as_text=True)
    form_b = second.get(f"/messages/{mid}/edit").get_data(as_text=True)

    def fields(page: str, body: str) -> dict:
        values = dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', page))
        values.update({k: v for k, v in re.findall(
            r'<select[^>]*name="([a-z_]+)".*?<option value="([^"]*)" selected', page, re.S)})
        values.pop("once", None)
        return {**{k: unescape(v) for k, v in values.items()}, "csrf_token": csrf_from(page), "body_md": body}

    saved = first.post(f"/messages/{mid}/edit", data=fields(form_a, "Nội dung của người thứ nhất."))
    assert saved.status_code == 302, saved.get_data(as_text=True)[:2000]
    stale = second.post(f"/messages/{mid}/edit", data=fields(form_b, "Nội dung của người thứ hai."))
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409 and "Có người vừa lưu tin bài này" in html
    assert "Nội dung của người thứ hai." in html and "Nội dung của người thứ nhất." in html   # both shown
    demo.expire_all()
    assert demo.get(Message, mid).latest.body_md == "Nội dung của người thứ nhất."
    again = second.post(f"/messages/{mid}/edit", data=fields(html, "Gộp: thứ nhất và thứ hai."))
    assert again.status_code == 302     # a deliberate save after seeing the current text goes through
    demo.expire_all()
    assert demo.get(Message, mid).latest.body_md == "Gộp: thứ nhất và thứ hai."
