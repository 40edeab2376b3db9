"""A message's own weekdays: it airs only on them, whatever days the grids have, and keeps its weekly target."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from planner.public_fields import parse_weekdays
from planner.scheduling import GridSpec, MessageSpec, TargetSpec, build_schedule

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MORNING = GridSpec(1, 0b1111111, time(5, 30), time(6, 0), 900)
EVENING = GridSpec(2, 0b1111111, time(17, 0), time(17, 30), 900)
NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
WEEK = (date(2026, 3, 2), date(2026, 3, 8))    # Monday to Sunday


def spec(id, per_week, weekdays=0b1111111):
    return MessageSpec(id, id, "normal", 90, None, None, per_week, 0, 0, weekdays=weekdays)


def test_message_airs_only_on_its_own_weekdays_although_the_grid_runs_every_day():
    targets = [TargetSpec(1, (MORNING, EVENING))]
    result = build_schedule(targets, [spec(7, 4, parse_weekdays("T3,T5"))], [], [], *WEEK, now=NOW)
    days = Counter(p.session_start.astimezone(TZ).strftime("%a") for p in result.placements)
    assert set(days) == {"Tue", "Thu"} and sum(days.values()) == 4
    assert not result.issues


def test_weekly_target_is_not_shrunk_by_the_message_weekdays_and_a_shortfall_says_so():
    targets = [TargetSpec(1, (MORNING, EVENING))]
    # Only Mondays (two sessions) but five airings a week wanted: two placed, the shortfall reported.
    result = build_schedule(targets, [spec(7, 5, parse_weekdays("T2"))], [], [], *WEEK, now=NOW)
    assert len(result.placements) == 2
    assert all(p.session_start.astimezone(TZ).weekday() == 0 for p in result.placements)
    assert any("2/5" in issue.detail for issue in result.issues), [i.detail for i in result.issues]


def test_message_without_weekdays_still_uses_every_grid_day():
    targets = [TargetSpec(1, (MORNING,))]
    result = build_schedule(targets, [spec(7, 7)], [], [], *WEEK, now=NOW)
    assert len({p.session_start.date() for p in result.placements}) == 7
