"""Hypothesis properties of build_schedule on small random provinces."""
from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from planner.scheduling import (FixedItem, GridSpec, MessageSpec, ScheduleInputError, TargetSpec,
                                WindowSpec, build_schedule, estimate_duration, expand_sessions,
                                window_dates)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
BASE = date(2026, 3, 2)
HOURS = [(time(5, 30), time(6, 0)), (time(11, 0), time(11, 20)), (time(17, 0), time(17, 30))]
FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def grids(draw, target_id):
    """1–3 non-overlapping grids for a target, random weekdays and capacity."""
    chosen = draw(st.lists(st.sampled_from(range(3)), min_size=1, max_size=3, unique=True))
    return tuple(GridSpec(target_id * 10 + n, draw(st.integers(1, 127)), *HOURS[n],
                          draw(st.sampled_from([60, 120, 300, 600, 900]))) for n in sorted(chosen))


@st.composite
def messages(draw, target_ids):
    """1–5 message versions with random rules, validity and scope."""
    out = []
    for n in range(draw(st.integers(1, 5))):
        start = BASE + timedelta(draw(st.integers(-3, 10)))
        scope = draw(st.none() | st.frozensets(st.sampled_from(target_ids), min_size=1))
        out.append(MessageSpec(
            100 + n, 50 + n, draw(st.sampled_from(["normal", "normal", "priority", "emergency"])),
            draw(st.sampled_from([20, 45, 60, 90, 150, 280])), draw(st.none() | st.just(start)),
            draw(st.none() | st.just(start + timedelta(draw(st.integers(0, 14))))),
            draw(st.integers(0, 6)), draw(st.integers(0, 2)), draw(st.sampled_from([0, 0, 4, 12, 30])),
            audience=draw(st.sampled_from(["a", "b"])), target_ids=scope))
    return out


@st.composite
def windows(draw):
    """A few peak and blackout windows around the range."""
    out = []
    for n in range(draw(st.integers(0, 4))):
        first = BASE + timedelta(draw(st.integers(-2, 18)))
        out.append(WindowSpec(n, draw(st.sampled_from(["peak", "blackout"])), first,
                              first + timedelta(draw(st.integers(0, 4)))))
    return out


@st.composite
def fixed_items(draw, targets, messages):
    """Pinned items at real sessions of the targets (they may overflow a session)."""
    out = []
    for _ in range(draw(st.integers(0, 4))):
        target = draw(st.sampled_from(targets))
        grid = draw(st.sampled_from(target.grids))
        day = BASE + timedelta(draw(st.integers(-1, 15)))
        start = datetime.combine(day, grid.start, tzinfo=TZ).astimezone(timezone.utc)
        mid = draw(st.sampled_from([m.id for m in messages] + [999]))
        out.append(FixedItem(target.id, start, mid, draw(st.sampled_from([30, 200, 500]))))
    return out


@st.composite
def problems(draw):
    """A whole build_schedule input."""
    target_ids = list(range(1, draw(st.integers(1, 3)) + 1))
    targets = [TargetSpec(tid, draw(grids(tid))) for tid in target_ids]
    msgs = draw(messages(target_ids))
    start = BASE + timedelta(draw(st.integers(0, 6)))
    end = start + timedelta(draw(st.integers(0, 16)))
    now = datetime.combine(start, time(0), tzinfo=TZ) + timedelta(hours=draw(st.integers(-24, 60)))
    return targets, msgs, draw(windows()), draw(fixed_items(targets, msgs)), start, end, now


def solve(problem):
    """build_schedule, rejecting inputs that are invalid by construction (message fits nowhere)."""
    targets, msgs, wins, fixed, start, end, now = problem
    try:
        return build_schedule(targets, msgs, wins, fixed, start, end, now=now)
    except ScheduleInputError:
        assume(False)


def loads(problem, result):
    """Seconds used per (target, session start) by fixed items and placements."""
    used = Counter()
    for item in problem[3]:
        used[(item.target_id, item.session_start)] += item.duration_s
    for p in result.placements:
        used[(p.target_id, p.session_start)] += p.duration_s
    return used


def capacity(target, moment):
    """Capacity of the target's session starting at `moment`."""
    local = moment.astimezone(TZ)
    return next(g.capacity_s for g in target.grids if g.start == local.time())


@FAST
@given(problems())
def test_sessions_never_overflow_because_of_placements(problem):
    result = solve(problem)
    used, targets = loads(problem, result), {t.id: t for t in problem[0]}
    for key in {(p.target_id, p.session_start) for p in result.placements}:
        assert used[key] <= capacity(targets[key[0]], key[1])


