"""Emergency insertion and re-placing missed deliveries on an existing schedule."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from planner.scheduling import FixedItem, GridSpec, MessageSpec, TargetSpec, WindowSpec, build_schedule
from planner.scheduling.emergency import insert_emergency, replace_missed

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MORNING = GridSpec(1, 127, time(5, 30), time(6, 0), 300)
EVENING = GridSpec(2, 127, time(17, 0), time(17, 30), 300)
TARGETS = [TargetSpec(1, (MORNING, EVENING)), TargetSpec(2, (MORNING, EVENING))]
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)       # 01/03 19:00 local
NEXT = datetime(2026, 3, 1, 22, 30, tzinfo=timezone.utc)      # 02/03 05:30 local
NORMAL = [MessageSpec(n, n, "normal", 100, None, date(2026, 3, 31), 7, 0, 0, title=f"Tin {n}") for n in (1, 2, 3)]
STORM = MessageSpec(9, 9, "emergency", 150, None, None, 0, 0, 0, title="Cảnh báo bão")


def full_week():
    """Three normal messages daily fill every 300 s session of two villages."""
    return build_schedule(TARGETS, NORMAL, [], [], date(2026, 3, 2), date(2026, 3, 8), now=NOW)


def test_emergency_takes_the_next_session_and_plays_first():
    out = insert_emergency(full_week(), STORM, [1], now=NOW, targets=TARGETS, messages=NORMAL)
    assert [(p.target_id, p.session_start, p.offset_s) for p in out.placed] == [(1, NEXT, 0)]
    assert out.issues == []


def test_displaced_items_move_to_the_next_free_session_and_are_reported():
    schedule = full_week()
    out = insert_emergency(schedule, STORM, [1], now=NOW, targets=TARGETS, messages=NORMAL)
    before = [p for p in schedule.placements if p.target_id == 1 and p.session_start == NEXT]
    assert len(before) == 2     # 200 of 300 s used: the 150 s bulletin needs one item out
    assert out.displaced == [max(before, key=lambda p: p.offset_s)]   # the one played last
    assert [p.message_id for p in out.replaced] == [out.displaced[0].message_id]
    stays = min(before, key=lambda p: p.offset_s)
    assert [(p.message_id, p.offset_s) for p in out.shifted if p.session_start == NEXT] == [(stays.message_id, 150)]
    assert all(p.session_start > NEXT for p in out.replaced)
    assert all(p.target_id == 1 for p in out.placed + out.displaced + out.replaced)


def test_emergency_never_moves_fixed_items_and_reports_a_blocked_session():
    pinned = [FixedItem(1, NEXT, 1, 200, "normal")]
    out = insert_emergency(pinned, STORM, [1], now=NOW, targets=TARGETS, messages=NORMAL)
    assert [i.kind for i in out.issues] == ["emergency_blocked"]
    assert out.placed[0].session_start == NEXT + timedelta(hours=11, minutes=30)
    assert out.displaced == []


def test_emergency_can_take_several_sessions_of_several_targets():
    out = insert_emergency([], STORM, [1, 2], now=NOW, targets=TARGETS, sessions_ahead=3)
    assert len(out.placed) == 6 and len({p.session_start for p in out.placed}) == 3


def test_emergency_does_not_displace_emergencies():
    first = insert_emergency([], STORM, [1], now=NOW, targets=TARGETS).placed
    flood = MessageSpec(8, 8, "emergency", 200, None, None, 0, 0, 0, title="Lũ")
    out = insert_emergency(first, flood, [1], now=NOW, targets=TARGETS, messages=[STORM])
    assert out.displaced == [] and out.placed[0].session_start != NEXT


def test_missed_delivery_goes_to_the_next_free_session_within_validity():
    schedule = full_week()
    missed = [p for p in schedule.placements if p.target_id == 2 and p.session_start < datetime(2026, 3, 3, tzinfo=timezone.utc)][:1]
    later = datetime(2026, 3, 3, 1, 0, tzinfo=timezone.utc)
    out = replace_missed(schedule, missed, now=later, targets=TARGETS, messages=NORMAL)
    assert out.displaced == missed and len(out.replaced) == 1
    assert out.replaced[0].session_start > later and out.replaced[0].message_id == missed[0].message_id


def test_missed_delivery_past_validity_is_reported():
    expired = MessageSpec(5, 5, "normal", 60, None, date(2026, 3, 1), 1, 0, 0, title="Hết hạn")
    missed = [FixedItem(1, NOW - timedelta(hours=2), 5, 60)]
    out = replace_missed([], missed, now=NOW, targets=TARGETS, messages=[expired])
    assert out.replaced == [] and [i.kind for i in out.issues] == ["missed_unplaced"]
    assert "Hết hạn" in out.issues[0].detail


def test_missed_delivery_skips_blackout_days():
    blackout = [WindowSpec(1, "blackout", date(2026, 3, 2), date(2026, 3, 2))]
    out = replace_missed([], [FixedItem(1, NOW - timedelta(hours=2), 1, 100)], now=NOW, targets=TARGETS,
                         messages=NORMAL, windows=blackout)
    assert out.replaced[0].session_start.astimezone(TZ).date() == date(2026, 3, 3)
