"""Scheduling core: duration estimate, grid expansion, inheritance, placement scenarios, bad input."""
from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, time, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from planner.scheduling import (FixedItem, GridSpec, MessageSpec, ScheduleInputError, TargetSpec,
                                WindowSpec, build_schedule, estimate_duration, expand_sessions,
                                holiday_windows, message_duration, resolve_grids, window_dates)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
ROOT = Path(__file__).resolve().parents[2]
MORNING = GridSpec(1, 0b1111111, time(5, 30), time(6, 0), 900)
EVENING = GridSpec(2, 0b1111111, time(17, 0), time(17, 30), 900)
NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)


def message(id, duration=90, per_week=3, peak=0, gap=0, **kw):
    """A message version with sensible defaults."""
    return MessageSpec(id, id, kw.pop("priority", "normal"), duration, kw.pop("valid_from", None),
                       kw.pop("valid_to", None), per_week, peak, gap, **kw)


def local(placement):
    """Local session start of a placement."""
    return placement.session_start.astimezone(TZ)


def test_core_imports_neither_flask_nor_sqlalchemy():
    code = "import planner.scheduling, sys; assert 'flask' not in sys.modules and 'sqlalchemy' not in sys.modules"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, env=env)


def test_duration_counts_syllables_and_pauses_per_sentence():
    text = "Bà con hãy liên kết tài khoản an sinh xã hội. Xin cảm ơn!\nHết."
    # 15 syllables at 190/min = 4.74 s, plus 3 sentences × 1 s → 7.74 → 8
    assert estimate_duration(text) == 8
    assert estimate_duration(text, rate_spm=60, pause_s=0) == 15


def test_duration_ignores_punctuation_tokens_and_decimal_points():
    assert estimate_duration("Ngày 15.4.2026 – hạn chót …", rate_spm=60, pause_s=0) == 4
    assert estimate_duration("") == 0


def test_measured_audio_duration_wins_over_the_estimate():
    assert message_duration("Bà con chú ý.", measured_s=41.2) == 42
    assert message_duration("Bà con chú ý.") == estimate_duration("Bà con chú ý.")


def test_public_holidays_follow_the_vietnamese_lunar_calendar():
    days = window_dates(holiday_windows(2026, 2026), "blackout", date(2026, 1, 1), date(2026, 12, 31))
    assert {date(2026, 2, 16), date(2026, 2, 20), date(2026, 4, 27), date(2026, 9, 2)} <= days
    assert date(2026, 2, 21) not in days and date(2026, 10, 10) not in days


def test_expand_sessions_respects_weekdays_validity_and_blackouts():
    weekdays = GridSpec(3, 0b0011111, time(5, 30), time(6, 0), 900, valid_to=date(2026, 3, 13))
    sessions = expand_sessions(weekdays, date(2026, 3, 2), date(2026, 3, 20), {date(2026, 3, 3)})
    days = [date.fromordinal(s[1]) for s in sessions]
    assert days == [date(2026, 3, d) for d in (2, 4, 5, 6, 9, 10, 11, 12, 13)]
    first = datetime.fromtimestamp(sessions[0][0], timezone.utc)
    assert first == datetime(2026, 3, 1, 22, 30, tzinfo=timezone.utc)


def test_yearly_window_repeats_each_year():
    window = WindowSpec(1, "peak", date(2023, 10, 1), date(2023, 10, 10), is_yearly=True)
    days = window_dates([window], "peak", date(2025, 9, 28), date(2026, 10, 2))
    assert date(2025, 10, 10) in days and date(2026, 10, 2) in days and date(2025, 10, 11) not in days
    assert len(days) == 12


def test_resolve_grids_prefers_own_then_nearest_unit():
    commune, province = [MORNING], [EVENING]
    assert resolve_grids([10, 5, 1], {5: commune, 1: province}, []) == (MORNING,)
    assert resolve_grids([10, 5, 1], {1: province}, []) == (EVENING,)
    assert resolve_grids([10, 5, 1], {5: commune}, [EVENING]) == (EVENING,)
    assert resolve_grids([10], {}, []) == ()


def test_placements_fill_weekly_target_in_future_sessions():
    targets = [TargetSpec(1, (MORNING, EVENING))]
    result = build_schedule(targets, [message(7)], [], [], date(2026, 3, 2), date(2026, 3, 8), now=NOW)
    assert len(result.placements) == 3
    assert len({local(p).date() for p in result.placements}) == 3
    assert result.issues == []
    cols = result.columns()
    assert list(cols["target_id"]) == [1, 1, 1]


def test_partial_week_target_is_prorated():
    targets = [TargetSpec(1, (MORNING, EVENING))]
    # Fri 06/03 – Sun 08/03: 3 of 7 days → ceil(3 × 3 / 7) = 2
    result = build_schedule(targets, [message(7)], [], [], date(2026, 3, 6), date(2026, 3, 8), now=NOW)
    assert len(result.placements) == 2


