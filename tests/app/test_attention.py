"""'Cần xử lý' closes: make-up into the next free session, mark handled with a reason, filters, paging, bulk."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from planner import localtime
from planner.db import utcnow
from planner.models import AuditEntry, Delivery, DeliveryStatus, Occurrence
from planner.operations import attention
from tests.app import factories as f
from tests.conftest import csrf_from


def _missed(db, village="thon-07", days_ago=1, status=DeliveryStatus.MISSED):
    at = localtime.local_datetime(localtime.today(utcnow()) - dt.timedelta(days=days_ago), dt.time(17, 0))
    return f.occurrence(db, target=f.village_target(db, village), msg=f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich"),
                        at=at, status=status)


def test_a_missed_broadcast_is_made_up_in_one_click_into_the_next_free_session(login, db):
    missed = _missed(db)
    client = login("vanhoa")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    page = client.get(f"/plans/{plan.id}/attention").get_data(as_text=True)
    assert f'action="/deliveries/{missed.id}/make-up"' in page
    resp = client.post(f"/deliveries/{missed.id}/make-up", data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "Đã xếp lượt phát bù lúc" in html and f'id="item-{missed.id}"' not in html
    made = db.scalar(select(Occurrence).where(Occurrence.replaces_delivery_id == missed.id))
    assert made.target_id == missed.occurrence.target_id and made.starts_at > utcnow()
    assert localtime.to_local(made.session_starts_at).time() in (dt.time(5, 30), dt.time(17, 0))
    assert "Phát bù lượt" in made.reason
    audit = db.scalar(select(AuditEntry).where(AuditEntry.action == "delivery.make_up"))
    assert audit.entity_id == missed.id and audit.user_id == f.user(db, "vanhoa").id
    again = client.post(f"/deliveries/{missed.id}/make-up", data={"csrf_token": csrf_from(page)}, follow_redirects=True)
    assert "đã có lượt phát bù" in again.get_data(as_text=True)


def test_marking_handled_needs_a_reason_and_takes_the_item_off_the_list(login, db):
    missed = _missed(db)
    client = login("vanhoa")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    csrf = csrf_from(client.get(f"/plans/{plan.id}/attention").get_data(as_text=True))
    refused = client.post(f"/deliveries/{missed.id}/handled", data={"csrf_token": csrf, "reason": " "},
                          follow_redirects=True).get_data(as_text=True)
    assert "Vui lòng ghi lý do" in refused and f'id="item-{missed.id}"' in refused
    done = client.post(f"/deliveries/{missed.id}/handled", data={"csrf_token": csrf, "reason": "Đã phát bằng xe loa"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Đã đánh dấu đã xử lý" in done and f'id="item-{missed.id}"' not in done
    db.expire_all()
    row = db.get(Delivery, missed.id)
    assert row.handled_at is not None and row.handled_reason == "Đã phát bằng xe loa"
    assert row.status is DeliveryStatus.MISSED


def test_the_list_filters_by_village_and_status_and_pages(login, db):
    for days in range(1, 4):
        _missed(db, "thon-07", days)
    other = _missed(db, "thon-08", 1, DeliveryStatus.FAILED)
    client = login("vanhoa")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    village = other.occurrence.target.unit_id
    html = client.get(f"/plans/{plan.id}/attention?village={village}").get_data(as_text=True)
    assert f'id="item-{other.id}"' in html and html.count('id="item-') == 1
    html = client.get(f"/plans/{plan.id}/attention?status=failed").get_data(as_text=True)
    assert html.count('id="item-') == 1
    rows, total = attention.open_items(db, plan, f.user(db, "vanhoa").unit, attention.AttentionFilter(), limit=2,
                                       offset=2)
    assert total == 4 and len(rows) == 2


def test_bulk_handled_over_the_filtered_selection(login, db):
    items = [_missed(db, "thon-07", days) for days in range(1, 4)]
    keep = _missed(db, "thon-08", 1)
    client = login("vanhoa")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    village = items[0].occurrence.target.unit_id
    csrf = csrf_from(client.get(f"/plans/{plan.id}/attention").get_data(as_text=True))
    resp = client.post(f"/plans/{plan.id}/attention/bulk", data={
        "csrf_token": csrf, "scope": "filter", "village": village, "action": "handled", "reason": "Loa hỏng cả tuần"},
        follow_redirects=True)
    assert "Đã đánh dấu đã xử lý 3 lượt" in resp.get_data(as_text=True)
    db.expire_all()
    assert all(db.get(Delivery, d.id).handled_at for d in items) and db.get(Delivery, keep.id).handled_at is None


def test_bulk_make_up_of_ticked_items(login, db):
    items = [_missed(db, "thon-07", days) for days in (1, 2)]
    client = login("vanhoa")
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    csrf = csrf_from(client.get(f"/plans/{plan.id}/attention").get_data(as_text=True))
    resp = client.post(f"/plans/{plan.id}/attention/bulk", data={
        "csrf_token": csrf, "action": "make_up", "ids": [d.id for d in items]}, follow_redirects=True)
    assert "Đã xếp phát bù 2 lượt" in resp.get_data(as_text=True)
    made = db.scalars(select(Occurrence).where(Occurrence.replaces_delivery_id.in_([d.id for d in items]))).all()
    assert len(made) == 2 and len({m.session_starts_at for m in made}) == 2


def test_deadlines_appear_before_they_fall_due(login, db):
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    today = localtime.today(utcnow())
    plan.details = {**plan.details, "deadlines": [
        {"what": "Nộp danh sách hộ chưa tích hợp", "due": localtime.fmt_date(today + dt.timedelta(days=5))},
        {"what": "Đã qua", "due": localtime.fmt_date(today - dt.timedelta(days=1))},
        {"what": "Còn xa", "due": localtime.fmt_date(today + dt.timedelta(days=90))}]}
    db.commit()
    html = login("vanhoa").get(f"/plans/{plan.id}/attention").get_data(as_text=True)
    assert "Sắp đến hạn" in html and "Nộp danh sách hộ chưa tích hợp" in html and "còn 5 ngày" in html
    assert "Đã qua" not in html and "Còn xa" not in html
    yearly = attention.upcoming_deadlines(plan, dt.date(2026, 12, 20))
    assert all(d.days_left >= 0 for d in yearly)
    assert attention._due_date("05/01", dt.date(2026, 12, 20), True) == dt.date(2027, 1, 5)


def test_a_failed_post_is_posted_again_in_the_pages_next_session_after_the_lead_time(app, login, db):
    target = db.scalar(select(f.Target).join(f.Unit).where(f.Target.channel == "fanpage",
                                                           f.Unit.code == "bhxh-trung-tam-truyen-thong"))
    msg = f.message(db, "bhxh-2728-2023", "fb-1-2-ket-qua")
    failed = f.occurrence(db, target=target, msg=msg, at=utcnow() - dt.timedelta(hours=3), status=DeliveryStatus.FAILED)
    unknown = f.occurrence(db, target=target, msg=msg, at=utcnow() - dt.timedelta(hours=4),
                           status=DeliveryStatus.UNKNOWN)
    editor = f.user(db, "bientap")
    made = attention.make_up_delivery(db, failed, user=editor, now=utcnow(), settings=app.config)
    assert made.target_id == target.id and made.delivery.channel == "fanpage"
    assert made.starts_at >= utcnow() + dt.timedelta(seconds=app.config["FACEBOOK_MIN_LEAD_SECONDS"] - 5)
    assert localtime.to_local(made.session_starts_at).time() in (dt.time(11, 30), dt.time(19, 30))
    assert "Đăng lại" in made.reason
    import pytest

    with pytest.raises(attention.DeliveryError, match="đối soát trước"):
        attention.make_up_delivery(db, unknown, user=editor, now=utcnow(), settings=app.config)


def test_the_village_filter_offers_only_villages_of_the_plan_within_the_users_unit(login, db):
    from planner.models import Unit
    from planner.operations.units import create_unit

    admin = f.user(db, "admin")
    province = db.scalar(select(Unit).where(Unit.code == "tinh-thanh-hoa"))
    other = create_unit(db, admin, {"parent_id": str(province.id), "kind": "commune", "code": "xa-khac",
                                    "name": "Xã Khác"})
    create_unit(db, admin, {"parent_id": str(other.id), "kind": "village", "code": "thon-xa-khac",
                            "name": "Thôn Xa Khác"})
    db.commit()
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    for user in ("admin", "vanhoa"):
        html = login(user).get(f"/plans/{plan.id}/attention").get_data(as_text=True)
        options = html.split('id="f-village"')[1].split("</select>")[0]
        assert "Thôn 7" in options and "Thôn Xa Khác" not in options, user


def test_the_monthly_report_due_date_appears_before_it_falls_due_and_leaves_once_sent(login, db):
    from planner.models import DueItem

    today = localtime.today(utcnow())
    due = today.replace(day=5) if today.day <= 5 else (today.replace(day=1) + dt.timedelta(days=32)).replace(day=5)
    reported = due.replace(day=1) - dt.timedelta(days=1)        # the month the report covers
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    client = login("vanhoa")
    html = client.get(f"/plans/{plan.id}/attention").get_data(as_text=True)
    line = f"Báo cáo kết quả tháng {reported.month}/{reported.year}"
    assert "Sắp đến hạn" in html and line in html and localtime.fmt_date(due) in html
    item = db.scalar(select(DueItem).where(DueItem.plan_id == plan.id, DueItem.due_on == due,
                                           DueItem.title.startswith(line)))
    item.done_at = utcnow()
    db.commit()
    assert line not in client.get(f"/plans/{plan.id}/attention").get_data(as_text=True)
