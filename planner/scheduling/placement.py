"""Greedy placement for one target: frequency demands per ISO week and peak day into free sessions."""
from __future__ import annotations

import math
from bisect import bisect_left, insort
from dataclasses import dataclass, field

from planner.scheduling.calendar import SessionTable
from planner.scheduling.specs import PRIORITY_RANK, MessageSpec

# Why a demand could not be met (Vietnamese, shown in the report).
WHY_NO_SESSION = "không còn phiên phát nào (đã qua, ngoài khung giờ hoặc ngày cấm phát)"
WHY_ONCE = "mỗi phiên chỉ được phát tin một lần"
WHY_GAP = "phải cách lần phát trước ít nhất {gap} giờ"
WHY_FULL = "phiên đã đầy"


def rotation(messages) -> dict[int, tuple[int, int]]:
    """Round-robin position of each message: (turn within its audience, audience number)."""
    audiences = sorted({m.audience for m in messages})
    seen: dict[str, int] = {}
    order = {}
    for m in sorted(messages, key=lambda m: m.id):
        order[m.id] = (seen.get(m.audience, 0), audiences.index(m.audience))
        seen[m.audience] = seen.get(m.audience, 0) + 1
    return order


@dataclass(frozen=True)
class Horizon:
    """The scheduling range and its calendar, as day ordinals and epoch seconds."""

    first: int
    last: int
    now: int
    blackout: frozenset[int]
    peak: frozenset[int]


@dataclass
class Track:
    """Running state of one message at the target: where it sits and how often per day."""

    spec: MessageSpec
    rank: int
    times: list[int] = field(default_factory=list)
    per_day: dict[int, int] = field(default_factory=dict)
    last_slot: int = -1
    why: dict[tuple, set[str]] = field(default_factory=dict)


@dataclass(order=True)
class Unit:
    """One placement wanted: ordered by priority class, then round-robin turn."""

    key: tuple
    track: Track = field(compare=False)
    lo: int = field(compare=False)
    hi: int = field(compare=False)
    ideal: float = field(compare=False)
    reason: tuple = field(compare=False)
    demand: tuple = field(compare=False)
    days: list[int] | None = field(default=None, compare=False)


