"""Local repairs of an existing schedule: emergency insertion and re-placing missed deliveries.

    insert_emergency(existing, item, target_ids, *, now, targets, messages=(), windows=(),
                     sessions_ahead=1, horizon_days=14, respect_blackouts=False) -> EmergencyResult
    replace_missed(existing, missed, *, now, targets, messages=(), windows=(), horizon_days=14)
        -> EmergencyResult

`existing` is a ScheduleResult or an iterable of Placement (movable) and FixedItem (never moved;
any other record with target_id, session_start, message_id, duration_s counts as fixed).
`messages` gives priorities, validity and separation of the versions in `existing`.
The emergency item takes the next `sessions_ahead` sessions after `now` of each chosen target
(blackouts ignored unless asked: an emergency pre-empts), plays first after fixed items, and
displaces the lowest-priority, last-played movable items until it fits; each displaced item goes
to the next free session after its old one, within its validity and `horizon_days`, off
blackouts. Nothing is mutated: the caller applies `placed`, `displaced` → `replaced` and
`shifted` (same session, new offset). Both functions are pure and deterministic.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from planner.scheduling.calendar import TZ, fmt_day, to_epoch, window_dates
from planner.scheduling.ledger import Entry, Ledger
from planner.scheduling.report import title_of
from planner.scheduling.specs import PRIORITY_RANK, MessageSpec, Placement, ScheduleIssue


@dataclass
class EmergencyResult:
    """What a repair changed: new placements, items moved away and where they went, issues."""

    placed: list[Placement] = field(default_factory=list)
    displaced: list[Placement] = field(default_factory=list)
    replaced: list[Placement] = field(default_factory=list)
    issues: list[ScheduleIssue] = field(default_factory=list)
    shifted: list[Placement] = field(default_factory=list)


def _records(existing) -> list:
    """Placements and fixed items of a ScheduleResult or a plain iterable."""
    return list(existing.placements) if hasattr(existing, "placements") else list(existing)


def _ledgers(records, target_ids, now: datetime, targets, messages, windows, days: int) -> dict[int, Ledger]:
    """One ledger per chosen target over [today, today + days]."""
    first = now.astimezone(TZ).date()
    last = first + timedelta(days)
    blackout = window_dates(windows, "blackout", first, last)
    by_target: dict[int, list] = {}
    for record in records:
        by_target.setdefault(record.target_id, []).append(record)
    specs = {m.id: m for m in messages}
    chosen = {t.id: t for t in targets if t.id in set(target_ids)}
    return {tid: Ledger(chosen[tid], first, last, blackout, by_target.get(tid, []), specs)
            for tid in sorted(chosen)}


def _make_room(ledger: Ledger, slot: int, duration: int, rank: int) -> list[Entry] | None:
    """Movable lower-priority entries to remove (lowest class, played last first), or None."""
    free = ledger.table.caps[slot] - ledger.used(slot)
    movable = sorted((e for e in ledger.items.get(slot, ()) if not e.is_fixed and e.rank > rank),
                     key=lambda e: (-e.rank, -e.offset_s, -e.message_id))
    victims = []
    for entry in movable:
        if free >= duration:
            break
        victims.append(entry)
        free += entry.duration_s
    return victims if free >= duration else None


def _issue(kind: str, message_id: int, target_id: int, day: date | None, detail: str) -> ScheduleIssue:
    """Shorthand for a report line."""
    return ScheduleIssue(kind, message_id, target_id, day, detail)


def _take_sessions(ledger: Ledger, item: MessageSpec, now: int, wanted: int, blackouts: bool,
                   out: EmergencyResult) -> list[tuple[int, Entry]]:
    """Put the emergency item in the next `wanted` sessions; return the displaced entries."""
    t, rank, moved, taken = ledger.table, PRIORITY_RANK[item.priority], [], 0
    for slot in range(len(t)):
        if taken == wanted:
            break
        if t.starts[slot] <= now or (blackouts and t.days[slot] in ledger.blackout):
            continue
        if any(e.message_id == item.id for e in ledger.items.get(slot, ())):
            continue
        ledger.layout(slot)
        victims = _make_room(ledger, slot, item.duration_s, rank)
        if victims is None:
            out.issues.append(_issue("emergency_blocked", item.id, ledger.target_id, ledger.day_of(slot),
                                     f"Tin khẩn '{title_of(item)}' không vào được phiên ngày "
                                     f"{fmt_day(ledger.day_of(slot))} tại {ledger.target_label}: "
                                     "các lượt đã ghim chiếm hết chỗ"))
            continue
        for victim in victims:
            out.displaced.append(victim.source)
            ledger.remove(slot, victim)
            moved.append((slot, victim))
        ledger.add(slot, Entry(item.id, item.duration_s, rank, True, item))
        taken += 1
    return moved


def _move(ledger: Ledger, after: int, entry: Entry, kind: str, what: str, out: EmergencyResult) -> int:
    """Put a movable entry in the first free session after epoch `after`; report if there is none."""
    spec = ledger.specs.get(entry.message_id)
    slot = ledger.next_free(after, entry.message_id, entry.duration_s, spec.valid_to if spec else None,
                            spec.min_gap_hours if spec else 0)
    if slot < 0:
        name = title_of(spec) if spec else f"#{entry.message_id}"
        out.issues.append(_issue(kind, entry.message_id, ledger.target_id, None,
                                 f"Tin '{name}' {what} tại {ledger.target_label} không tìm được phiên "
                                 "trống nào còn trong thời hạn hiệu lực"))
        return -1
    ledger.add(slot, Entry(entry.message_id, entry.duration_s, entry.rank, False, _NEW))
    return slot


_NEW = object()    # marks entries this module created (reported as placed/replaced, not shifted)


def _collect(ledger: Ledger, slots: set[int], item_id: int | None, out: EmergencyResult) -> None:
    """Report the final position of new entries and of existing ones whose offset changed."""
    for slot in sorted(slots - {-1}):
        for entry in ledger.layout(slot):
            if isinstance(entry.source, MessageSpec) and entry.message_id == item_id:
                out.placed.append(ledger.placement(slot, entry))
            elif entry.source is _NEW:
                out.replaced.append(ledger.placement(slot, entry))
            elif isinstance(entry.source, Placement) and entry.source.offset_s != entry.offset_s:
                out.shifted.append(ledger.placement(slot, entry))


def insert_emergency(existing, item: MessageSpec, target_ids, *, now: datetime, targets, messages=(),
                     windows=(), sessions_ahead: int = 1, horizon_days: int = 14,
                     respect_blackouts: bool = False) -> EmergencyResult:
    """Put an emergency (or priority) item into the next sessions, displacing lower-priority items."""
    out = EmergencyResult()
    specs = [m for m in messages if m.id != item.id] + [item]
    for ledger in _ledgers(_records(existing), target_ids, now, targets, specs, windows, horizon_days).values():
        moved = _take_sessions(ledger, item, to_epoch(now), sessions_ahead, respect_blackouts, out)
        touched = {slot for slot, entry in ledger.items_of(item.id)}
        for slot, entry in sorted(moved, key=lambda m: (m[1].rank, m[0], m[1].message_id)):
            touched |= {slot, _move(ledger, ledger.table.starts[slot], entry, "displaced_unplaced",
                                    f"bị tin khẩn đẩy khỏi phiên ngày {fmt_day(ledger.day_of(slot))}", out)}
        _collect(ledger, touched, item.id, out)
    return out


def replace_missed(existing, missed, *, now: datetime, targets, messages=(), windows=(),
                   horizon_days: int = 14) -> EmergencyResult:
    """Re-place missed deliveries into the next free session after `now`, within validity."""
    out = EmergencyResult()
    missed = sorted(missed, key=lambda m: (m.target_id, m.session_start, m.message_id))
    gone = {(m.target_id, m.session_start, m.message_id) for m in missed}
    records = [r for r in _records(existing) if (r.target_id, r.session_start, r.message_id) not in gone]
    ledgers = _ledgers(records, {m.target_id for m in missed}, now, targets, messages, windows, horizon_days)
    touched: dict[int, set[int]] = {}
    for record in missed:
        ledger, spec = ledgers[record.target_id], {m.id: m for m in messages}.get(record.message_id)
        out.displaced.append(Placement(record.target_id, record.message_id, record.session_start,
                                       getattr(record, "offset_s", 0), record.duration_s))
        entry = Entry(record.message_id, record.duration_s,
                      PRIORITY_RANK.get(spec.priority if spec else "normal", 2), False)
        day = record.session_start.astimezone(TZ).date()
        touched.setdefault(record.target_id, set()).add(
            _move(ledger, to_epoch(now), entry, "missed_unplaced", f"bị lỡ ngày {fmt_day(day)}", out))
    for tid, slots in touched.items():
        _collect(ledgers[tid], slots, None, out)
    return out
