"""build_schedule: group identical targets, expand each distinct grid tuple once, place, report."""
from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import replace
from bisect import bisect_left
from datetime import date, datetime, time

from planner.scheduling import report
from planner.scheduling.calendar import TZ, SessionTable, canonical_grids, capacity_of, local_day, \
    to_epoch, window_dates, window_spans
from planner.scheduling.placement import Horizon, TargetPlacer
from planner.scheduling.result import Block, ScheduleResult
from planner.scheduling.sharing import Family
from planner.scheduling.validation import check_inputs


def _midnight(day: date) -> int:
    """Epoch of local midnight starting `day`."""
    return int(datetime.combine(day, time(0), tzinfo=TZ).timestamp())


def _fixed_rows(fixed) -> dict[int, list[tuple]]:
    """Fixed items per target as (epoch, version, duration, local day ordinal) rows."""
    rows: dict[int, list] = {}
    for item in fixed:
        epoch = to_epoch(item.session_start)
        rows.setdefault(item.target_id, []).append((epoch, item.message_id, item.duration_s,
                                                    local_day(epoch).toordinal()))
    return rows


def _relevant(rows, applying: set[int], horizon: Horizon, gaps: dict[int, int], edges: tuple[int, int]) -> tuple:
    """Only the fixed rows that can change the placement (so identical targets stay grouped):
    capacity of a future session in range, frequency of an applying message in range, separation."""
    kept = []
    for row in rows:
        epoch, version_id, _, ordinal = row
        in_range = horizon.first <= ordinal <= horizon.last
        gap = gaps.get(version_id, 0) if version_id in applying else 0
        near = gap and max(horizon.now, edges[0]) - gap < epoch < edges[1] + gap
        if (in_range and (epoch > horizon.now or version_id in applying)) or near:
            kept.append(row)
    return tuple(sorted(kept))


def _messages_by_target(targets, messages) -> dict[int, tuple[int, ...]]:
    """Version ids that apply to each target (all-target messages plus targeted ones)."""
    everywhere = [m.id for m in messages if m.target_ids is None]
    chosen: dict[int, list[int]] = {t.id: list(everywhere) for t in targets}
    for m in messages:
        for tid in m.target_ids or ():
            chosen[tid].append(m.id)
    return {tid: tuple(sorted(ids)) for tid, ids in chosen.items()}


def _families(targets, messages, fixed, horizon: Horizon, edges) -> dict[tuple, dict[tuple, list[int]]]:
    """Targets by (grids, messages), then by their relevant fixed items (equal → same placement)."""
    applying = _messages_by_target(targets, messages)
    gaps = {m.id: m.min_gap_hours * 3600 for m in messages}
    rows = _fixed_rows(fixed)
    families: dict[tuple, dict[tuple, list[int]]] = {}
    for target in sorted(targets, key=lambda t: t.id):
        pinned = _relevant(rows.get(target.id, ()), set(applying[target.id]), horizon, gaps, edges)
        family = families.setdefault((canonical_grids(target.grids), applying[target.id]), {})
        family.setdefault(pinned, []).append(target.id)
    return families


def _fitting(grids, version_ids, specs) -> tuple[list, list]:
    """Messages that fit some session of the grids, and a too_long issue for each other one."""
    longest = max((capacity_of(g) for g in grids), default=0)
    fitting, issues = [], []
    for vid in version_ids:
        spec = specs[vid]
        if grids and spec.duration_s > longest and (spec.min_per_week or spec.peak_per_day):
            issues.append(report.too_long(spec, longest))
        else:
            fitting.append(spec)
    return fitting, issues


def _block(placer: TargetPlacer, issues: list, target_ids: list[int], peak_spans: list) -> Block:
    """The placer's rows (with offsets) and all issues as a columnar block."""
    rows, starts = placer.offsets(), placer.table.starts
    return Block(target_ids, array("q", [r[1] for r in rows]), array("q", [starts[r[0]] for r in rows]),
                 array("q", [r[2] for r in rows]), array("q", [r[3] for r in rows]), [r[4] for r in rows],
                 issues + report.pinned_conflicts(placer) + report.peak_fill(placer, peak_spans), len(placer.table))


