"""Calendar data: occurrences of a plan at a unit's targets, grouped by day and session, with fill."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, selectinload

from planner import localtime
from planner.models.content import version_audiences
from planner.models.delivery import DELIVERY_LABELS
from planner.models import (Delivery, DeliveryStatus, Message, MessageVersion, Occurrence, Plan, Target, Unit, Window,
                            WindowExemption, WindowKind)
from planner.operations.roster import occurrence_marks
from planner.operations.schedule import grid_specs_for, targets_in

AD_HOC = "Phiên đột xuất"
# An occurrence starts inside its session (start + offset), and no session lasts a day.
SESSION_SPAN = dt.timedelta(days=1)


def in_sessions(lo: dt.datetime, hi: dt.datetime):
    """A SQL condition: the occurrence's session starts in [lo, hi). The starts_at bounds it implies are added so
    the (plan_id, starts_at) and (target_id, starts_at) indexes serve the query (no index on session_starts_at:
    a province's calendar count scanned every occurrence of the table)."""
    return and_(Occurrence.session_starts_at >= lo, Occurrence.session_starts_at < hi,
                Occurrence.starts_at >= lo, Occurrence.starts_at < hi + SESSION_SPAN)


@dataclass
class CalendarItem:
    occurrence_id: int
    delivery_id: int
    title: str
    starts_at: dt.datetime
    duration_s: int
    status: str
    status_label: str
    is_pinned: bool
    is_this_plan: bool
    marks: list[str] = field(default_factory=list)


@dataclass
class CalendarSession:
    starts_at: dt.datetime
    label: str
    capacity_s: int
    items: list[CalendarItem] = field(default_factory=list)

    @property
    def used_s(self) -> int:
        return sum(i.duration_s for i in self.items)

    @property
    def fill_percent(self) -> int:
        return min(999, round(100 * self.used_s / self.capacity_s)) if self.capacity_s else 0


@dataclass
class DayInfo:
    day: dt.date
    peak: list[str]
    blackout: list[str]


def day_infos(session: Session, plan: Plan, channel: str, first: dt.date, last: dt.date,
              unit: Unit | None = None) -> list[DayInfo]:
    """Each day in range with the names of the peak and blackout windows covering it (of every channel for
    the combined view) at `unit` (default the plan's): shared, the plan's, and the unit windows from above."""
    from planner.operations.windows import applies_to

    exempt = set(session.scalars(select(WindowExemption.window_id).where(WindowExemption.plan_id == plan.id)))
    rows = session.scalars(select(Window).where((Window.plan_id.is_(None)) | (Window.plan_id == plan.id),
                                                applies_to(unit or plan.unit)))
    windows = [w for w in rows if (not w.channels or channel == ALL_CHANNELS or channel in w.channels)
               and w.id not in exempt]
    # Plain values read once (ORM attribute access per window and day was most of a month's time here).
    peaks = [_Span(w.name, w.starts_on, w.ends_on, w.is_yearly) for w in windows if w.kind is WindowKind.PEAK]
    blackouts = [_Span(w.name, w.starts_on, w.ends_on, w.is_yearly) for w in windows
                 if w.kind is WindowKind.BLACKOUT]
    days = []
    day = first
    while day <= last:
        days.append(DayInfo(day, [w.name for w in peaks if _covers(w, day)],
                            [w.name for w in blackouts if _covers(w, day)]))
        day += dt.timedelta(days=1)
    return days


@dataclass(frozen=True)
class _Span:
    name: str
    starts_on: dt.date
    ends_on: dt.date
    is_yearly: bool


def window_span(window: Window) -> str:
    """A window's dates as people read them: a yearly one by day and month ("01/05 – 31/05 hằng năm")."""
    if window.is_yearly:
        return f"{window.starts_on:%d/%m} – {window.ends_on:%d/%m} hằng năm"
    return f"{localtime.fmt_date(window.starts_on)} – {localtime.fmt_date(window.ends_on)}"


def _covers(window: Window | _Span, day: dt.date) -> bool:
    if not window.is_yearly:
        return window.starts_on <= day <= window.ends_on
    try:
        start = window.starts_on.replace(year=day.year)
        end = window.ends_on.replace(year=day.year)
    except ValueError:  # 29/02 in a common year
        return False
    return start <= day <= end if start <= end else (day >= start or day <= end)


# Status filter of the calendar: what people ask for → the delivery statuses it means.
STATUS_FILTERS = {
    "planned": ("Chưa phát", {DeliveryStatus.PLANNED, DeliveryStatus.DISPATCHED}),
    "delivered": ("Đã thực hiện", {DeliveryStatus.DELIVERED}),
    "problem": ("Thất bại, bị lỡ, chưa rõ", {DeliveryStatus.FAILED, DeliveryStatus.MISSED, DeliveryStatus.UNKNOWN,
                                             DeliveryStatus.EXPIRED}),
}


ALL_CHANNELS = "all"


def unit_calendar(session: Session, plan: Plan, unit: Unit, channels: list[str], first: dt.date, last: dt.date,
                  **filters) -> tuple[list[Target], dict]:
    """The targets of one or several channels under a unit and their calendars, for one combined view."""
    targets, data = [], {}
    for channel in channels:
        found = targets_in(session, unit, channel)
        targets += found
        data.update(target_calendar(session, plan, found, channel, first, last, **filters))
    return targets, data


def message_options(session: Session, plan: Plan, channels: list[str]) -> list[Message]:
    """The plan's messages of the shown channels, for the calendar's message filter."""
    return list(session.scalars(select(Message).where(Message.plan_id == plan.id, Message.channel.in_(channels))
                                .options(selectinload(Message.versions)).order_by(Message.id)))


def target_calendar(session: Session, plan: Plan, targets: list[Target], channel: str, first: dt.date,
                    last: dt.date, *, statuses: set | None = None, message_id: int | None = None,
                    audience_id: int | None = None) -> dict[int, dict[dt.date, list[CalendarSession]]]:
    """For each target, each day's sessions (from the slot grids) holding every occurrence there (or those
    with one of `statuses`, of one message, for one audience group)."""
    lo, hi = localtime.local_range_bounds(first, last)
    grids = grid_specs_for(session, targets, channel)
    result: dict[int, dict[dt.date, list[CalendarSession]]] = {}
    index: dict[tuple[int, dt.datetime], CalendarSession] = {}
    span = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    # Villages share their commune's grids: each grid's sessions over the days are worked out once (start, label,
    # capacity, in start order per day), then every target gets its own CalendarSession objects.
    plans: dict[tuple, dict[dt.date, list[tuple]]] = {}
    for t in targets:
        target_id, specs = t.id, grids[t.id]
        sessions = plans.get(specs)
        if sessions is None:
            sessions = plans[specs] = _grid_sessions(specs, span)
        days: dict[dt.date, list[CalendarSession]] = defaultdict(list)
        for day in span:
            listed = days[day]
            for start, label, capacity in sessions[day]:
                cs = CalendarSession(start, label, capacity)
                listed.append(cs)
                index[(target_id, start)] = cs
        result[target_id] = days
    _fill(session, plan, targets, lo, hi, result, index, statuses, message_id, audience_id)
    return result


def _grid_sessions(specs: tuple, span: list[dt.date]) -> dict[dt.date, list[tuple]]:
    """Each day's sessions of one set of grids: (aware start, label, capacity), sorted by start."""
    out = {}
    for day in span:
        found = [(localtime.local_datetime(day, g.start), f"{g.start:%H:%M}–{g.end:%H:%M}", g.capacity_s)
                 for g in specs if g.weekdays >> day.weekday() & 1 and _grid_valid(g, day)]
        found.sort(key=lambda s: s[0])
        out[day] = found
    return out


def _grid_valid(g, day: dt.date) -> bool:
    return (g.valid_from is None or g.valid_from <= day) and (g.valid_to is None or day <= g.valid_to)


def _filtered(stmt, statuses, message_id, audience_id):
    """The calendar's status, message and audience filters on a query of occurrences ⋈ deliveries ⋈ versions."""
    if statuses:
        stmt = stmt.where(Delivery.status.in_(statuses))
    if message_id:
        stmt = stmt.where(MessageVersion.message_id == message_id)
    if audience_id:
        stmt = stmt.where(for_audience(audience_id))
    return stmt


def for_audience(audience_id: int):
    """A SQL condition: the occurrence's version is for that audience group (one of its several)."""
    return exists().where(version_audiences.c.version_id == Occurrence.message_version_id,
                          version_audiences.c.audience_id == audience_id)


def _fill(session, plan, targets, lo, hi, result, index, statuses=None, message_id=None, audience_id=None) -> None:
    # Only the columns shown: loading whole rows (with their long reason text) dominated the page time.
    stmt = (
        select(Occurrence.id, Occurrence.target_id, Occurrence.plan_id, Occurrence.session_starts_at,
               Occurrence.starts_at, Occurrence.duration_seconds, Occurrence.is_pinned, Occurrence.is_ad_hoc,
               Occurrence.source, Delivery.id,
               Delivery.status, MessageVersion.title)
        .join(Delivery, Delivery.occurrence_id == Occurrence.id)
        .join(MessageVersion, MessageVersion.id == Occurrence.message_version_id)
        .where(Occurrence.target_id.in_([t.id for t in targets]), in_sessions(lo, hi),
               Delivery.status != DeliveryStatus.CANCELLED)
        .order_by(Occurrence.starts_at))
    stmt = _filtered(stmt, statuses, message_id, audience_id)
    rows = session.execute(stmt).all()
    for (occ_id, target_id, plan_id, session_start, starts_at, duration, pinned, ad_hoc, source, delivery_id, status,
         title) in rows:
        item = CalendarItem(occ_id, delivery_id, title, starts_at, duration, status.value, DELIVERY_LABELS[status],
                            pinned, plan_id == plan.id, occurrence_marks(source.value, ad_hoc))
        cs = index.get((target_id, session_start))
        if cs is None:  # an ad hoc session (or one left outside a grid that changed since)
            local_day = localtime.to_local(session_start).date()
            cs = CalendarSession(session_start, f"{localtime.fmt_time(session_start)} · {AD_HOC}", 0)
            result[target_id].setdefault(local_day, []).append(cs)
            index[(target_id, session_start)] = cs
        cs.items.append(item)


@dataclass
class MonthDay:
    """One day of a unit's month at a glance: broadcasts, fill, distinct titles (first seen first), marks."""

    count: int = 0
    used: int = 0
    cap: int = 0
    urgent: int = 0
    adhoc: int = 0
    titles: list[str] = field(default_factory=list)


def month_days(targets: list[Target], data: dict, days: list[DayInfo]) -> dict[dt.date, MonthDay]:
    """Each day's totals over every target, summed here once (in the template it was most of the page time)."""
    out = {}
    for d in days:
        day, seen = MonthDay(), set()
        for t in targets:
            for s in data[t.id].get(d.day, []):
                day.count += len(s.items)
                day.used += s.used_s
                day.cap += s.capacity_s
                for i in s.items:
                    if i.title not in seen:
                        seen.add(i.title)
                        day.titles.append(i.title)
                    day.urgent += "Tin khẩn" in i.marks
                    day.adhoc += AD_HOC in i.marks
        out[d.day] = day
    return out


def unit_month(session: Session, plan: Plan, unit: Unit, channels: list[str], days: list[DayInfo], *,
               statuses: set | None = None, message_id: int | None = None,
               audience_id: int | None = None) -> tuple[list[Target], dict[dt.date, MonthDay]]:
    """The targets and each day's totals of the month at a glance, equal to `month_days(*unit_calendar(…))` but
    without building every target's sessions and items (a commune's month: ≈ 4,000 sessions, ≈ 6,000 items).

    Titles keep the order month_days sees them in: by target, then each day's grid sessions by start and the
    ad hoc ones after them (in the order first met), then the items by start."""
    first, last = days[0].day, days[-1].day
    span = [d.day for d in days]
    targets: list[Target] = []
    grid_days: dict[tuple[int, dt.datetime], dt.date] = {}   # (target, grid session start) → its day
    out = {d: MonthDay() for d in span}
    plans: dict[tuple, dict[dt.date, list[tuple]]] = {}
    for channel in channels:
        found = targets_in(session, unit, channel)
        grids = grid_specs_for(session, found, channel)
        for t in found:
            sessions = plans.get(grids[t.id])
            if sessions is None:
                sessions = plans[grids[t.id]] = _grid_sessions(grids[t.id], span)
            for day in span:
                for start, _label, capacity in sessions[day]:
                    grid_days[(t.id, start)] = day
                    out[day].cap += capacity
        targets += found
    position = {t.id: n for n, t in enumerate(targets)}
    lo, hi = localtime.local_range_bounds(first, last)
    stmt = (select(Occurrence.target_id, Occurrence.session_starts_at, Occurrence.duration_seconds,
                   Occurrence.is_ad_hoc, Occurrence.source, MessageVersion.title)
            .join(Delivery, Delivery.occurrence_id == Occurrence.id)
            .join(MessageVersion, MessageVersion.id == Occurrence.message_version_id)
            .where(Occurrence.target_id.in_(list(position)), in_sessions(lo, hi),
                   Delivery.status != DeliveryStatus.CANCELLED)
            .order_by(Occurrence.starts_at))
    stmt = _filtered(stmt, statuses, message_id, audience_id)
    seen: dict[dt.date, list[tuple]] = defaultdict(list)
    extra: dict[tuple[int, dt.datetime], int] = {}      # ad hoc sessions in the order first met
    for n, (target_id, session_start, duration, ad_hoc, source, title) in enumerate(session.execute(stmt)):
        key = (target_id, session_start)
        day = grid_days.get(key)
        if day is None:
            day = localtime.to_local(session_start).date()
            order = (position[target_id], 1, extra.setdefault(key, len(extra)))
        else:
            order = (position[target_id], 0, session_start)
        total = out.get(day)
        if total is None:
            continue
        marks = occurrence_marks(source.value, ad_hoc)
        total.count += 1
        total.used += duration
        total.urgent += "Tin khẩn" in marks
        total.adhoc += AD_HOC in marks
        seen[day].append((order, n, title))
    for day, items in seen.items():
        titles, known = out[day].titles, set()
        for _order, _n, title in sorted(items, key=lambda x: (x[0], x[1])):
            if title not in known:
                known.add(title)
                titles.append(title)
    return targets, out


def sessions_with_room(session: Session, occ, now: dt.datetime, days: int = 14) -> list[CalendarSession]:
    """The coming sessions of the occurrence's target that could take it (room, not already airing it)."""
    first = localtime.today(now)
    data = target_calendar(session, occ.plan, [occ.target], occ.target.channel, first, first + dt.timedelta(days))
    out = []
    for day in sorted(data[occ.target_id]):
        for cs in data[occ.target_id][day]:
            if (cs.capacity_s and cs.starts_at > now and cs.starts_at != occ.session_starts_at
                    and cs.capacity_s - cs.used_s >= occ.duration_seconds
                    and all(i.title != occ.version.title for i in cs.items)):
                out.append(cs)
    return out


def unit_options(session: Session, root: Unit) -> list[Unit]:
    """The unit and every unit below it, in tree order, for a unit picker."""
    return list(session.scalars(select(Unit).where(Unit.path.startswith(root.path, autoescape=True))
                                .order_by(Unit.path)))


__all__ = ["CalendarItem", "CalendarSession", "DayInfo", "day_infos", "target_calendar", "targets_in",
           "ALL_CHANNELS", "message_options", "MonthDay", "month_days", "unit_month", "unit_calendar",
           "sessions_with_room", "STATUS_FILTERS", "unit_options", "window_span"]