class TargetPlacer:
    """Places the demands of a set of messages into the sessions of one target."""

    def __init__(self, table: SessionTable, horizon: Horizon, messages, fixed, round_robin=None):
        self.table, self.horizon = table, horizon
        self.first_free = bisect_left(table.starts, horizon.now + 1)
        self.used = [0] * len(table)
        self.fixed_used = [0] * len(table)
        self.members: set[tuple[int, int]] = set()
        self.tracks = {m.id: Track(m, PRIORITY_RANK[m.priority]) for m in messages}
        self.placed: list[tuple[int, int, tuple]] = []
        self.orphans: list[tuple] = []
        monday = horizon.first - (horizon.first + 6) % 7
        self.weeks = list(range(monday, horizon.last + 1, 7))
        self.marks = [0] * (len(self.weeks) + 1)
        self.round_robin = round_robin or rotation(messages)
        self.audience_count = max(len({m.audience for m in messages}), 1)
        self._load_fixed(fixed)

    def _load_fixed(self, fixed) -> None:
        """Fixed items use capacity, count towards frequency and constrain separation."""
        index = self.table.index
        for epoch, version_id, duration, ordinal in fixed:
            slot = index.get(epoch)
            if slot is None:
                self.orphans.append((epoch, version_id, duration, ordinal))
            else:
                self.used[slot] += duration
                self.fixed_used[slot] += duration
                self.members.add((slot, version_id))
            track = self.tracks.get(version_id)
            if track is not None:
                insort(track.times, epoch)
                track.per_day[ordinal] = track.per_day.get(ordinal, 0) + 1

    def run(self, first: int = 0, stop: int | None = None) -> None:
        """Place weeks [first, stop) in order (weeks are independent except for separation)."""
        for week in range(first, len(self.weeks) if stop is None else stop):
            self.run_week(week)

    def run_week(self, week: int) -> None:
        """Place one week's demands; `marks` remembers where each week's placements start."""
        self.marks[week] = len(self.placed)
        units = []
        for track in self.tracks.values():
            track.last_slot = -1    # alternate morning/afternoon within the week only
            units.extend(self._week_units(track, self.weeks[week]))
        self._order(units, week)
        for unit in sorted(units):
            self._place(unit)
        self.marks[week + 1] = len(self.placed)

    def replay(self, rows, full: bool) -> None:
        """Take over placements computed for an identical target: fully, or only their seconds."""
        for row in rows:
            if full:
                self._commit(self.tracks[row[1]], row[0], row[2])
            else:
                self.used[row[0]] += self.tracks[row[1]].spec.duration_s

    def boundary(self, epoch: int) -> tuple:
        """What earlier weeks pass on to the weeks from `epoch`: occurrences within each gap before it."""
        snapshot = []
        for version_id, track in self.tracks.items():
            gap = track.spec.min_gap_hours * 3600
            if gap:
                lo, hi = bisect_left(track.times, epoch - gap), bisect_left(track.times, epoch)
                if hi > lo:
                    snapshot.append((version_id, tuple(track.times[lo:hi])))
        return tuple(snapshot)

    def days_of(self, spec: MessageSpec, week_start: int, *, any_weekday: bool = False) -> list[int]:
        """Days of the week inside the range and the message's validity, off blackout days, on the
        message's own weekdays (all of them with `any_weekday`)."""
        h = self.horizon
        lo = max(week_start, h.first, spec.valid_from.toordinal() if spec.valid_from else h.first)
        hi = min(week_start + 6, h.last, spec.valid_to.toordinal() if spec.valid_to else h.last)
        mask = 0b1111111 if any_weekday else spec.weekdays
        # Ordinal 1 (1 January of year 1) was a Monday, so (ordinal - 1) % 7 is the weekday, Monday = 0.
        return [d for d in range(lo, hi + 1) if d not in h.blackout and mask >> ((d - 1) % 7) & 1]

    def week_need(self, spec: MessageSpec, days: list[int]) -> int:
        """The weekly target prorated to the available days: ceil(min_per_week × days / 7).

        Days the message itself does not air still count as available: its weekdays narrow where the
        week's airings go, not how many there are.
        """
        if days and spec.weekdays != 0b1111111:
            days = self.days_of(spec, days[0] - (days[0] - 1) % 7, any_weekday=True)
        return math.ceil(spec.min_per_week * len(days) / 7)

    def _week_units(self, track: Track, week_start: int) -> list[Unit]:
        """Peak-day units (day bound) first, then the rest of the weekly target."""
        spec, table = track.spec, self.table
        days = self.days_of(spec, week_start)
        if not days:
            return []
        units, have = [], 0
        for day in days:
            have += track.per_day.get(day, 0)
            if day in self.horizon.peak and day in table.day_range:    # the target airs that day
                lo, hi = table.day_range[day]
                for k in range(track.per_day.get(day, 0), spec.peak_per_day):
                    units.append(Unit((), track, lo, hi, day, ("peak", day, k + 1, spec.peak_per_day),
                                      ("day", day)))
        # Weekly units do not count on the peak units succeeding: each one checks, when its
        # turn comes, whether the week is already met (see _place).
        need = self.week_need(spec, days)
        rest = need - have
        lo, hi = table.span(days[0], days[-1])
        for k in range(max(rest, 0)):
            ideal = days[0] + (k + 0.5) * (days[-1] - days[0] + 1) / rest
            units.append(Unit((), track, lo, hi, ideal, ("week", week_start, have + k + 1, need),
                              ("week", week_start), days))
        return units

    def _order(self, units: list[Unit], week: int) -> None:
        """Sort key: class, peak before weekly, turn (1st before anyone's 2nd), rotating audiences."""
        turns: dict[int, int] = {}
        positions, count = self.round_robin, self.audience_count
        for unit in units:
            spec = unit.track.spec
            position, audience = positions[spec.id]
            if unit.reason[0] == "peak":
                phase, turn = 0, (unit.reason[2], unit.reason[1])
            else:
                phase, turn = 1, turns.setdefault(spec.id, 0)
                turns[spec.id] += 1
            unit.key = (unit.track.rank, phase, turn, position, (audience - week) % count, spec.id)

    def _place(self, unit: Unit) -> bool:
        """Put the unit in the best free session of its window, or note why it could not."""
        track, spec = unit.track, unit.track.spec
        if unit.days is not None:
            got = sum(track.per_day.get(day, 0) for day in unit.days)
            if got >= unit.reason[3]:
                return True
            unit.reason = (*unit.reason[:2], got + 1, unit.reason[3])
        best, best_key, why = -1, None, set()
        gap, duration, members, used = spec.min_gap_hours * 3600, spec.duration_s, self.members, self.used
        caps, days, per_day = self.table.caps, self.table.days, track.per_day
        mask = spec.weekdays if spec.weekdays != 0b1111111 else 0    # 0: every day, no check
        for i in range(max(unit.lo, self.first_free), unit.hi):
            if mask and not mask >> ((days[i] - 1) % 7) & 1:
                continue    # not one of the message's own weekdays
            if caps[i] - used[i] < duration:
                why.add(WHY_FULL)
            elif (i, spec.id) in members:
                why.add(WHY_ONCE)
            elif gap and not self._gap_ok(track.times, self.table.starts[i], gap):
                why.add(WHY_GAP.format(gap=spec.min_gap_hours))
            else:
                key = (per_day.get(days[i], 0), 4 * used[i] // (caps[i] or 1), abs(days[i] - unit.ideal),
                       self.table.slots[i] == track.last_slot, used[i], i)
                if best_key is None or key < best_key:
                    best, best_key = i, key
        if best < 0:
            track.why.setdefault(unit.demand, set()).update(why or {WHY_NO_SESSION})
            return False
        self._commit(track, best, unit.reason)
        return True

    @staticmethod
    def _gap_ok(times: list[int], start: int, gap: int) -> bool:
        """No other occurrence of the message within `gap` seconds of `start`."""
        j = bisect_left(times, start)
        return (j == len(times) or times[j] - start >= gap) and (j == 0 or start - times[j - 1] >= gap)

    def _commit(self, track: Track, slot: int, reason: tuple) -> None:
        """Record a placement in the session and in the message's track."""
        t, spec = self.table, track.spec
        self.used[slot] += spec.duration_s
        self.members.add((slot, spec.id))
        insort(track.times, t.starts[slot])
        track.per_day[t.days[slot]] = track.per_day.get(t.days[slot], 0) + 1
        track.last_slot = t.slots[slot]
        self.placed.append((slot, spec.id, reason))

    def offsets(self) -> list[tuple[int, int, int, int, tuple]]:
        """Placements as (session index, version id, offset, duration, reason); priority first."""
        ordered = sorted(self.placed, key=lambda p: (p[0], self.tracks[p[1]].rank, p[1]))
        rows, cursor, current = [], 0, -1
        for slot, version_id, reason in ordered:
            if slot != current:
                current, cursor = slot, self.fixed_used[slot]
            duration = self.tracks[version_id].spec.duration_s
            rows.append((slot, version_id, cursor, duration, reason))
            cursor += duration
        return rows
