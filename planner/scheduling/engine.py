"""build_schedule: group identical targets, expand each distinct grid tuple once, place, report."""
from __future__ import annotations

from array import array
from datetime import date, datetime, timedelta

from planner.scheduling import report
from planner.scheduling.calendar import SessionTable, canonical_grids, capacity_of, local_day, \
    to_epoch, window_dates, window_spans
from planner.scheduling.placement import Horizon, TargetPlacer
from planner.scheduling.result import Block, ScheduleResult
from planner.scheduling.validation import check_inputs


def _fixed_by_target(fixed, first: date, last: date) -> dict[int, tuple]:
    """Fixed items near the range, per target, as sorted (epoch, version, duration, day) tuples."""
    rows: dict[int, list] = {}
    for item in fixed:
        epoch = to_epoch(item.session_start)
        day = local_day(epoch)
        if first <= day <= last:
            rows.setdefault(item.target_id, []).append((epoch, item.message_id, item.duration_s,
                                                        day.toordinal()))
    return {tid: tuple(sorted(items)) for tid, items in rows.items()}


def _messages_by_target(targets, messages) -> dict[int, tuple[int, ...]]:
    """Version ids that apply to each target (all-target messages plus targeted ones)."""
    everywhere = [m.id for m in messages if m.target_ids is None]
    chosen: dict[int, list[int]] = {t.id: list(everywhere) for t in targets}
    for m in messages:
        for tid in m.target_ids or ():
            chosen[tid].append(m.id)
    return {tid: tuple(sorted(ids)) for tid, ids in chosen.items()}


def _groups(targets, messages, fixed_rows) -> dict[tuple, list[int]]:
    """Targets with the same grids, messages and fixed items get the same placement."""
    applying = _messages_by_target(targets, messages)
    groups: dict[tuple, list[int]] = {}
    for target in sorted(targets, key=lambda t: t.id):
        key = (canonical_grids(target.grids), applying[target.id], fixed_rows.get(target.id, ()))
        groups.setdefault(key, []).append(target.id)
    return groups


def _place_group(key: tuple, table: SessionTable, horizon: Horizon, specs: dict,
                 peak_spans: list) -> tuple[Block, TargetPlacer]:
    """Place one group's messages and collect its issue templates."""
    grids, version_ids, fixed_rows = key
    longest = max((capacity_of(g) for g in grids), default=0)
    issues, fitting = [], []
    for vid in version_ids:
        spec = specs[vid]
        wants = spec.min_per_week or spec.peak_per_day
        if grids and spec.duration_s > longest and wants:
            issues.append(report.too_long(spec, longest))
        else:
            fitting.append(spec)
    placer = TargetPlacer(table, horizon, fitting, fixed_rows)
    if any(s.min_per_week or s.peak_per_day for s in fitting) and placer.first_free >= len(table):
        issues.append(report.no_sessions(date.fromordinal(horizon.first), date.fromordinal(horizon.last)))
    else:
        placer.run()
        issues += report.shortfalls(placer)
    issues += report.pinned_conflicts(placer) + report.peak_fill(placer, peak_spans)
    rows = placer.offsets()
    block = Block([], array("q", [specs[r[1]].id for r in rows]), array("q", [table.starts[r[0]] for r in rows]),
                  array("q", [r[2] for r in rows]), array("q", [r[3] for r in rows]),
                  [r[4] for r in rows], issues, len(table))
    return block, placer


def build_schedule(targets, messages, windows, fixed, start: date, end: date, *, now: datetime,
                   blackout_channels_applied: bool = True) -> ScheduleResult:
    """Place messages into future sessions of [start, end]; see the package docstring for the rules."""
    targets, messages, windows, fixed = list(targets), list(messages), list(windows), list(fixed)
    check_inputs(targets, messages, windows, fixed, start, end, now)
    blackout = window_dates(windows, "blackout", start, end) if blackout_channels_applied else set()
    peak = window_dates(windows, "peak", start, end)
    horizon = Horizon(start.toordinal(), end.toordinal(), to_epoch(now),
                      frozenset(d.toordinal() for d in blackout), frozenset(d.toordinal() for d in peak))
    max_gap = timedelta(hours=max((m.min_gap_hours for m in messages), default=0))
    monday = start - timedelta(start.weekday())
    fixed_rows = _fixed_by_target(fixed, monday - max_gap - timedelta(1), end + max_gap + timedelta(1))
    specs = {m.id: m for m in messages}
    peak_spans = sorted(s for w in windows if w.kind == "peak" for s in window_spans(w, start, end))
    tables: dict[tuple, SessionTable] = {}
    blocks = []
    for key, target_ids in _groups(targets, messages, fixed_rows).items():
        grids = key[0]
        if grids not in tables:
            tables[grids] = SessionTable(grids, start, end, blackout)
        block, _ = _place_group(key, tables[grids], horizon, specs, peak_spans)
        block.target_ids = target_ids
        blocks.append(block)
    return ScheduleResult(blocks, specs, {t.id: t.name for t in targets})
