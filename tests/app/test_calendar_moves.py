"""Moving, cancelling and undoing by hand: only into sessions with room, ad hoc sessions only when asked."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from planner import localtime
from planner.db import utcnow
from planner.models import AuditEntry, DeliveryStatus
from planner.operations import moves
from planner.operations.placement import PlacementError
from tests.app import factories as f


def _at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    return localtime.local_datetime(localtime.today(utcnow()) + dt.timedelta(days=days), dt.time(hour, minute))


@pytest.fixture()
def setup(demo, db):
    target = f.village_target(db, "thon-07")
    msg = f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich")
    delivery = f.occurrence(db, target=target, msg=msg, at=_at(2, 5, 30))
    return db, target, msg, delivery.occurrence, f.user(db, "vanhoa")


@pytest.mark.parametrize("hour,minute", [(12, 0), (23, 30), (3, 42)])
def test_a_move_outside_golden_hours_is_refused_with_the_reason(setup, hour, minute):
    db, _, _, occ, user = setup
    before = occ.starts_at
    with pytest.raises(moves.MoveRefused) as err:
        moves.move_occurrence(db, occ, _at(3, hour, minute), user=user, now=utcnow())
    assert err.value.code == "no_session" and "Không có phiên phát nào" in str(err.value)
    db.rollback()
    assert occ.starts_at == before and not occ.is_ad_hoc


def test_a_move_lands_in_the_session_after_what_is_already_there(setup):
    db, target, _, occ, user = setup
    other = f.message(db, "ngoc-lac-asxh-2026", "loa-cao-diem")
    f.occurrence(db, target=target, msg=other, at=_at(3, 17), duration=120)
    moves.move_occurrence(db, occ, _at(3, 17, 10), user=user, now=utcnow())
    assert occ.session_starts_at == _at(3, 17) and occ.starts_at == _at(3, 17, 2)
    assert occ.is_pinned and not occ.is_ad_hoc and occ.delivery.due_at == occ.starts_at


def test_a_move_into_a_full_session_is_refused(setup):
    db, target, _, occ, user = setup
    other = f.message(db, "ngoc-lac-asxh-2026", "loa-cao-diem")
    f.occurrence(db, target=target, msg=other, at=_at(3, 17), duration=900)
    with pytest.raises(moves.MoveRefused) as err:
        moves.move_occurrence(db, occ, _at(3, 17), user=user, now=utcnow())
    assert err.value.code == "session_full" and "đã đầy" in str(err.value)


def test_a_move_keeps_the_message_out_of_a_session_that_already_has_it(setup):
    db, target, msg, occ, user = setup
    f.occurrence(db, target=target, msg=msg, at=_at(3, 17))
    with pytest.raises(moves.MoveRefused, match="đã có trong phiên"):
        moves.move_occurrence(db, occ, _at(3, 17), user=user, now=utcnow())


def test_a_move_keeps_the_minimum_gap_between_airings(setup):
    db, target, msg, occ, user = setup
    msg.min_gap_hours = 24
    f.occurrence(db, target=target, msg=msg, at=_at(3, 5, 30))
    with pytest.raises(moves.MoveRefused, match="cách lượt khác ít nhất 24 giờ"):
        moves.move_occurrence(db, occ, _at(3, 17), user=user, now=utcnow())


def test_an_ad_hoc_session_is_an_explicit_choice_outside_the_grid(setup):
    db, _, _, occ, user = setup
    moves.move_occurrence(db, occ, _at(3, 12), user=user, now=utcnow(), ad_hoc=True)
    assert occ.is_ad_hoc and occ.starts_at == occ.session_starts_at == _at(3, 12)
    assert "phiên đột xuất" in occ.reason
    with pytest.raises(moves.MoveRefused, match="nằm trong phiên"):
        moves.move_occurrence(db, occ, _at(3, 17, 5), user=user, now=utcnow(), ad_hoc=True)


def test_undo_puts_a_moved_item_back_and_only_once(setup):
    db, _, _, occ, user = setup
    start, session_start = occ.starts_at, occ.session_starts_at
    moves.move_occurrence(db, occ, _at(3, 12), user=user, now=utcnow(), ad_hoc=True)
    assert moves.undo_last_change(db, occ, user=user, now=utcnow()) == "move"
    assert (occ.starts_at, occ.session_starts_at, occ.is_ad_hoc, occ.is_pinned) == (start, session_start, False, False)
    with pytest.raises(PlacementError, match="Không có thao tác"):
        moves.undo_last_change(db, occ, user=user, now=utcnow())
    assert [e.action for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))][-2:] == [
        "occurrence.move", "occurrence.undo"]


def test_undo_brings_back_a_cancelled_item(setup):
    db, _, _, occ, user = setup
    moves.cancel_occurrence(db, occ, user=user, now=utcnow())
    assert occ.delivery.status is DeliveryStatus.CANCELLED
    assert moves.undo_last_change(db, occ, user=user, now=utcnow()) == "cancel"
    assert occ.delivery.status is DeliveryStatus.PLANNED and occ.delivery.finished_at is None


def test_a_cancel_is_not_undone_into_a_session_that_filled_up_since(setup):
    db, target, _, occ, user = setup
    moves.cancel_occurrence(db, occ, user=user, now=utcnow())
    f.occurrence(db, target=target, msg=f.message(db, "ngoc-lac-asxh-2026", "loa-cao-diem"), at=_at(2, 5, 30),
                 duration=900)
    with pytest.raises(moves.MoveRefused, match="Không hoàn tác được"):
        moves.undo_last_change(db, occ, user=user, now=utcnow())


def test_ad_hoc_sessions_and_emergencies_are_labelled_in_calendar_roster_and_occurrence(setup, login):
    db, target, _, occ, user = setup
    moves.move_occurrence(db, occ, _at(3, 12), user=user, now=utcnow(), ad_hoc=True)
    db.commit()
    client = login("vanhoa")
    day = localtime.fmt_date(_at(3, 12))
    cal = client.get(f"/plans/{occ.plan_id}/calendar?unit={target.unit_id}&view=day&date={day}").get_data(as_text=True)
    assert "12:00 · Phiên đột xuất" in cal and 'class="mark mark-adhoc"' in cal
    roster = client.get(f"/plans/{occ.plan_id}/targets/{target.id}/roster?start={day}&end={day}").get_data(as_text=True)
    assert "badge-adhoc" in roster and "Phiên đột xuất" in roster
    page = client.get(f"/occurrences/{occ.id}").get_data(as_text=True)
    assert "Phiên đột xuất" in page and "Hoàn tác" in page


def test_drag_and_drop_answers_json_with_the_reason(setup, login):
    db, target, _, occ, _ = setup
    f.occurrence(db, target=target, msg=f.message(db, "ngoc-lac-asxh-2026", "loa-cao-diem"), at=_at(3, 17),
                 duration=900)
    client = login("vanhoa")
    week = client.get(f"/plans/{occ.plan_id}/calendar?unit={target.unit.parent_id}&date={localtime.fmt_date(_at(2, 5))}")
    html = week.get_data(as_text=True)
    assert f'data-move="/occurrences/{occ.id}/move"' in html and "calendar.js" in html
    from tests.conftest import csrf_from

    token = csrf_from(client.get(f"/occurrences/{occ.id}").get_data(as_text=True))
    full = client.post(f"/occurrences/{occ.id}/move", data={"starts_at": _at(3, 17).isoformat()},
                       headers={"X-CSRFToken": token})
    assert full.get_json()["ok"] is False and "đã đầy" in full.get_json()["message"]
    done = client.post(f"/occurrences/{occ.id}/move", data={"starts_at": _at(3, 5, 30).isoformat()},
                       headers={"X-CSRFToken": token})
    assert done.status_code == 200 and done.get_json()["ok"]
    db.expire_all()
    assert occ.session_starts_at == _at(3, 5, 30) and occ.is_pinned
    assert done.get_json()["pinned"] is True and done.get_json()["undo"] == f"/occurrences/{occ.id}/undo"
    back = client.post(done.get_json()["undo"], headers={"X-CSRFToken": token}).get_json()
    assert back["ok"] and "Đã hoàn tác" in back["message"] and back["pinned"] is False
    db.expire_all()
    assert occ.session_starts_at == _at(2, 5, 30) and not occ.is_pinned
    again = client.post(f"/occurrences/{occ.id}/undo", headers={"X-CSRFToken": token}).get_json()
    assert again["ok"] is False and "Không có thao tác" in again["message"]


def test_the_occurrence_page_offers_only_sessions_with_room(setup, login):
    db, target, _, occ, _ = setup
    f.occurrence(db, target=target, msg=f.message(db, "ngoc-lac-asxh-2026", "loa-cao-diem"), at=_at(3, 17),
                 duration=900)
    client = login("vanhoa")
    html = client.get(f"/occurrences/{occ.id}").get_data(as_text=True)
    assert f'value="{_at(3, 5, 30).isoformat()}"' in html and f'value="{_at(3, 17).isoformat()}"' not in html
    from tests.conftest import csrf_from

    client.post(f"/occurrences/{occ.id}/change", data={"csrf_token": csrf_from(html), "action": "move_to_session",
                                                       "session": _at(4, 17).isoformat()})
    db.expire_all()
    assert occ.session_starts_at == _at(4, 17)


def test_month_cells_name_their_broadcasts_with_an_overflow_count(setup, login):
    db, target, _, occ, _ = setup
    for code in ("loa-cao-diem", "loa-dieu-kien-ho-tro", "loa-sau-buoc"):
        f.occurrence(db, target=target, msg=f.message(db, "ngoc-lac-asxh-2026", code), at=_at(2, 17), duration=60)
    day = localtime.fmt_date(_at(2, 5))
    # the commune's month: each cell names its messages over every village
    html = login("vanhoa").get(f"/plans/{occ.plan_id}/calendar?unit={target.unit.parent_id}&view=month&date={day}")
    text = html.get_data(as_text=True)
    assert text.count('class="month-title"') >= 3 and "+1 tin khác" in text
    for status in ("planned", "delivered", "failed", "missed", "unknown"):
        assert f'class="legend-status status-{status}"' in text, status
    for mark in ('class="pin"', 'class="mark mark-emergency"', 'class="mark mark-adhoc"'):
        assert mark in text.split('class="legend"')[1].split("</p>")[0], mark


def test_a_one_village_month_lists_its_broadcasts_and_lets_a_planned_one_be_dragged_to_another_day(setup, login):
    db, target, _, occ, _ = setup
    for code in ("loa-cao-diem", "loa-dieu-kien-ho-tro", "loa-sau-buoc", "loa-loi-ich"):
        f.occurrence(db, target=target, msg=f.message(db, "ngoc-lac-asxh-2026", code), at=_at(2, 17), duration=60)
    day = localtime.fmt_date(_at(2, 5))
    text = login("vanhoa").get(f"/plans/{occ.plan_id}/calendar?unit={target.unit_id}&view=month&date={day}"
                               ).get_data(as_text=True)
    assert 'class="month-grid month-dnd"' in text and "calendar.js" in text and "+1 lượt khác" in text
    assert f'draggable="true" data-target="{target.id}" data-move="/occurrences/{occ.id}/move"' in text
    assert f"{_at(2, 5, 30).isoformat()} {_at(2, 17).isoformat()}" in text     # the sessions a drop may use
    # people who only look see the plain month, without drag and drop
    plain = login("giamsat").get(f"/plans/{occ.plan_id}/calendar?unit={target.unit_id}&view=month&date={day}")
    assert plain.status_code in (200, 404) and "month-dnd" not in plain.get_data(as_text=True)


def test_the_calendar_filters_by_audience(setup, login):
    db, target, msg, occ, _ = setup
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    mine = {a.id for a in occ.version.audiences}
    other = next(a for a in plan.audiences if a.id not in mine)
    base = f"/plans/{occ.plan_id}/calendar?unit={target.unit_id}&date={localtime.fmt_date(_at(2, 5))}"
    client = login("vanhoa")
    shown = client.get(base + f"&audience={next(iter(mine))}").get_data(as_text=True)
    assert f"/occurrences/{occ.id}\"" in shown and f'name="audience"' in shown
    hidden = client.get(base + f"&audience={other.id}").get_data(as_text=True)
    assert f"/occurrences/{occ.id}\"" not in hidden
    assert f"audience={other.id}" in hidden.split('aria-label="Sau"')[0].rsplit("<a", 1)[1]   # kept when paging
    commune = client.get(f"/plans/{occ.plan_id}/calendar?unit={target.unit.parent_id}&audience=999999"
                         f"&date={localtime.fmt_date(_at(2, 5))}").get_data(as_text=True)
    assert f"/occurrences/{occ.id}\"" in commune          # an unknown audience filters nothing


def test_calendar_filters_by_status_and_message_and_keeps_them_when_paging(setup, login):
    db, target, msg, occ, _ = setup
    other = f.message(db, "ngoc-lac-asxh-2026", "loa-cao-diem")
    done = f.occurrence(db, target=target, msg=other, at=_at(2, 17), status=DeliveryStatus.DELIVERED)
    client = login("vanhoa")
    base = f"/plans/{occ.plan_id}/calendar?unit={target.unit_id}&date={localtime.fmt_date(_at(2, 5))}"
    delivered = client.get(base + "&status=delivered").get_data(as_text=True)
    assert f"/occurrences/{done.occurrence_id}\"" in delivered and f"/occurrences/{occ.id}\"" not in delivered
    assert "status=delivered" in delivered.split('aria-label="Sau"')[0].rsplit("<a", 1)[1]
    only = client.get(base + f"&message={msg.id}").get_data(as_text=True)
    assert f"/occurrences/{occ.id}\"" in only and f"/occurrences/{done.occurrence_id}\"" not in only


def test_one_calendar_shows_every_channel_of_the_plan_coloured_by_channel(setup, login):
    db, target, _, occ, _ = setup
    page = db.scalar(select(f.Target).join(f.Unit).where(f.Target.channel == "fanpage",
                                                         f.Unit.code == "xa-ngoc-lac"))
    post = f.occurrence(db, target=page, msg=f.message(db, "ngoc-lac-asxh-2026", "loa-loi-ich"), at=_at(2, 11, 30))
    html = login("vanhoa").get(f"/plans/{occ.plan_id}/calendar?unit={target.unit.parent_id}&channel=all"
                               f"&date={localtime.fmt_date(_at(2, 5))}").get_data(as_text=True)
    assert "Lịch mọi kênh" in html and 'class="channel-loudspeaker"' in html and 'class="channel-fanpage"' in html
    assert f"/occurrences/{occ.id}\"" in html and f"/occurrences/{post.occurrence_id}\"" in html
    assert 'value="all" selected' in html


def test_the_occurrences_api_filters_like_the_calendar(setup, app, db):
    from planner.auth import issue_token

    _, target, msg, occ, user = setup
    done = f.occurrence(db, target=target, msg=f.message(db, "ngoc-lac-asxh-2026", "loa-cao-diem"), at=_at(3, 17),
                        status=DeliveryStatus.DELIVERED)
    token, _ = issue_token(db, user, now=utcnow(), hours=1)
    db.commit()
    client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}

    def ids(query: str) -> set[int]:
        resp = client.get(f"/api/v1/occurrences?target={target.id}&{query}", headers=headers)
        assert resp.status_code == 200, resp.get_json()
        return {o["id"] for o in resp.get_json()["items"]}

    assert {occ.id, done.occurrence_id} <= ids("")
    assert occ.id in ids(f"message={msg.id}") and done.occurrence_id not in ids(f"message={msg.id}")
    assert ids("status=delivered") == {done.occurrence_id}
    plan = f.plan(db, "ngoc-lac-asxh-2026")
    other = next(a for a in plan.audiences if a.id not in {x.id for x in occ.version.audiences})
    assert occ.id not in ids(f"audience={other.id}")
    assert occ.id in ids(f"audience={occ.version.audiences[0].id}")
    for query, field in (("status=lost", "status"), ("audience=x", "audience"), ("message=0", "message")):
        bad = client.get(f"/api/v1/occurrences?{query}", headers=headers)
        assert bad.status_code == 400 and field in bad.get_json()["error"]["fields"], query
