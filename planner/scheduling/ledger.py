"""Occupancy of one target's sessions built from an existing schedule, for local repairs."""
from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass
from datetime import date

from planner.scheduling.calendar import SessionTable, canonical_grids, local_day, to_epoch, to_utc
from planner.scheduling.specs import PRIORITY_RANK, FixedItem, Placement


@dataclass(eq=False)
class Entry:
    """One occupant of a session: movable unless fixed; `source` is the caller's original record."""

    message_id: int
    duration_s: int
    rank: int
    is_fixed: bool
    source: object = None
    offset_s: int = -1


class Ledger:
    """Sessions of one target between two local dates, with who sits in each and where."""

    def __init__(self, target, first: date, last: date, blackout: set[date], existing, specs: dict):
        self.target_id, self.specs = target.id, specs
        self.target_label = getattr(target, "name", "") or f"mục tiêu {target.id}"
        self.table = SessionTable(canonical_grids(target.grids), first, last, set())
        self.blackout = {d.toordinal() for d in blackout}
        self.items: dict[int, list[Entry]] = {}
        self.times: dict[int, list[int]] = {}
        for record in existing:
            self._load(record)

    def _load(self, record) -> None:
        """Record an existing Placement (movable) or FixedItem (never moved)."""
        fixed = isinstance(record, FixedItem) or not isinstance(record, Placement)
        spec = self.specs.get(record.message_id)
        priority = getattr(record, "priority", None) or (spec.priority if spec else "normal")
        entry = Entry(record.message_id, record.duration_s, PRIORITY_RANK.get(priority, 2), fixed, record,
                      getattr(record, "offset_s", -1))
        epoch = to_epoch(record.session_start)
        slot = self.table.index.get(epoch)
        if slot is not None:
            self.items.setdefault(slot, []).append(entry)
        insort(self.times.setdefault(record.message_id, []), epoch)

    def items_of(self, message_id: int) -> list[tuple[int, Entry]]:
        """(slot, entry) of every occurrence of a message in the ledger's sessions."""
        return [(slot, e) for slot, entries in self.items.items() for e in entries if e.message_id == message_id]

    def used(self, slot: int) -> int:
        """Seconds taken in a session."""
        return sum(e.duration_s for e in self.items.get(slot, ()))

    def fits(self, slot: int, message_id: int, duration_s: int, gap_hours: int) -> bool:
        """Room, not already in the session, and the separation kept."""
        start = self.table.starts[slot]
        if any(e.message_id == message_id for e in self.items.get(slot, ())):
            return False
        if self.table.caps[slot] - self.used(slot) < duration_s:
            return False
        times, gap = self.times.get(message_id, []), gap_hours * 3600
        return not gap or not any(abs(t - start) < gap for t in
                                  times[bisect_left(times, start - gap + 1):bisect_right(times, start + gap - 1)])

    def add(self, slot: int, entry: Entry) -> None:
        """Put an entry in a session."""
        self.items.setdefault(slot, []).append(entry)
        insort(self.times.setdefault(entry.message_id, []), self.table.starts[slot])

    def remove(self, slot: int, entry: Entry) -> None:
        """Take an entry out of a session."""
        self.items[slot].remove(entry)
        self.times[entry.message_id].remove(self.table.starts[slot])

    def next_free(self, after: int, message_id: int, duration_s: int, last_day: date | None,
                  gap_hours: int = 0, *, respect_blackout: bool = True) -> int:
        """First session starting after epoch `after` (up to `last_day`) that takes the item, or -1."""
        t = self.table
        for slot in range(bisect_right(t.starts, after), len(t)):
            if last_day and t.days[slot] > last_day.toordinal():
                break
            if respect_blackout and t.days[slot] in self.blackout:
                continue
            if self.fits(slot, message_id, duration_s, gap_hours):
                return slot
        return -1

    def layout(self, slot: int) -> list[Entry]:
        """Offsets in a session: fixed items with a known place keep it; the others (fixed first, then by
        priority, then in arrival order) take the first gap long enough, else play after everything."""
        entries = self.items.get(slot, ())
        busy = sorted((e.source.offset_s, e.source.offset_s + e.duration_s) for e in entries if _anchored(e))
        for entry in entries:
            if _anchored(entry):
                entry.offset_s = entry.source.offset_s
        for entry in sorted((e for e in entries if not _anchored(e)), key=lambda e: (not e.is_fixed, e.rank)):
            entry.offset_s = _first_gap(busy, entry.duration_s)
            insort(busy, (entry.offset_s, entry.offset_s + entry.duration_s))
        return sorted(entries, key=lambda e: e.offset_s)

    def placement(self, slot: int, entry: Entry) -> Placement:
        """A Placement for an entry at its current offset."""
        return Placement(self.target_id, entry.message_id, to_utc(self.table.starts[slot]), entry.offset_s,
                         entry.duration_s)

    def day_of(self, slot: int) -> date:
        """Local date of a session."""
        return local_day(self.table.starts[slot])


def _anchored(entry: Entry) -> bool:
    """A fixed item whose place in the session is known: nothing may be laid over it."""
    return entry.is_fixed and isinstance(entry.source, FixedItem) and entry.source.offset_s >= 0


def _first_gap(busy: list[tuple[int, int]], duration: int) -> int:
    """Start of the first free stretch of `duration` seconds between sorted busy intervals."""
    cursor = 0
    for start, end in busy:
        if cursor + duration <= start:
            return cursor
        cursor = max(cursor, end)
    return cursor
