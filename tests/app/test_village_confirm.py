"""Village confirmation: from the session's start, corrections (same day by the head, later by the officer), the
phone page's coming days, and emergencies shown on the phone page, calendar and roster."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from planner import localtime
from planner.db import utcnow
from planner.models import AuditEntry, ConfirmedVia, DeliveryStatus, Occurrence, OccurrenceSource
from planner.operations.delivery import DeliveryError, confirm_delivery, make_village_token
from planner.operations.repairs import insert_emergency_message
from tests.app import factories as f
from tests.conftest import csrf_from


def _tomorrow(hour: int, minute: int = 0) -> dt.datetime:
    return localtime.local_datetime(localtime.today(utcnow()) + dt.timedelta(days=1), dt.time(hour, minute))


@pytest.fixture()
def broadcast(demo, db):
    return f.occurrence(db, target=f.village_target(db, "thon-07"), msg=f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich"),
                        at=_tomorrow(17))


def _qr(db, delivery, aired, now, reason=""):
    return confirm_delivery(db, delivery, aired=aired, reason=reason, via=ConfirmedVia.QR_LINK, now=now,
                            name="Trưởng thôn")


def test_aired_is_refused_before_the_session_starts(db, broadcast):
    with pytest.raises(DeliveryError, match="Chưa đến giờ phát"):
        _qr(db, broadcast, True, _tomorrow(16, 59))
    assert _qr(db, broadcast, True, _tomorrow(17, 0))
    assert broadcast.status is DeliveryStatus.DELIVERED and broadcast.finished_at == _tomorrow(17, 0)


def test_the_head_corrects_a_mis_tap_the_same_day_and_it_is_audited(db, broadcast):
    _qr(db, broadcast, True, _tomorrow(17, 5))
    assert _qr(db, broadcast, False, _tomorrow(20, 0), reason="Bấm nhầm")
    assert broadcast.status is DeliveryStatus.FAILED and broadcast.reason == "Bấm nhầm"
    entries = db.scalars(select(AuditEntry).where(AuditEntry.entity_id == broadcast.id,
                                                  AuditEntry.entity_type == "deliveries")
                         .order_by(AuditEntry.id)).all()
    assert [(e.action, e.from_state, e.to_state) for e in entries] == [
        ("delivery.confirm", "planned", "delivered"), ("delivery.correct", "delivered", "failed")]


def test_the_next_day_only_the_officer_corrects(db, broadcast):
    _qr(db, broadcast, True, _tomorrow(17, 5))
    with pytest.raises(DeliveryError, match="cán bộ văn hóa xã sửa giúp"):
        _qr(db, broadcast, False, _tomorrow(17, 5) + dt.timedelta(days=1), reason="Loa hỏng")
    officer = f.user(db, "vanhoa")
    assert confirm_delivery(db, broadcast, aired=False, reason="Trưởng thôn báo loa hỏng", via=ConfirmedVia.USER,
                            now=_tomorrow(17, 5) + dt.timedelta(days=1), user=officer)
    assert broadcast.status is DeliveryStatus.FAILED and broadcast.confirmed_by_id == officer.id


def test_phone_page_shows_the_coming_days_and_offers_no_confirmation_before_airtime(app, db, broadcast):
    today = localtime.today(utcnow())
    token = make_village_token("test-secret", broadcast.occurrence.target_id, today, today + dt.timedelta(days=10))
    html = app.test_client().get(f"/x/{token}").get_data(as_text=True)
    assert "Hôm nay" in html and "Ngày mai" in html and html.count('class="phone-day"') == 7
    assert broadcast.occurrence.version.title in html and "Xác nhận được từ 17:00" in html
    assert f'action="/x/{token}/deliveries/{broadcast.id}"' not in html


def test_two_emergencies_in_a_village_play_one_after_the_other_and_show_everywhere(app, login, db):
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    village = db.scalar(select(f.Unit).where(f.Unit.code == "thon-07"))
    officer = f.user(db, "vanhoa")
    first, second = (f.message(db, "ngoc-lac-asxh-2026", code) for code in ("loa-cao-diem", "loa-loi-ich"))
    for message in (first, second):
        insert_emergency_message(db, message, village, sessions_ahead=1, now=utcnow(), settings=app.config,
                                 user=officer)
    db.commit()
    urgent = db.scalars(select(Occurrence).where(Occurrence.source == OccurrenceSource.EMERGENCY)
                        .order_by(Occurrence.starts_at)).all()
    assert len(urgent) == 2 and urgent[0].session_starts_at == urgent[1].session_starts_at
    assert urgent[1].starts_at == urgent[0].starts_at + dt.timedelta(seconds=urgent[0].duration_seconds)
    day = localtime.fmt_date(urgent[0].starts_at)
    client = login("vanhoa")
    cal = client.get(f"/plans/{plan.id}/calendar?unit={village.id}&view=day&date={day}").get_data(as_text=True)
    assert cal.count('class="mark mark-emergency">Tin khẩn') == 1 + 2    # the legend and both items
    month = client.get(f"/plans/{plan.id}/calendar?unit={village.parent_id}&view=month&date={day}")
    assert "2 tin khẩn" in month.get_data(as_text=True)
    roster = client.get(f"/plans/{plan.id}/targets/{urgent[0].target_id}/roster?start={day}&end={day}")
    assert roster.get_data(as_text=True).count("badge-emergency") == 2
    today = localtime.today(utcnow())
    token = make_village_token("test-secret", urgent[0].target_id, today, today + dt.timedelta(days=7))
    phone = app.test_client().get(f"/x/{token}").get_data(as_text=True)
    assert phone.count('confirm-item status-planned emergency') == 2


def test_the_printed_roster_marks_emergencies_and_ad_hoc_sessions():
    import io

    import pypdf

    from planner import printing

    rows = [{"date": "02/03/2026", "weekday": "Thứ Hai", "session": "17:00–17:02", "title": "Cảnh báo bão số 3",
             "duration": "2:00", "status": "Đã lên lịch", "note": "", "marks": ["Tin khẩn"]},
            {"date": "02/03/2026", "weekday": "Thứ Hai", "session": "12:00–12:01", "title": "Lịch tiêm chủng",
             "duration": "1:00", "status": "Đã lên lịch", "note": "", "marks": ["Phiên đột xuất"]}]
    rendered = printing.render_roster(unit_name="Thôn 7", commune_name="Xã Ngọc Lặc", plan_title="Kế hoạch",
                                      period_label="02/03/2026", rows=rows, confirm_url="https://x.example/x/1",
                                      generated_at_label="now")
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(rendered.data)).pages)
    assert "[Tin khẩn]" in text and "[Phiên đột xuất]" in text
