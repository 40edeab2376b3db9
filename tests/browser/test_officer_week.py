"""The officer's week in a real browser: move a broadcast into another session (refused into a full one, with
the reason; an ad hoc session only when chosen), insert an emergency (marked in the calendar and on the village
phone page), work "Cần xử lý" down to empty with a make-up and a bulk "handled", and the village head confirms
and corrects a mis-tap on a phone."""
from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import expect
from sqlalchemy import select

from planner import localtime
from planner.db import utcnow
from planner.models import DeliveryStatus, Occurrence, OccurrenceSource, Unit
from planner.operations.delivery import make_village_token
from tests.app import factories as f
from tests.browser.conftest import horizontal_overflow, login_as, look

PLAN = "ngoc-lac-asxh-2026"


def _at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    return localtime.local_datetime(localtime.today(utcnow()) + dt.timedelta(days=days), dt.time(hour, minute))


def _week(db):
    """Thôn 7: one broadcast in 2 days' morning session, a full evening session in 3 days, three to look after."""
    target = f.village_target(db, "thon-07")
    msg, filler = f.message(db, PLAN, "loa-loi-ich"), f.message(db, PLAN, "loa-dieu-kien-ho-tro")
    planned = f.occurrence(db, target=target, msg=msg, at=_at(2, 5, 30))
    f.occurrence(db, target=target, msg=filler, at=_at(3, 17), duration=900)
    missed = f.occurrence(db, target=target, msg=msg, at=_at(-1, 17), status=DeliveryStatus.MISSED)
    failed = [f.occurrence(db, target=target, msg=filler, at=_at(-d, 5, 30), status=DeliveryStatus.FAILED)
              for d in (2, 3)]
    return target, planned, missed, failed