def _splice(base: Block, own: Block, span: tuple[int, int]) -> Block:
    """The base's rows outside the re-planned epoch span around the derived target's own rows."""
    lo, hi = bisect_left(base.session_start, span[0]), bisect_left(base.session_start, span[1])
    columns = {name: getattr(base, name)[:lo] + getattr(own, name) + getattr(base, name)[hi:]
               for name in ("message_id", "session_start", "offset_s", "duration_s", "reasons")}
    return replace(own, **columns)


def _place_family(key: tuple, patterns: dict, table: SessionTable, horizon: Horizon, specs: dict,
                  peak_spans: list) -> list[Block]:
    """Place the fixed rows all patterns share in full, derive each pattern from that."""
    fitting, issues = _fitting(key[0], key[1], specs)
    ordered = sorted(patterns.items(), key=lambda p: (-len(p[1]), len(p[0]), p[0]))
    if any(s.min_per_week or s.peak_per_day for s in fitting) and bisect_left(table.starts, horizon.now + 1) >= len(table):
        issues = issues + [report.no_sessions(date.fromordinal(horizon.first), date.fromordinal(horizon.last))]
        return [_block(TargetPlacer(table, horizon, fitting, pinned), issues, target_ids, peak_spans)
                for pinned, target_ids in ordered]
    # The base is the fixed rows every pattern shares, so each target re-plans only around its own.
    shared = Counter(next(iter(patterns)))
    for pinned in patterns:
        shared &= Counter(pinned)
    common = tuple(sorted(shared.elements()))
    family = Family(table, horizon, fitting, common)
    base_short = report.shortfalls(family.base)
    base_block = _block(family.base, issues + [i for _, i in base_short], [], peak_spans)
    blocks = []
    for pinned, target_ids in ordered:
        if pinned == common:
            blocks.append(replace(base_block, target_ids=target_ids))
            continue
        placer, weeks, span = family.derive(pinned)
        short = [s for s in base_short if s[0] not in weeks] + report.shortfalls(placer, weeks)
        short = [i for _, i in sorted(short, key=lambda s: s[0])]
        blocks.append(_splice(base_block, _block(placer, issues + short, target_ids, peak_spans), span))
    return blocks


def build_schedule(targets, messages, windows, fixed, start: date, end: date, *, now: datetime,
                   blackout_channels_applied: bool = True) -> ScheduleResult:
    """Place messages into future sessions of [start, end]; rules in the package docstring."""
    # blackout_channels_applied=True: the caller already kept only the blackout windows of this
    # channel, so every given blackout applies; False: blackout windows are ignored.
    targets, messages, windows, fixed = list(targets), list(messages), list(windows), list(fixed)
    check_inputs(targets, messages, windows, fixed, start, end, now)
    blackout = window_dates(windows, "blackout", start, end) if blackout_channels_applied else set()
    peak = window_dates(windows, "peak", start, end)
    horizon = Horizon(start.toordinal(), end.toordinal(), to_epoch(now),
                      frozenset(d.toordinal() for d in blackout), frozenset(d.toordinal() for d in peak))
    edges = (_midnight(start), _midnight(end) + 86400)
    specs = {m.id: m for m in messages}
    peak_spans = sorted(s for w in windows if w.kind == "peak" for s in window_spans(w, start, end))
    tables: dict[tuple, SessionTable] = {}
    blocks = []
    for key, patterns in _families(targets, messages, fixed, horizon, edges).items():
        if key[0] not in tables:
            tables[key[0]] = SessionTable(key[0], start, end, blackout)
        blocks += _place_family(key, patterns, tables[key[0]], horizon, specs, peak_spans)
    return ScheduleResult(blocks, specs, {t.id: t.name for t in targets})
