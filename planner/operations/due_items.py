"""Reporting deadlines of a plan as due items: reminders 7 days and 1 day ahead, overdue after the day."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from planner import localtime
from planner.models import DueItem, Plan, ReportKind, Unit, User
from planner.operations.audit import record
from planner.reports import report_period

FREQUENCY_KINDS = {"monthly": ReportKind.MONTHLY, "six_monthly": None, "annual": ReportKind.ANNUAL}
FREQUENCY_LABELS = {"monthly": "tháng", "six_monthly": "6 tháng", "annual": "năm", "once": ""}
LOOK_BACK_DAYS, LOOK_AHEAD_DAYS = 400, 60
DEFAULT_DUE_DAY = 5  # reports are due on this day of the month after their period, unless the plan says


@dataclass(frozen=True)
class DueState:
    item: DueItem
    days_left: int

    @property
    def state(self) -> str:
        """'overdue', 'due_1' (tomorrow or today), 'due_7' (within a week) or 'later'."""
        if self.item.done_at is not None:
            return "done"
        if self.days_left < 0:
            return "overdue"
        return "due_1" if self.days_left <= 1 else "due_7" if self.days_left <= 7 else "later"

    @property
    def label(self) -> str:
        return {"done": "Đã nộp", "overdue": f"Quá hạn {-self.days_left} ngày",
                "due_1": "Hạn hôm nay" if self.days_left == 0 else "Hạn ngày mai",
                "due_7": f"Còn {self.days_left} ngày", "later": f"Còn {self.days_left} ngày"}[self.state]


def _periods(plan: Plan, frequency: str, years: range):
    for year in years:
        if frequency == "monthly":
            for month in range(1, 13):
                yield f"{year}-{month:02d}", f"tháng {month}/{year}", report_period(
                    plan.period_rule, ReportKind.MONTHLY, year, month)
        elif frequency == "six_monthly":
            yield f"{year}-h1", f"6 tháng đầu năm {year}", report_period(plan.period_rule, ReportKind.FIRST_HALF, year)
            yield f"{year}-h2", f"6 tháng cuối năm {year}", report_period(plan.period_rule, ReportKind.SECOND_HALF, year)
        elif frequency == "annual":
            yield f"{year}", f"năm {year}", report_period(plan.period_rule, ReportKind.ANNUAL, year)


def _due_after(period_end: dt.date, due_day: int) -> dt.date:
    month = period_end.month % 12 + 1
    year = period_end.year + (period_end.month == 12)
    return dt.date(year, month, min(max(due_day, 1), 28))


def planned_items(plan: Plan, *, today: dt.date) -> list[dict]:
    """The due items the plan's reporting duties and deadlines call for around `today`."""
    lo, hi = max(plan.starts_on, today - dt.timedelta(days=LOOK_BACK_DAYS)), today + dt.timedelta(days=LOOK_AHEAD_DAYS)
    if plan.ends_on:
        hi = min(hi, plan.ends_on + dt.timedelta(days=LOOK_AHEAD_DAYS))
    years = range(lo.year, hi.year + 1)
    out = []
    for duty in plan.details.get("reporting") or []:
        freq, unit, to = duty.get("frequency"), duty.get("unit"), duty.get("to") or ""
        if freq == "once":
            due = localtime.parse_date(duty["due"])
            out.append(dict(code=f"once-{unit}-{due.isoformat()}", unit=unit, due_on=due, period_start=plan.starts_on,
                            period_end=due, title=f"Báo cáo gửi {to}".strip()))
            continue
        for key, label, (start, end) in _periods(plan, freq, years):
            due = _due_after(end, int(duty.get("due_day") or DEFAULT_DUE_DAY))
            if end >= plan.starts_on and lo <= due <= hi:
                out.append(dict(code=f"{freq}-{unit}-{key}", unit=unit, due_on=due, period_start=start,
                                period_end=end, title=f"Báo cáo kết quả {label} gửi {to}".strip()))
    for n, item in enumerate(plan.details.get("deadlines") or []):
        text = item.get("due") or ""
        days = [dt.date(y, int(text[3:5]), int(text[:2])) for y in years] if item.get("yearly") else \
            [localtime.parse_date(text)]
        for due in days:
            if lo <= due <= hi:
                out.append(dict(code=f"deadline-{n}-{due.isoformat()}", unit=item.get("unit"), due_on=due,
                                period_start=None, period_end=None, title=item.get("what") or "Hạn của kế hoạch"))
    return out


def sync_due_items(session: Session, plan: Plan, *, today: dt.date) -> int:
    """Create the plan's due items that do not exist yet (idempotent); returns how many were added."""
    have = set(session.scalars(select(DueItem.code).where(DueItem.plan_id == plan.id)))
    missing = [item for item in planned_items(plan, today=today) if item["code"] not in have]
    # Only the units the missing items name (every view calls this: a province has thousands of units).
    named = {item["unit"] for item in missing if item["unit"]} if plan.details.get("reporting") else set()
    units = {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_(named)))} if named else {}
    added = 0
    for item in missing:
        unit = units.get(item["unit"]) or plan.unit
        if item["code"] in have:
            continue
        session.add(DueItem(plan_id=plan.id, unit_id=unit.id, code=item["code"][:120], title=item["title"][:500],
                            due_on=item["due_on"], period_start=item["period_start"], period_end=item["period_end"]))
        have.add(item["code"])
        added += 1
    session.flush()
    return added


def due_items_for(session: Session, plan: Plan, root: Unit, *, today: dt.date, ahead: int = 31) -> list[DueState]:
    """Open items of units at or below `root` due within `ahead` days (soonest first), then the overdue ones."""
    have = set(session.scalars(select(DueItem.code).where(DueItem.plan_id == plan.id)))
    if any(item["code"] not in have for item in planned_items(plan, today=today)):  # else no savepoint to pay for
        try:
            with session.begin_nested():  # two first viewers at once: the second one's inserts just lose
                sync_due_items(session, plan, today=today)
        except IntegrityError:
            pass
    rows = session.scalars(
        select(DueItem).join(Unit, Unit.id == DueItem.unit_id)
        .where(DueItem.plan_id == plan.id, DueItem.done_at.is_(None), Unit.path.startswith(root.path, autoescape=True),
               DueItem.due_on <= today + dt.timedelta(days=ahead))
        .order_by(DueItem.due_on, DueItem.id)).all()
    states = [DueState(item, (item.due_on - today).days) for item in rows]
    # Reminders first (soonest first), then overdue items (most recent first): old ones matter least.
    return sorted(states, key=lambda d: (d.days_left < 0, abs(d.days_left)))


def mark_done(session: Session, item: DueItem, user: User, *, now: dt.datetime) -> None:
    """The unit has sent the report; the reminder stops."""
    if item.done_at is not None:
        return
    item.done_at, item.done_by_id = now, user.id
    session.flush()
    record(session, user=user, action="due_item.done", entity=item, from_state="open", to_state="done")