def test_officer_moves_inserts_an_emergency_and_closes_the_attention_list(contexts, demo):
    target, planned, missed, failed = _week(demo)
    plan = f.plan(demo, PLAN)
    page = contexts.new_page()
    login_as(page, "vanhoa")

    # Move: a full session is refused with the reason, 23:30 is no session, a session with room takes it.
    page.goto(f"/occurrences/{planned.occurrence_id}")
    form = page.locator("#move-form")
    form.get_by_label("Ngày").fill(localtime.fmt_date(_at(3, 17)))
    form.get_by_label("Giờ").fill("17:00")
    form.get_by_role("button", name="Dời và ghim").click()
    expect(page.get_by_role("alert")).to_contain_text("đã đầy (15:00/15:00)")
    page.locator("#move-form").get_by_label("Ngày").fill(localtime.fmt_date(_at(3, 23)))
    page.locator("#move-form").get_by_label("Giờ").fill("23:30")
    page.locator("#move-form").get_by_role("button", name="Dời và ghim").click()
    expect(page.get_by_role("alert")).to_contain_text("Không có phiên phát nào")
    look(page, "c1-move-refused")
    page.locator("#move-form").get_by_label("Ngày").fill(localtime.fmt_date(_at(3, 5)))
    page.locator("#move-form").get_by_label("Giờ").fill("05:30")
    page.locator("#move-form").get_by_role("button", name="Dời và ghim").click()
    expect(page.get_by_role("status")).to_contain_text("Đã dời lịch")
    expect(page.locator("dl.facts")).to_contain_text(localtime.fmt_date(_at(3, 5)))
    expect(page.locator("#undo-form").get_by_role("button", name="Hoàn tác")).to_be_visible()
    look(page, "c2-moved-with-undo")

    # A cancel asks first, and can be undone.
    page.locator("#move-form").get_by_role("button", name="Hủy lượt này…").click()
    confirm = page.locator("#cancel")
    expect(confirm.get_by_role("heading", name="Hủy lượt này?")).to_be_visible()
    confirm.get_by_role("button", name="Có, hủy lượt này").click()
    expect(page.locator("dl.facts .badge-cancelled")).to_have_text("Đã hủy")
    page.locator("#undo-form").get_by_role("button", name="Hoàn tác").click()
    expect(page.get_by_role("status")).to_contain_text("Đã hoàn tác")
    expect(page.locator("dl.facts .badge-planned")).to_have_text("Đã lên lịch")

    # Emergency into Thôn 7's next session: marked in the calendar.
    page.goto(f"/plans/{plan.id}/emergency")
    village = demo.scalar(select(Unit).where(Unit.code == "thon-07"))
    emergency = page.locator("#emergency-form")
    emergency.get_by_label("Tin (đã duyệt)").select_option(label=f.message(demo, PLAN, "loa-cao-diem").approved.title)
    emergency.get_by_label("Đơn vị").select_option(value=str(village.id))
    emergency.get_by_label("Số phiên liên tiếp").fill("1")
    emergency.get_by_role("button", name="Chèn tin khẩn").click()
    expect(page.locator("#emergency-outcome")).to_contain_text("Đã chèn 1 lượt tin khẩn")
    demo.rollback()
    urgent = demo.scalar(select(Occurrence).where(Occurrence.source == OccurrenceSource.EMERGENCY))
    page.goto(f"/plans/{plan.id}/calendar?unit={village.id}&view=day&date={localtime.fmt_date(urgent.starts_at)}")
    item = page.locator(f"table.calendar.day a[href$='/occurrences/{urgent.id}']")
    expect(item.locator(".mark-emergency")).to_have_text("Tin khẩn")
    look(page, "c3-calendar-emergency")

    # "Cần xử lý": make up the missed broadcast, then mark the rest handled in bulk over the village filter.
    page.goto(f"/plans/{plan.id}/attention")
    page.get_by_label("Thôn", exact=True).select_option(label="Thôn 7")
    page.get_by_role("button", name="Lọc").click()
    expect(page.locator("#attention-total")).to_contain_text("3 lượt cần xử lý theo bộ lọc")
    look(page, "c4-attention")
    page.locator(f"#item-{missed.id}").get_by_role("button", name="Phát bù").click()
    expect(page.get_by_role("status")).to_contain_text("Đã xếp lượt phát bù lúc")
    expect(page.locator(f"#item-{missed.id}")).to_have_count(0)
    bulk = page.locator("#bulk-form")
    bulk.get_by_label("Tất cả 2 lượt theo bộ lọc").check()
    bulk.get_by_label("Lý do").fill("Loa hỏng, đã sửa")
    bulk.get_by_role("button", name="Đánh dấu đã xử lý").click()
    expect(page.get_by_role("status")).to_contain_text("Đã đánh dấu đã xử lý 2 lượt")
    expect(page.locator(".empty")).to_have_text("Không còn lượt nào cần xử lý.")
    look(page, "c5-attention-empty")

    # The village phone page shows the emergency, marked, among the coming days.
    today = localtime.today(utcnow())
    token = make_village_token("test-secret", target.id, today, today + dt.timedelta(days=7))
    phone = contexts.new_page(phone=True)
    phone.goto(f"/x/{token}")
    card = phone.locator(f"#d{urgent.delivery.id}")
    expect(card.locator(".mark-emergency")).to_have_text("Tin khẩn")
    expect(phone.get_by_role("heading", name=re.compile(r"^Ngày mai, "))).to_be_visible()
    assert horizontal_overflow(phone) <= 0
    look(phone, "c6-phone-emergency")


