"""Targets that differ from a base target only in a few fixed items reuse its placement outside
the weeks those items can reach, so one pinned broadcast does not cost a whole re-plan.

A week's placement depends only on the fixed items within the largest separation gap of the
week and on the occurrences just before it (the `boundary`). So a derived target copies the
base's weeks before the first differing fixed item, re-plans from there, and copies the rest
again as soon as no difference lies ahead and its boundary equals the base's. The result is
identical to planning the target on its own (a property test checks this).
"""
from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from datetime import date, datetime, time

from planner.scheduling.calendar import TZ, SessionTable
from planner.scheduling.placement import Horizon, TargetPlacer, rotation


def week_epochs(weeks: list[int]) -> list[int]:
    """Local-midnight epochs of each week's Monday, plus the Monday after the last week."""
    mondays = weeks + [weeks[-1] + 7] if weeks else []
    return [int(datetime.combine(date.fromordinal(d), time(0), tzinfo=TZ).timestamp()) for d in mondays]


class Family:
    """One base placement for targets with the same sessions and messages."""

    def __init__(self, table: SessionTable, horizon: Horizon, messages, base_fixed: tuple):
        self.table, self.horizon, self.messages = table, horizon, messages
        self.round_robin = rotation(messages)
        self.base = TargetPlacer(table, horizon, messages, base_fixed, self.round_robin)
        self.base.run()
        self.base_fixed = Counter(base_fixed)
        self.epochs = week_epochs(self.base.weeks)
        self.gap = max((m.min_gap_hours * 3600 for m in messages), default=0)
        self.bounds = [self.base.boundary(epoch) for epoch in self.epochs]

    def derive(self, fixed: tuple) -> tuple[TargetPlacer, range, tuple[int, int]]:
        """A placer holding only the re-planned weeks, those weeks, and their epoch span."""
        placer = TargetPlacer(self.table, self.horizon, self.messages, fixed, self.round_robin)
        mine = Counter(fixed)
        diff = sorted(row[0] for row in ((mine - self.base_fixed) + (self.base_fixed - mine)).elements())
        weeks = len(placer.weeks)
        first = next((w for w in range(weeks) if diff and self.epochs[w + 1] + self.gap > diff[0]), weeks)
        week = first
        if first < weeks:
            self._take_boundary(placer, first)
        while week < weeks:
            placer.run_week(week)
            week += 1
            if diff[-1] < self.epochs[week] - self.gap and placer.boundary(self.epochs[week]) == self.bounds[week]:
                break
        lo = bisect_left(self.table.starts, self.epochs[first])
        hi = bisect_left(self.table.starts, self.epochs[week])
        placer.used[:lo], placer.used[hi:] = self.base.used[:lo], self.base.used[hi:]
        return placer, range(first, week), (self.epochs[first], self.epochs[week])

    def _take_boundary(self, placer: TargetPlacer, first: int) -> None:
        """Load the base's occurrences within the gap before week `first` (they constrain it)."""
        cut, end, starts = self.epochs[first] - self.gap, self.epochs[first], self.table.starts
        placer.replay([r for r in self.base.placed[:self.base.marks[first]] if cut <= starts[r[0]] < end], full=True)
        placer.placed.clear()    # those weeks come from the base's block