def test_nothing_is_placed_at_or_before_now():
    now = datetime(2026, 3, 4, 22, 30, tzinfo=timezone.utc)  # 05/03 05:30 local, that session starts now
    targets = [TargetSpec(1, (MORNING, EVENING))]
    result = build_schedule(targets, [message(7, per_week=14)], [], [], date(2026, 3, 2), date(2026, 3, 8), now=now)
    assert len(result.placements) == 7 and all(p.session_start > now for p in result.placements)
    assert [i.kind for i in result.issues] == ["target_shortfall"]
    assert "7/14" in result.issues[0].detail and "một lần" in result.issues[0].detail


# --- Ngọc Lặc commune: 42 villages, golden hours, peak to 15/04/2026, holidays ---------------

NGOC_LAC_WINDOWS = [
    WindowSpec(1, "peak", date(2026, 3, 5), date(2026, 4, 15)),
    WindowSpec(2, "blackout", date(2026, 2, 16), date(2026, 2, 20)),     # Tết Bính Ngọ
    WindowSpec(3, "blackout", date(2026, 3, 15), date(2026, 3, 15)),     # election day (custom)
    WindowSpec(4, "blackout", date(2026, 4, 26), date(2026, 4, 27)),     # Giỗ Tổ + observed day
    WindowSpec(5, "blackout", date(2025, 4, 30), date(2025, 5, 1), is_yearly=True),
]


def ngoc_lac():
    """Schedule the commune's three scripts from 01/02 to 10/05/2026."""
    villages = [TargetSpec(i, (MORNING, EVENING), name=f"Thôn {i}") for i in range(1, 43)]
    scripts = [message(10 + n, duration=60 + 30 * n, per_week=3, peak=1, gap=4, audience="người dân",
                       title=f"Liên kết tài khoản ASXH {n + 1}") for n in range(3)]
    now = datetime(2026, 1, 31, tzinfo=timezone.utc)
    return build_schedule(villages, scripts, NGOC_LAC_WINDOWS, [], date(2026, 2, 1), date(2026, 5, 10), now=now)


def test_ngoc_lac_every_village_hears_every_script_daily_in_the_peak():
    result = ngoc_lac()
    per_day = Counter((p.target_id, p.message_id, local(p).date()) for p in result.placements)
    blackout = window_dates(NGOC_LAC_WINDOWS, "blackout", date(2026, 2, 1), date(2026, 5, 10))
    peak = window_dates(NGOC_LAC_WINDOWS, "peak", date(2026, 2, 1), date(2026, 5, 10)) - blackout
    assert len(peak) == 41
    for village in range(1, 43):
        for script in (10, 11, 12):
            assert all(per_day[(village, script, day)] >= 1 for day in peak)
    assert not {local(p).date() for p in result.placements} & blackout
    assert [i for i in result.issues if i.kind != "underfilled_session"] == []


def test_ngoc_lac_full_weeks_reach_three_and_sessions_stay_within_capacity():
    result = ngoc_lac()
    weekly = Counter((p.target_id, p.message_id, local(p).date().isocalendar()[:2]) for p in result.placements)
    for village in (1, 42):
        assert weekly[(village, 10, (2026, 7))] == 3    # 09–15/02: an ordinary full week
        assert weekly[(village, 10, (2026, 8))] == 1    # 16–22/02: Tết takes 5 days → ceil(3 × 2 / 7)
        assert weekly[(village, 12, (2026, 19))] == 3   # 04–10/05: after the peak
    load = Counter()
    for p in result.placements:
        load[(p.target_id, p.session_start)] += p.duration_s
    assert max(load.values()) <= 900


# --- Plan 2728/KH-BHXH: fanpage, Zalo OA and portal around 10/10 --------------------------

def plan_2728():
    """Online channels: a post is 1 'second'; Zalo's session holds one broadcast a day."""
    fanpage = TargetSpec(1, (GridSpec(11, 127, time(8, 0), time(8, 30), 2),
                             GridSpec(12, 127, time(20, 0), time(20, 30), 2)), name="Fanpage BHXH")
    zalo = TargetSpec(2, (GridSpec(21, 127, time(19, 0), time(19, 30), 1),), name="Zalo OA")
    portal = TargetSpec(3, (GridSpec(31, 0b0011111, time(9, 0), time(17, 0), 5),), name="Cổng thông tin")
    peak = WindowSpec(1, "peak", date(2023, 10, 1), date(2023, 10, 10), is_yearly=True)
    campaign = message(1, duration=1, per_week=2, peak=1, gap=6, valid_from=date(2026, 9, 25),
                       valid_to=date(2026, 10, 15), audience="người dân", title="Ngày Chuyển đổi số 10/10")
    themes = [message(10 + n, duration=1, per_week=2, gap=24, audience=audience, title=f"Chủ đề {n}")
              for n, audience in enumerate(["doanh nghiệp", "người dân", "cán bộ", "người dân"])]
    now = datetime(2026, 9, 20, tzinfo=timezone.utc)
    return build_schedule([fanpage, zalo, portal], [campaign] + themes, [peak], [],
                          date(2026, 9, 21), date(2026, 10, 18), now=now)