def test_village_head_confirms_and_corrects_a_mis_tap(contexts, demo):
    target = f.village_target(demo, "thon-07")
    start_of_today = localtime.local_day_bounds(localtime.today(utcnow()))[0]
    aired = f.occurrence(demo, target=target, msg=f.message(demo, PLAN, "loa-loi-ich"),    # today, already aired
                         at=max(utcnow() - dt.timedelta(minutes=5), start_of_today + dt.timedelta(seconds=1)))
    later = f.occurrence(demo, target=target, msg=f.message(demo, PLAN, "loa-loi-ich"), at=_at(1, 17))
    today = localtime.today(utcnow())
    token = make_village_token("test-secret", target.id, today - dt.timedelta(days=1), today + dt.timedelta(days=3))
    phone = contexts.new_page(phone=True)
    phone.goto(f"/x/{token}")
    expect(phone.locator(f"#d{later.id}")).to_contain_text("Xác nhận được từ 17:00")
    expect(phone.locator(f"#d{later.id}").get_by_role("button", name="Đã phát")).to_have_count(0)
    card = phone.locator(f"#d{aired.id}")
    card.get_by_role("button", name="Đã phát").tap()
    expect(phone.get_by_role("status")).to_contain_text("Đã ghi nhận: đã phát")
    card.locator("summary", has_text="Sửa: không phát được").tap()
    card.get_by_label("Lý do").select_option("Bấm nhầm")
    card.get_by_role("button", name="Gửi lý do").tap()
    expect(phone.get_by_role("status").first).to_contain_text("Đã ghi nhận: không phát được")
    expect(card.locator(".done")).to_contain_text("Bấm nhầm")
    expect(card.get_by_role("button", name="Sửa: đã phát")).to_be_visible()
    assert horizontal_overflow(phone) <= 0
    look(phone, "c7-phone-corrected")


def test_officer_drags_a_broadcast_into_another_session_of_the_week(contexts, demo):
    # Day d and d + 1 in the same calendar week (Monday to Sunday).
    d = next(n for n in (2, 3) if (localtime.today(utcnow()) + dt.timedelta(days=n)).weekday() < 6)
    target = f.village_target(demo, "thon-07")
    planned = f.occurrence(demo, target=target, msg=f.message(demo, PLAN, "loa-loi-ich"), at=_at(d, 5, 30))
    f.occurrence(demo, target=target, msg=f.message(demo, PLAN, "loa-dieu-kien-ho-tro"), at=_at(d, 17), duration=900)
    plan = f.plan(demo, PLAN)
    page = contexts.new_page()
    login_as(page, "vanhoa")
    page.goto(f"/plans/{plan.id}/calendar?unit={target.unit_id}&date={localtime.fmt_date(_at(d, 5))}")
    expect(page.locator("#calendar-today")).to_be_visible()
    item = page.locator(f"a.occ[data-move$='/occurrences/{planned.occurrence_id}/move']")
    item.drag_to(page.locator(f".session[data-start='{_at(d, 17).isoformat()}']"))
    expect(page.get_by_role("alert")).to_contain_text("đã đầy")
    room = page.locator(f".session[data-start='{_at(d + 1, 5, 30).isoformat()}']")
    item.drag_to(room)
    expect(page.get_by_role("status")).to_contain_text("Đã dời sang")
    moved = room.locator(f"a.occ[data-move$='/occurrences/{planned.occurrence_id}/move']")
    expect(moved).to_have_count(1)
    expect(moved.get_by_role("img", name="đã ghim")).to_have_count(1)     # a move pins, and shows it at once
    look(page, "c8-calendar-dragged")
    demo.rollback()
    assert demo.get(Occurrence, planned.occurrence_id).session_starts_at == _at(d + 1, 5, 30)
    # Both sessions' fill reads as the server now draws it.
    drawn = contexts.new_page()
    login_as(drawn, "vanhoa")
    drawn.goto(page.url)
    for start in (_at(d, 5, 30), _at(d + 1, 5, 30)):
        fill = f".session[data-start='{start.isoformat()}'] .fill"
        expect(page.locator(fill)).to_have_text(drawn.locator(fill).inner_text())
    assert page.locator(f".session[data-start='{_at(d + 1, 5, 30).isoformat()}'] .fill").inner_text() != "0%"

    # Undo right there: the broadcast goes back to its session, unpinned.
    page.locator("#calendar-message").get_by_role("button", name="Hoàn tác").click()
    expect(page.get_by_role("status")).to_contain_text("Đã hoàn tác")
    home = page.locator(f".session[data-start='{_at(d, 5, 30).isoformat()}']")
    expect(home.locator(f"a.occ[data-move$='/occurrences/{planned.occurrence_id}/move']")).to_have_count(1)
    expect(home.get_by_role("img", name="đã ghim")).to_have_count(0)
    expect(room.locator(".fill")).to_have_text("0%")
    demo.rollback()
    back = demo.get(Occurrence, planned.occurrence_id)
    assert back.session_starts_at == _at(d, 5, 30) and not back.is_pinned


