"""Hypothesis properties of emergency insertion: never two items at the same time in a session, fixed places kept."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.scheduling import FixedItem, GridSpec, MessageSpec, Placement, TargetSpec, build_schedule
from planner.scheduling.emergency import insert_emergency

MORNING = GridSpec(1, 127, time(5, 30), time(6, 0), 600)
EVENING = GridSpec(2, 127, time(17, 0), time(17, 30), 600)
TARGETS = [TargetSpec(1, (MORNING, EVENING)), TargetSpec(2, (MORNING, EVENING))]
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)       # 01/03 19:00 local
NEXT = datetime(2026, 3, 1, 22, 30, tzinfo=timezone.utc)      # 02/03 05:30 local
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _normal(n: int, duration: int) -> MessageSpec:
    return MessageSpec(n, n, "normal", duration, None, date(2026, 3, 31), 5, 0, 0, title=f"Tin {n}")


def _apply(records: list, out, item: MessageSpec) -> list:
    """The stored schedule after a repair, as the operations layer writes it (new emergencies are pinned)."""
    gone = {(p.target_id, p.session_start, p.message_id) for p in out.displaced}
    moved = {(p.target_id, p.session_start, p.message_id): p for p in out.shifted}
    kept = []
    for r in records:
        key = (r.target_id, r.session_start, r.message_id)
        if isinstance(r, Placement) and key in gone:
            continue
        kept.append(moved.get(key, r) if isinstance(r, Placement) else r)
    return kept + list(out.replaced) + [FixedItem(p.target_id, p.session_start, p.message_id, p.duration_s,
                                                  "emergency", p.offset_s) for p in out.placed]


def _offset(r) -> int:
    return r.offset_s


def _overlaps(records: list) -> list:
    sessions = defaultdict(list)
    for r in records:
        sessions[(r.target_id, r.session_start)].append((_offset(r), _offset(r) + r.duration_s, r.message_id))
    bad = []
    for key, spans in sessions.items():
        spans.sort()
        bad += [(key, a, b) for a, b in zip(spans, spans[1:]) if b[0] < a[1]]
    return bad


@st.composite
def schedules(draw):
    """A week of normal messages (movable) plus a few pinned items at their real, non-overlapping places."""
    normals = [_normal(n, draw(st.sampled_from([45, 60, 90, 150]))) for n in range(1, draw(st.integers(1, 4)) + 1)]
    base = build_schedule(TARGETS, normals, [], [], date(2026, 3, 2), date(2026, 3, 8), now=NOW)
    records = list(base.placements)
    pinned = draw(st.lists(st.sampled_from(records), max_size=4, unique=True)) if records else []
    records = [FixedItem(r.target_id, r.session_start, r.message_id, r.duration_s, "normal", r.offset_s)
               if r in pinned else r for r in records]
    return normals, records


@FAST
@given(schedules(), st.lists(st.tuples(st.sampled_from([30, 60, 120, 200]), st.integers(1, 3),
                                       st.sampled_from([[1], [2], [1, 2]])), min_size=1, max_size=4))
def test_successive_emergencies_never_overlap_anything_in_a_session(data, inserts):
    normals, records = data
    fixed_before = [r for r in records if isinstance(r, FixedItem)]
    specs = list(normals)
    for n, (duration, sessions, target_ids) in enumerate(inserts):
        item = MessageSpec(90 + n, 90 + n, "emergency", duration, None, None, 0, 0, 0, title=f"Khẩn {n}")
        out = insert_emergency(records, item, target_ids, now=NOW, targets=TARGETS, messages=specs,
                               sessions_ahead=sessions)
        records = _apply(records, out, item)
        specs.append(item)
        assert _overlaps(records) == [], out
    for fixed in fixed_before:      # pinned items keep their exact place
        assert fixed in records
    used = defaultdict(int)
    for r in records:
        used[(r.target_id, r.session_start)] += r.duration_s
    assert max(used.values()) <= 600


def test_a_second_emergency_plays_after_the_first_not_at_the_same_second():
    first = MessageSpec(90, 90, "emergency", 60, None, None, 0, 0, 0, title="Bão")
    second = MessageSpec(91, 91, "emergency", 60, None, None, 0, 0, 0, title="Lũ")
    out1 = insert_emergency([], first, [1], now=NOW, targets=TARGETS)
    stored = [FixedItem(p.target_id, p.session_start, p.message_id, p.duration_s, "", p.offset_s) for p in out1.placed]
    out2 = insert_emergency(stored, second, [1], now=NOW, targets=TARGETS, messages=[first])
    assert [(p.session_start, p.offset_s) for p in out1.placed] == [(NEXT, 0)]
    assert [(p.session_start, p.offset_s) for p in out2.placed] == [(NEXT, 60)]


def test_an_emergency_is_laid_around_a_pinned_item_at_the_session_start():
    pinned = [FixedItem(1, NEXT, 1, 100, "normal", 0)]
    item = MessageSpec(90, 90, "emergency", 60, None, None, 0, 0, 0, title="Bão")
    out = insert_emergency(pinned, item, [1], now=NOW, targets=TARGETS, messages=[_normal(1, 100)])
    assert [(p.session_start, p.offset_s) for p in out.placed] == [(NEXT, 100)]