@FAST
@given(problems())
def test_placements_fall_on_future_grid_sessions_in_range_and_off_blackouts(problem):
    targets, _, wins, _, start, end, now = problem
    result = solve(problem)
    blackout = window_dates(wins, "blackout", start, end)
    by_id = {t.id: t for t in targets}
    for p in result.placements:
        local = p.session_start.astimezone(TZ)
        assert p.session_start > now and start <= local.date() <= end and local.date() not in blackout
        assert any(g.start == local.time() and g.weekdays >> local.weekday() & 1 for g in by_id[p.target_id].grids)


@FAST
@given(problems())
def test_never_twice_in_a_session_and_min_gap_kept(problem):
    msgs, fixed = {m.id: m for m in problem[1]}, problem[3]
    result = solve(problem)
    seen = Counter((p.target_id, p.session_start, p.message_id) for p in result.placements)
    seen.update((f.target_id, f.session_start, f.message_id) for f in fixed if f.message_id in msgs)
    placed = {(p.target_id, p.session_start, p.message_id) for p in result.placements}
    assert all(seen[key] == 1 for key in placed)
    times = defaultdict(list)
    for tid, moment, mid in list(placed) + [(f.target_id, f.session_start, f.message_id) for f in fixed]:
        times[(tid, mid)].append(moment)
    for p in result.placements:
        gap = timedelta(hours=msgs[p.message_id].min_gap_hours)
        others = [m for m in times[(p.target_id, p.message_id)] if m != p.session_start]
        assert all(abs(m - p.session_start) >= gap for m in others)


@FAST
@given(problems())
def test_offsets_follow_fixed_items_with_priority_first(problem):
    result = solve(problem)
    fixed = Counter()
    for item in problem[3]:
        fixed[(item.target_id, item.session_start)] += item.duration_s
    rank = {m.id: ("emergency", "priority", "normal").index(m.priority) for m in problem[1]}
    sessions = defaultdict(list)
    for p in result.placements:
        sessions[(p.target_id, p.session_start)].append(p)
    for key, items in sessions.items():
        items.sort(key=lambda p: p.offset_s)
        assert items[0].offset_s == fixed[key]
        assert all(a.offset_s + a.duration_s == b.offset_s for a, b in zip(items, items[1:]))
        assert [rank[p.message_id] for p in items] == sorted(rank[p.message_id] for p in items)


def week_demands(problem):
    """Per (target, message, week): (need, peak units wanted, days, count incl. fixed) like the engine."""
    targets, msgs, wins, fixed, start, end, _ = problem
    blackout = window_dates(wins, "blackout", start, end)
    peak = window_dates(wins, "peak", start, end)
    out = {}
    for t in targets:
        airs = {date.fromordinal(s[1]) for g in t.grids for s in expand_sessions(g, start, end, blackout)}
        for m in msgs:
            if m.target_ids is not None and t.id not in m.target_ids:
                continue
            monday = start - timedelta(start.weekday())
            while monday <= end:
                days = [d for d in (monday + timedelta(n) for n in range(7)) if start <= d <= end and d not in blackout
                        and (m.valid_from or d) <= d <= (m.valid_to or d)]
                if days:
                    peak_days = [d for d in days if d in peak and d in airs]
                    out[(t.id, m.id, monday)] = (math.ceil(m.min_per_week * len(days) / 7), peak_days, days)
                monday += timedelta(7)
    return out


def day_counts(problem, result):
    """(fixed, placed) counts per (target, message, local day)."""
    specs = {m.id for m in problem[1]}
    fixed, placed = Counter(), Counter()
    for item in problem[3]:
        if item.message_id in specs:
            fixed[(item.target_id, item.message_id, item.session_start.astimezone(TZ).date())] += 1
    for p in result.placements:
        placed[(p.target_id, p.message_id, p.session_start.astimezone(TZ).date())] += 1
    return fixed, placed


@FAST
@given(problems())
def test_no_placement_beyond_the_frequency_targets(problem):
    result = solve(problem)
    msgs = {m.id: m for m in problem[1]}
    fixed, placed = day_counts(problem, result)
    for (tid, mid, _), (need, peak_days, days) in week_demands(problem).items():
        fixed_week = sum(fixed[(tid, mid, d)] for d in days)
        placed_week = sum(placed[(tid, mid, d)] for d in days)
        peak_units = sum(max(0, msgs[mid].peak_per_day - fixed[(tid, mid, d)]) for d in peak_days)
        assert fixed_week + placed_week <= max(need, fixed_week + peak_units)