def test_officer_drags_a_broadcast_to_another_day_of_a_villages_month(contexts, demo):
    # Days b, b + 1, b + 2 in the same month.
    today = localtime.today(utcnow())
    b = next(n for n in range(2, 6) if (today + dt.timedelta(days=n)).month == (today + dt.timedelta(days=n + 2)).month)
    target = f.village_target(demo, "thon-07")
    planned = f.occurrence(demo, target=target, msg=f.message(demo, PLAN, "loa-loi-ich"), at=_at(b, 5, 30))
    # day b + 1: both sessions full, so a drop there is refused with the reason; day b + 2 has room.
    for hour, minute in ((5, 30), (17, 0)):
        f.occurrence(demo, target=target, msg=f.message(demo, PLAN, "loa-dieu-kien-ho-tro"), at=_at(b + 1, hour, minute),
                     duration=900)
    plan = f.plan(demo, PLAN)
    page = contexts.new_page()
    login_as(page, "vanhoa")
    page.goto(f"/plans/{plan.id}/calendar?unit={target.unit_id}&view=month&date={localtime.fmt_date(_at(b, 5))}")
    item = page.locator(f".month-dnd a.occ[data-move$='/occurrences/{planned.occurrence_id}/move']")
    full_day = page.locator(f".month-cell[data-sessions^='{_at(b + 1, 5, 30).isoformat()}']")
    room_day = page.locator(f".month-cell[data-sessions^='{_at(b + 2, 5, 30).isoformat()}']")
    item.drag_to(full_day)
    expect(page.get_by_role("alert")).to_contain_text("đã đầy")
    item.drag_to(room_day)
    expect(page.get_by_role("status")).to_contain_text("Đã dời sang")
    expect(room_day.locator(f"a.occ[data-move$='/occurrences/{planned.occurrence_id}/move']")).to_have_count(1)
    look(page, "c9-month-dragged")
    demo.rollback()
    assert demo.get(Occurrence, planned.occurrence_id).session_starts_at == _at(b + 2, 5, 30)


def test_the_month_of_a_whole_commune_says_how_to_move_and_leads_to_the_week_to_drag(contexts, demo):
    target = f.village_target(demo, "thon-07")
    planned = f.occurrence(demo, target=target, msg=f.message(demo, PLAN, "loa-loi-ich"), at=_at(2, 5, 30))
    plan = f.plan(demo, PLAN)
    page = contexts.new_page()
    login_as(page, "vanhoa")
    commune = target.unit.parent_id
    page.goto(f"/plans/{plan.id}/calendar?unit={commune}&view=month&date={localtime.fmt_date(_at(2, 5))}")
    hint = page.locator("#month-move-hint")
    expect(hint).to_contain_text("Để dời hoặc ghim một lượt")
    look(page, "c10-commune-month-hint")
    hint.get_by_role("link", name="xem theo tuần").click()
    expect(page.locator("#drag-hint")).to_be_visible()
    expect(page.locator(f"a.occ[draggable=true][data-move$='/occurrences/{planned.occurrence_id}/move']")).to_have_count(1)
    # The day view (a month cell's link) says the same and leads to the week too.
    page.goto(f"/plans/{plan.id}/calendar?unit={commune}&view=day&date={localtime.fmt_date(_at(2, 5))}")
    page.locator("#day-move-hint").get_by_role("link", name="xem theo tuần").click()
    expect(page.locator(f"a.occ[draggable=true][data-move$='/occurrences/{planned.occurrence_id}/move']")).to_have_count(1)