def test_plan_2728_campaign_runs_daily_in_the_yearly_peak_on_every_channel():
    result = plan_2728()
    daily = Counter((p.target_id, local(p).date()) for p in result.placements if p.message_id == 1)
    for day in range(1, 11):
        assert daily[(1, date(2026, 10, day))] >= 1 and daily[(2, date(2026, 10, day))] >= 1
        if date(2026, 10, day).weekday() < 5:
            assert daily[(3, date(2026, 10, day))] >= 1
    shortfalls = {i.target_id for i in result.issues if i.kind == "target_shortfall"}
    assert shortfalls == {2}    # Zalo's one broadcast a day cannot carry 10/10 + four themes


def test_plan_2728_zalo_never_broadcasts_twice_a_day():
    per_day = Counter(local(p).date() for p in plan_2728().placements if p.target_id == 2)
    assert max(per_day.values()) == 1


def test_plan_2728_themes_alternate_between_audiences():
    result = plan_2728()
    fanpage_week = [p.message_id for p in result.placements
                    if p.target_id == 1 and local(p).date() < date(2026, 9, 28) and p.message_id >= 10]
    assert Counter(fanpage_week) == {10: 2, 11: 2, 12: 2, 13: 2}
    first_days = sorted((local(p).date(), p.message_id) for p in result.placements
                        if p.target_id == 2 and local(p).date() < date(2026, 9, 25))
    assert sorted(m for _, m in first_days) == [10, 11, 12, 13]    # each once before a second


# --- Priority, fairness, fixed items and the report -----------------------------------------

def test_priority_classes_win_when_capacity_is_short():
    tight = TargetSpec(1, (GridSpec(1, 127, time(5, 30), time(6, 0), 100),))
    msgs = [message(1, duration=60, per_week=7), message(2, duration=60, per_week=7, priority="emergency"),
            message(3, duration=40, per_week=7, priority="priority")]
    result = build_schedule([tight], msgs, [], [], date(2026, 3, 2), date(2026, 3, 8), now=NOW)
    assert Counter(p.message_id for p in result.placements) == {2: 7, 3: 7}
    first = [p for p in result.placements if local(p).date() == date(2026, 3, 2)]
    assert [(p.message_id, p.offset_s) for p in first] == [(2, 0), (3, 60)]
    assert {i.message_id for i in result.issues} == {1}


def test_round_robin_gives_every_message_a_first_turn_before_a_second():
    one = TargetSpec(1, (GridSpec(1, 0b0000001, time(5, 30), time(6, 0), 300),))  # Mondays only
    msgs = [message(n, duration=100, per_week=2) for n in (1, 2, 3)]
    result = build_schedule([one], msgs, [], [], date(2026, 3, 2), date(2026, 3, 8), now=NOW)
    assert sorted(p.message_id for p in result.placements) == [1, 2, 3]


def test_fixed_items_use_capacity_count_towards_targets_and_are_not_returned():
    start = datetime(2026, 3, 1, 22, 30, tzinfo=timezone.utc)     # 02/03 05:30 local
    pinned = [FixedItem(1, start, 7, 880)]
    targets = [TargetSpec(1, (MORNING,))]
    result = build_schedule(targets, [message(7, per_week=3), message(8, duration=30, per_week=7)], [],
                            pinned, date(2026, 3, 2), date(2026, 3, 8), now=NOW)
    assert all(p.session_start != start for p in result.placements)
    assert Counter(p.message_id for p in result.placements) == {7: 2, 8: 6}


def test_overflowing_pinned_items_are_reported():
    start = datetime(2026, 3, 1, 22, 30, tzinfo=timezone.utc)
    pinned = [FixedItem(1, start, 7, 600), FixedItem(1, start, 8, 600)]
    result = build_schedule([TargetSpec(1, (MORNING,))], [], [], pinned, date(2026, 3, 2), date(2026, 3, 8), now=NOW)
    assert [i.kind for i in result.issues] == ["pinned_conflict"]
    assert "vượt sức chứa 900 giây" in result.issues[0].detail


