"""The exception report of one target: shortfalls, empty peak sessions, pinned conflicts (Vietnamese)."""
from __future__ import annotations

from datetime import date

from planner.scheduling.calendar import fmt_day, fmt_span, local_day
from planner.scheduling.placement import WHY_FULL, TargetPlacer

# Issue templates carry "{target}" where the target's label goes, so one template serves
# every target that shares the same placement.
TARGET = "{target}"


def title_of(spec) -> str:
    """A message's display name."""
    return spec.title or f"#{spec.id}"


def _why(track, *demands) -> str:
    """Reasons noted for the failed demands, or 'full' by default."""
    reasons = set()
    for demand in demands:
        reasons |= track.why.get(demand, set())
    return "; ".join(sorted(reasons)) or WHY_FULL


def shortfalls(placer: TargetPlacer, weeks=None) -> list[tuple[int, tuple]]:
    """(week number, issue) for every week and peak day whose frequency target was not met."""
    issues = []
    for week in range(len(placer.weeks)) if weeks is None else weeks:
        for track in sorted(placer.tracks.values(), key=lambda t: t.spec.id):
            issues.extend((week, issue) for issue in _track_shortfalls(placer, track, placer.weeks[week]))
    return issues


def _track_shortfalls(placer: TargetPlacer, track, week_start: int) -> list[tuple]:
    """Unmet peak days and unmet weekly target of one message in one week."""
    spec, issues = track.spec, []
    days = placer.days_of(spec, week_start)
    if not days:
        return issues
    for day in days:
        got = track.per_day.get(day, 0)
        if day in placer.horizon.peak and got < spec.peak_per_day and day in placer.table.day_range:
            issues.append(("target_shortfall", spec.id, date.fromordinal(day),
                           f"Tin '{title_of(spec)}' chỉ xếp được {got}/{spec.peak_per_day} lần "
                           f"trong ngày cao điểm {fmt_day(date.fromordinal(day))} tại mục tiêu "
                           f"{TARGET}: {_why(track, ('day', day))}"))
    need = placer.week_need(spec, days)
    got = sum(track.per_day.get(day, 0) for day in days)
    if got < need:
        first, last = date.fromordinal(days[0]), date.fromordinal(days[-1])
        why = _why(track, ("week", week_start), *(("day", d) for d in days))
        issues.append(("target_shortfall", spec.id, first,
                       f"Tin '{title_of(spec)}' chỉ xếp được {got}/{need} lần trong tuần "
                       f"{fmt_span(first, last)} tại mục tiêu {TARGET}: {why}"))
    return issues


def peak_fill(placer: TargetPlacer, peak_spans: list[tuple[date, date]]) -> list[tuple]:
    """Empty and under-half-filled future sessions, one count per peak window."""
    t, issues = placer.table, []
    for first, last in peak_spans:
        lo, hi = t.span(first.toordinal(), last.toordinal())
        lo = max(lo, placer.first_free)
        empty = sum(1 for i in range(lo, hi) if placer.used[i] == 0)
        thin = sum(1 for i in range(lo, hi) if 0 < placer.used[i] * 2 < t.caps[i])
        span = f"{fmt_day(first)}–{fmt_day(last)}"
        if empty:
            issues.append(("empty_session", None, first,
                           f"Mục tiêu {TARGET}: {empty} phiên trống trong đợt cao điểm {span}"))
        if thin:
            issues.append(("underfilled_session", None, first,
                           f"Mục tiêu {TARGET}: {thin} phiên dùng chưa tới một nửa thời lượng "
                           f"trong đợt cao điểm {span}"))
    return issues


def pinned_conflicts(placer: TargetPlacer) -> list[tuple]:
    """Sessions whose fixed items overflow, and fixed items on days nothing may be placed."""
    t, issues = placer.table, []
    for i, fixed in enumerate(placer.fixed_used):
        if fixed > t.caps[i]:
            day = date.fromordinal(t.days[i])
            issues.append(("pinned_conflict", None, day,
                           f"Mục tiêu {TARGET}: các lượt đã ghim trong phiên ngày {fmt_day(day)} dài "
                           f"{fixed} giây, vượt sức chứa {t.caps[i]} giây"))
    for epoch, version_id, _duration, ordinal in placer.orphans:
        if ordinal in placer.horizon.blackout:
            day = local_day(epoch)
            issues.append(("pinned_conflict", version_id, day,
                           f"Mục tiêu {TARGET}: lượt đã ghim của tin {version_id} ngày {fmt_day(day)} "
                           "rơi vào ngày cấm phát"))
    return issues


def too_long(spec, longest: int) -> tuple:
    """A message longer than every session of the target."""
    return ("too_long", spec.id, None,
            f"Tin '{title_of(spec)}' dài {spec.duration_s} giây, vượt mọi phiên tại mục tiêu {TARGET} "
            f"(phiên dài nhất {longest} giây)")


def no_sessions(first: date, last: date) -> tuple:
    """A target with demands but no future session in the range."""
    return ("no_sessions", None, None,
            f"Mục tiêu {TARGET}: không có phiên phát nào trong khoảng {fmt_day(first)}–{fmt_day(last)} "
            "(chưa có khung giờ, đã qua hoặc toàn ngày cấm phát)")
