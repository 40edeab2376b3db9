"""Scheduling core: duration estimate, grid expansion, inheritance, placement scenarios, bad input."""
from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from planner.scheduling import (FixedItem, GridSpec, MessageSpec, ScheduleInputError, TargetSpec,
                                WindowSpec, build_schedule, estimate_duration, expand_sessions,
                                resolve_grids, window_dates)

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