def test_message_too_long_for_one_target_is_an_issue_not_an_error():
    short = TargetSpec(1, (GridSpec(1, 127, time(5, 30), time(5, 40), 600),), name="Thôn Mới")
    result = build_schedule([short, TargetSpec(2, (MORNING,))], [message(1, duration=700)], [], [],
                            date(2026, 3, 2), date(2026, 3, 8), now=NOW)
    assert [(i.kind, i.target_id) for i in result.issues] == [("too_long", 1)]
    assert "Thôn Mới" in result.issues[0].detail
    assert {p.target_id for p in result.placements} == {2}


def test_target_without_sessions_is_reported_once():
    result = build_schedule([TargetSpec(1, ())], [message(1)], [], [], date(2026, 3, 2), date(2026, 3, 8), now=NOW)
    assert [i.kind for i in result.issues] == ["no_sessions"]


def test_empty_peak_sessions_are_counted_per_window():
    peak = [WindowSpec(1, "peak", date(2026, 3, 2), date(2026, 3, 8))]
    result = build_schedule([TargetSpec(1, (MORNING, EVENING))], [message(1, per_week=3)], peak, [],
                            date(2026, 3, 2), date(2026, 3, 8), now=NOW)
    empty = [i for i in result.issues if i.kind == "empty_session"]
    assert len(empty) == 1 and "11 phiên trống" in empty[0].detail


def test_explain_names_the_rule_priority_and_session():
    result = ngoc_lac()
    placement = next(p for p in result.placements if local(p).date() == date(2026, 3, 20))
    text = result.explain(placement)
    assert "cao điểm" in text and "20/03/2026" in text and "Mức thông thường" in text
    assert "tối thiểu 4 giờ" in text


def test_same_inputs_in_any_order_give_the_same_schedule():
    targets = [TargetSpec(i, (MORNING, EVENING)) for i in range(1, 6)]
    msgs = [message(n, duration=200, per_week=5, audience=str(n % 2)) for n in range(1, 8)]
    one = build_schedule(targets, msgs, NGOC_LAC_WINDOWS, [], date(2026, 3, 1), date(2026, 3, 31), now=NOW)
    two = build_schedule(targets[::-1], msgs[::-1], NGOC_LAC_WINDOWS[::-1], [], date(2026, 3, 1),
                         date(2026, 3, 31), now=NOW)
    assert one.placements == two.placements and one.issues == two.issues


def test_explanations_follow_the_column_order():
    result = ngoc_lac()
    texts = result.explanations()
    assert len(texts) == len(result) and texts[100] == result.explain(result.placements[100])


def test_columns_match_placements():
    result = ngoc_lac()
    cols = result.columns()
    assert len(cols["target_id"]) == len(result.placements) == len(result)
    p = result.placements[100]
    assert (cols["target_id"][100], cols["message_id"][100], cols["session_start"][100]) == \
        (p.target_id, p.message_id, int(p.session_start.timestamp()))


# --- Bad input ---------------------------------------------------------------------------

def schedule(targets=(TargetSpec(1, (MORNING,)),), messages=(), fixed=()):
    """build_schedule over one week with defaults."""
    return build_schedule(list(targets), list(messages), [], list(fixed), date(2026, 3, 2), date(2026, 3, 8), now=NOW)


@pytest.mark.parametrize("kwargs, words", [
    ({"targets": [TargetSpec(1, (GridSpec(1, 127, time(6), time(5, 30), 900),))]}, "giờ kết thúc 05:30 phải sau"),
    ({"targets": [TargetSpec(1, (MORNING, GridSpec(9, 0b1, time(5, 45), time(6, 15), 900)))]}, "chồng lên"),
    ({"messages": [message(1, duration=901)]}, "vượt mọi phiên"),
    ({"messages": [message(1, target_ids=frozenset({1, 99}))]}, "không có mục tiêu 99"),
    ({"fixed": [FixedItem(5, NOW, 1, 10)]}, "không có mục tiêu 5"),
    ({"messages": [message(1, per_week=-1)]}, "không được âm"),
    ({"targets": [TargetSpec(1, (GridSpec(1, 127, time(5), time(6), -1),))]}, "không được âm"),
    ({"messages": [message(1, priority="urgent")]}, "mức ưu tiên"),
    ({"messages": [message(1, target_ids=frozenset(range(2, 40)))]}, "2, 3, 4, 5, 6 và 33 mục tiêu khác"),
    ({"targets": [TargetSpec(1, (GridSpec(1, 0, time(5), time(6), 900),))]}, "ít nhất một ngày"),
])
def test_bad_input_raises_with_a_vietnamese_message(kwargs, words):
    with pytest.raises(ScheduleInputError, match=words):
        schedule(**kwargs)


def test_grids_on_different_weekdays_may_share_hours():
    weekend = GridSpec(9, 0b1100000, time(5, 45), time(6, 15), 900)
    workdays = GridSpec(1, 0b0011111, time(5, 30), time(6, 0), 900)
    assert schedule(targets=[TargetSpec(1, (workdays, weekend))]).issues == []