@FAST
@given(problems())
def test_every_unmet_target_is_reported_and_could_not_take_one_more(problem):
    targets, msgs, wins, _, start, end, _ = problem
    result = solve(problem)
    by_target, specs = {t.id: t for t in targets}, {m.id: m for m in msgs}
    fixed, placed = day_counts(problem, result)
    count = fixed + placed
    reported = {(i.target_id, i.message_id) for i in result.issues if i.kind in ("target_shortfall", "too_long")}
    reported |= {(i.target_id, mid) for i in result.issues if i.kind == "no_sessions" for mid in specs}
    blackout = window_dates(wins, "blackout", start, end)
    for (tid, mid, _), (need, peak_days, days) in week_demands(problem).items():
        windows = [d for d in peak_days if count[(tid, mid, d)] < specs[mid].peak_per_day]
        windows = [[d] for d in windows] + ([days] if sum(count[(tid, mid, d)] for d in days) < need else [])
        for window in windows:
            assert (tid, mid) in reported
            assert not free_session(result, problem, by_target[tid], specs[mid], window, blackout)


def free_session(result, problem, target, spec, days, blackout):
    """A future session on `days` that could still take one more copy of `spec` (greedy maximality)."""
    used = loads(problem, result)
    times = [p.session_start for p in result.placements if p.target_id == target.id and p.message_id == spec.id]
    times += [f.session_start for f in problem[3] if f.target_id == target.id and f.message_id == spec.id]
    for grid in target.grids:
        for epoch, _, cap in expand_sessions(grid, days[0], days[-1], blackout):
            moment = datetime.fromtimestamp(epoch, timezone.utc)
            if moment <= problem[6] or moment in times or used[(target.id, moment)] + spec.duration_s > cap:
                continue
            if all(abs(moment - t) >= timedelta(hours=spec.min_gap_hours) for t in times):
                return True
    return False


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.randoms(use_true_random=False))
def test_same_inputs_in_any_order_give_the_same_schedule(problem, rnd: random.Random):
    shuffled = [list(part) for part in problem[:4]]
    for part in shuffled:
        rnd.shuffle(part)
    one, two = solve(problem), solve((*shuffled, *problem[4:]))
    assert one.placements == two.placements and one.issues == two.issues


@FAST
@given(st.lists(st.sampled_from(["bà", "con", "ơi", ".", "!", "\n", "VNeID", "15.4", "–", "…"]), max_size=60))
def test_duration_grows_with_text_and_never_negative(tokens):
    text = " ".join(tokens)
    assert 0 <= estimate_duration(text) <= estimate_duration(text + " thêm chữ.")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.integers(1, 3), st.sampled_from([30, 120, 250]))
def test_emergency_insertion_keeps_capacity_and_fixed_items(problem, ahead, duration):
    from planner.scheduling.emergency import insert_emergency

    targets, msgs, _, fixed, *_, now = problem
    result = solve(problem)
    storm = MessageSpec(7, 7, "emergency", duration, None, None, 0, 0, 0)
    out = insert_emergency(list(result.placements) + fixed, storm, [t.id for t in targets], now=now,
                           targets=targets, messages=msgs, sessions_ahead=ahead)
    assert set(out.displaced) <= set(result.placements)     # only movable placements ever move
    moved = {(p.target_id, p.session_start, p.message_id) for p in out.displaced + out.shifted}
    after = [p for p in result.placements if (p.target_id, p.session_start, p.message_id) not in moved]
    after += out.placed + out.replaced + out.shifted
    used = Counter()
    for item in after + fixed:
        used[(item.target_id, item.session_start)] += item.duration_s
    by_id = {t.id: t for t in targets}
    for p in out.placed + out.replaced:
        assert p.session_start > now and used[(p.target_id, p.session_start)] <= capacity(by_id[p.target_id], p.session_start)
    assert all(p.session_start > now for p in out.placed)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.data())
def test_a_target_sharing_a_base_plan_gets_what_it_would_get_alone(problem, data):
    targets, msgs, wins, fixed, start, end, now = problem
    grids_ = targets[0].grids
    twins = [TargetSpec(t, grids_) for t in (1, 2, 3)]     # same sessions, so one family
    msgs = [MessageSpec(m.id, m.message_id, m.priority, m.duration_s, m.valid_from, m.valid_to, m.min_per_week,
                        m.peak_per_day, m.min_gap_hours, m.audience) for m in msgs]
    pins = [FixedItem(data.draw(st.sampled_from([2, 3])), f.session_start, f.message_id, f.duration_s) for f in fixed
            if any(f.session_start.astimezone(TZ).time() == g.start for g in grids_)]
    together = solve((twins, msgs, wins, pins, start, end, now))
    for tid in (2, 3):
        alone = solve(([TargetSpec(tid, grids_)], msgs, wins, [f for f in pins if f.target_id == tid], start, end, now))
        assert [p for p in together.placements if p.target_id == tid] == alone.placements
        assert [i for i in together.issues if i.target_id == tid] == alone.issues
