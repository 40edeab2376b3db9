"""The supervisor's drill-down: per child unit, activity (broadcasts, posts, leaflets) beside indicator results."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import ARRAY, Integer, any_, bindparam, case, func, select, true
from sqlalchemy.orm import Session, aliased

from planner import localtime
from planner.models.content import version_audiences
from planner.models import (Delivery, DeliveryStatus, Indicator, IndicatorResult, IndicatorRollup, Level, Message,
                            MessageVersion,
                            Occurrence, Plan, PrintOrder, PrintStatus, Target, Unit, UnitKind)
from planner.operations.counts import activity, delivered_by_day
from planner.operations.indicators import plan_indicators
from planner.reports import Tally, made_up_elsewhere, order_delivered_at
from planner.vnsort import vietnamese_key

POST_CHANNELS = ("fanpage", "zalo", "portal")
PRINT_CHANNELS = ("leaflet", "banner", "poster")
AREA_KINDS = {UnitKind.COUNTRY, UnitKind.PROVINCE, UnitKind.COMMUNE, UnitKind.VILLAGE}
TREND_DAYS = 7


@dataclass(frozen=True)
class Filters:
    """What the supervisor narrows the dashboard to: a period, a channel, an audience, a message."""

    first: dt.date
    last: dt.date
    channel: str = ""
    audience_id: int | None = None
    message_id: int | None = None


@dataclass
class Figure:
    """An indicator's result for a unit (rolled up from the units below) against its target."""

    indicator: Indicator
    value: float | None = None
    denominator: float | None = None
    previous: float | None = None  # the measure TREND_DAYS earlier, for the trend
    is_applicable: bool = True  # False where results are not recorded at this level (e.g. a commune count per village)
    # The indicator's kind and target, read once (an ORM attribute read costs more than the sums it feeds).
    is_percentage: bool = field(init=False, repr=False, compare=False)
    target: float | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.is_percentage, self.target = self.indicator.is_percentage, self.indicator.target

    @property
    def measure(self) -> float | None:
        """The percentage for a ratio indicator, the value for a count."""
        if self.value is None:
            return None
        if self.is_percentage:
            return round(100 * self.value / self.denominator, 1) if self.denominator else None
        return self.value

    @property
    def progress(self) -> float:
        """Share of the target reached (0 with no result yet)."""
        m = self.measure
        return min(m / self.target, 9.99) if m is not None and self.target else 0.0

    @property
    def trend(self) -> float | None:
        m = self.measure
        return round(m - self.previous, 1) if m is not None and self.previous is not None else None


@dataclass
class Row:
    """One unit's line: the same columns at every level."""

    unit: Unit
    broadcasts: Tally = field(default_factory=Tally)
    posts_published: int = 0
    leaflets_delivered: int = 0
    figures: list[Figure] = field(default_factory=list)
    has_children: bool = False

    def behind_key(self, measured: set[int]) -> tuple:
        """Sort key: the least progress on the indicators `measured` at this level first, then Vietnamese order."""
        shares = [f.progress for n, f in enumerate(self.figures) if n in measured and f.is_applicable]
        return (min(shares) if shares else 10.0, vietnamese_key(self.unit.name))


@dataclass
class Drilldown:
    root: Row
    rows: list[Row]
    indicators: list[Indicator]
    filters: Filters
    breadcrumbs: list[Unit]
    activity: dict | None = None  # the counts read (`operations.counts.activity`), None when read from deliveries
    child_names: dict[str, str] = field(default_factory=dict)  # every child unit's name by its path segment


def drilldown(session: Session, plan: Plan, root: Unit, filters: Filters, *, scope_top: Unit) -> Drilldown:
    """The dashboard at `root`: one row per child unit (areas, or any unit with data), furthest behind first."""
    below = aliased(Unit, name="below")
    has_children = select(below.id).where(below.parent_id == Unit.id).exists()
    found_children = session.execute(select(Unit, has_children).where(Unit.parent_id == root.id)).all()
    children = [u for u, _ in found_children]
    parents = {u.id for u, kids in found_children if kids}
    rows = {u.path: Row(u) for u in children}
    total = Row(root)
    row_of: dict[str, Row | None] = {}  # the same paths come back for every channel, status and indicator

    def by_path(path: str) -> Row | None:
        if path not in row_of:
            row_of[path] = rows.get(_child_path(root.path, path))
        return row_of[path]
    found = _add_activity(session, plan, root, filters, total, by_path)
    _add_prints(session, plan, root, filters, total, by_path)
    indicators = plan_indicators(session, plan.id)
    _add_figures(session, indicators, root, filters.last, total, rows, by_path)
    shown = []
    for row in rows.values():
        row.has_children = row.unit.id in parents
        if row.unit.kind in AREA_KINDS or row.broadcasts.planned or row.posts_published or row.leaflets_delivered \
                or any(f.value is not None for f in row.figures):
            shown.append(row)
    # Rank on the indicators someone has reported at this level; the others would tie everybody at 0 %.
    measured = {n for r in shown for n, f in enumerate(r.figures) if f.value is not None}
    shown.sort(key=lambda r: r.behind_key(measured))
    crumbs, node = [], root
    while node is not None and node.path.startswith(scope_top.path):
        crumbs.insert(0, node)
        if node.id == scope_top.id:  # its parent is out of scope: not loaded just to be left out
            break
        node = node.parent
    return Drilldown(total, shown, indicators, filters, crumbs, found, {f"{u.id:08d}": u.name for u in children})


def _child_path(root_path: str, path: str) -> str | None:
    rest = path[len(root_path):]
    return root_path + rest.split("/", 1)[0] + "/" if rest else None


def _message_filter(stmt, filters: Filters):
    """Filters on what was delivered: the version's own channel and any of its audiences."""
    if filters.channel:
        stmt = stmt.where(MessageVersion.channel == filters.channel)
    if filters.audience_id:
        stmt = stmt.where(select(version_audiences.c.version_id)
                          .where(version_audiences.c.version_id == MessageVersion.id,
                                 version_audiences.c.audience_id == filters.audience_id).exists())
    if filters.message_id:
        stmt = stmt.where(Message.id == filters.message_id)
    return stmt


def _add_activity(session, plan, root, filters, total: Row, by_path) -> dict | None:
    """Broadcasts and posts per child unit: from the maintained counts, or from the deliveries when the filter
    names an audience or a message (the counts have neither dimension). Returns the counts read, if any."""
    counted = None
    if filters.audience_id or filters.message_id:
        found = _raw_activity(session, plan, root, filters)
    else:
        counted = activity(session, plan, root, filters.first, filters.last, filters.channel)
        found = ((path, channel, status, makeup, n) for (path, channel, status, makeup), n in counted.items())
    for path, channel, status, makeup, n in found:
        for row in filter(None, (total, by_path(path))):
            if channel in POST_CHANNELS:
                row.posts_published += n if status is DeliveryStatus.DELIVERED else 0
            elif channel not in PRINT_CHANNELS:
                row.broadcasts.add(status, n, is_makeup=bool(makeup))
    return counted


def _raw_activity(session, plan, root, filters):
    lo, hi = localtime.local_range_bounds(filters.first, filters.last)
    is_makeup = Occurrence.replaces_delivery_id.is_not(None)
    stmt = (select(Unit.path, Delivery.channel, Delivery.status, is_makeup, func.count())
            .join(Occurrence, Occurrence.id == Delivery.occurrence_id)
            .join(Target, Target.id == Occurrence.target_id).join(Unit, Unit.id == Target.unit_id)
            .join(MessageVersion, MessageVersion.id == Occurrence.message_version_id)
            .join(Message, Message.id == MessageVersion.message_id)
            .where(Occurrence.plan_id == plan.id, Unit.path.startswith(root.path, autoescape=True),
                   Occurrence.starts_at >= lo, Occurrence.starts_at < hi, ~made_up_elsewhere())
            .group_by(Unit.path, Delivery.channel, Delivery.status, is_makeup))
    return session.execute(_message_filter(stmt, filters))


def _add_prints(session, plan, root, filters, total: Row, by_path) -> None:
    lo, hi = localtime.local_range_bounds(filters.first, filters.last)
    delivered = order_delivered_at()
    stmt = (select(Unit.path, func.sum(PrintOrder.quantity))
            .join(MessageVersion, MessageVersion.id == PrintOrder.message_version_id)
            .join(Message, Message.id == MessageVersion.message_id)
            .join(Unit, Unit.id == func.coalesce(PrintOrder.for_unit_id, PrintOrder.unit_id))
            .join(delivered, delivered.c.order_id == PrintOrder.id)
            .where(Message.plan_id == plan.id, Unit.path.startswith(root.path, autoescape=True),
                   PrintOrder.status == PrintStatus.DELIVERED, delivered.c.at >= lo, delivered.c.at < hi)
            .group_by(Unit.path))
    for path, qty in session.execute(_message_filter(stmt, filters)):
        for row in filter(None, (total, by_path(path))):
            row.leaflets_delivered += qty or 0


def latest_results(session: Session, indicator_ids: list[int], root: Unit, as_of: dt.date) -> dict:
    """{(indicator_id, unit path): (value, denominator)}: each unit's latest figure in force on `as_of`."""
    return latest_results_at(session, indicator_ids, root, (as_of,))[as_of]


def latest_results_at(session: Session, indicator_ids: list[int], root: Unit, days: tuple[dt.date, ...]) -> dict:
    """{day: {(indicator_id, unit path): (value, denominator)}} for each of `days`, from one pass over the units.

    Driven from the units in scope × the indicators: per pair and day, the latest result in force is one backward
    probe of the partial index on current results (`ix_indicator_results_current`), never a read of every
    result of the half year; then only those rows are fetched by id."""
    if not indicator_ids or not days:
        return {day: {} for day in days}
    current = aliased(IndicatorResult, name="current")
    latest = (select(Indicator.id, Unit.path,
                     *[select(current.id)
                       .where(current.indicator_id == Indicator.id, current.unit_id == Unit.id,
                              current.replaced_at.is_(None), current.measured_on <= day)
                       .order_by(current.measured_on.desc(), current.id.desc()).limit(1)
                       .scalar_subquery() for day in days])
              .select_from(Indicator).join(Unit, true())  # every pair: a unit × an indicator of the plan
              .where(Indicator.id.in_(indicator_ids), Unit.path.startswith(root.path, autoescape=True)))
    wanted: dict[int, list] = defaultdict(list)  # result id → [(day, (indicator, path))]
    for ind, path, *found in session.execute(latest):
        for day, result_id in zip(days, found):
            if result_id is not None:
                wanted[result_id].append((day, (ind, path)))
    # Then those rows by primary key (a join would let PostgreSQL hash the whole table).
    out: dict = {day: {} for day in days}
    ids = list(wanted)
    if session.get_bind().dialect.name == "sqlite":
        chunks = [IndicatorResult.id.in_(ids[i:i + 500]) for i in range(0, len(ids), 500)]
    else:  # one array parameter, not thousands of bound values
        chunks = [IndicatorResult.id == any_(bindparam("ids", ids, type_=ARRAY(Integer)))] if ids else []
    for chunk in chunks:
        for rid, value, den in session.execute(
                select(IndicatorResult.id, IndicatorResult.value, IndicatorResult.denominator).where(chunk)):
            for day, key in wanted[rid]:
                out[day][key] = (value, den)
    return out


def rolls_up(root: Unit) -> bool:
    """Above a commune (province, country…) the figures are read from `indicator_rollups` (one row per commune
    and date a figure changed), not probed unit by unit; at a commune or a village from the results themselves."""
    return root.kind not in (UnitKind.COMMUNE, UnitKind.VILLAGE)


def _in_rollup(indicator_ids: list[int], root: Unit):
    r = IndicatorRollup
    return (r.indicator_id.in_(indicator_ids), Unit.path.startswith(root.path, autoescape=True))


def rolled_up_results_at(session: Session, indicator_ids: list[int], root: Unit, days: tuple[dt.date, ...]) -> dict:
    """{day: {(indicator_id, rollup unit path): (value, denominator)}}: per commune (a village's figures are in its
    commune's) the sums of the latest figures in force on each day — what `latest_results_at` gives per unit, added
    up per commune. From `indicator_rollups`: the sum of the changes up to the day, summed by the database."""
    out: dict = {day: {} for day in days}
    if not indicator_ids or not days:
        return out
    r = IndicatorRollup
    sums = [func.sum(case((r.day <= day, column), else_=0))
            for day in days for column in (r.value, r.denominator, r.units)]
    stmt = (select(r.indicator_id, Unit.path, *sums).join(Unit, Unit.id == r.unit_id)
            .where(*_in_rollup(indicator_ids, root), r.day <= max(days)).group_by(r.indicator_id, Unit.path))
    for ind, path, *found in session.execute(stmt):
        for n, day in enumerate(days):
            value, den, units = found[3 * n:3 * n + 3]
            if units:
                out[day][(ind, path)] = (_clean(value), _clean(den))
    return out


def _clean(number: float) -> float:
    """Sums of changes: 0.1 + 0.2 - 0.1 is not 0.2 in floating point; figures are entered with a few decimals."""
    return round(number, 9)


def _applies(indicator: Indicator, unit: Unit) -> bool:
    if indicator.level is Level.UNIT:
        return unit.kind not in (UnitKind.VILLAGE,)
    if indicator.level is Level.COMMUNE:
        return unit.kind in (UnitKind.COUNTRY, UnitKind.PROVINCE, UnitKind.COMMUNE)
    return unit.kind in AREA_KINDS


def _add_figures(session, indicators, root, as_of: dt.date, total: Row, rows: dict, by_path) -> None:
    ids = [i.id for i in indicators]
    earlier = as_of - dt.timedelta(days=TREND_DAYS)
    found = (rolled_up_results_at if rolls_up(root) else latest_results_at)(session, ids, root, (as_of, earlier))
    now, before = found[as_of], found[earlier]
    for row in [total, *rows.values()]:
        row.figures = [Figure(i, is_applicable=_applies(i, row.unit)) for i in indicators]
    index = {i.id: n for n, i in enumerate(indicators)}
    for results, attr in ((now, "now"), (before, "before")):
        sums: dict = defaultdict(lambda: [0.0, 0.0, 0])
        for (ind, path), (value, den) in results.items():
            for row in filter(None, (total, by_path(path))):
                acc = sums[(id(row), ind)]
                acc[0] += value
                acc[1] += den or 0
                acc[2] += 1
        for row in [total, *rows.values()]:
            for ind, n in index.items():
                acc = sums.get((id(row), ind))
                if acc is None:
                    continue
                fig = row.figures[n]
                if attr == "now":
                    fig.value, fig.denominator = acc[0], acc[1] or None
                else:
                    fig.previous = Figure(fig.indicator, acc[0], acc[1] or None).measure


def weekly_activity(session: Session, plan: Plan, root: Unit, filters: Filters) -> list[tuple[dt.date, dict]]:
    """Per week (Monday) of the period: delivered broadcasts and posts by channel, for the chart."""
    if filters.audience_id or filters.message_id:
        return _raw_weekly_activity(session, plan, root, filters)
    weeks: list[tuple[dt.date, dict]] = []
    start = filters.first - dt.timedelta(days=filters.first.weekday())
    while start <= filters.last and len(weeks) < 60:
        weeks.append((start, {}))
        start += dt.timedelta(days=7)
    if not weeks:
        return weeks
    last = min(filters.last, weeks[-1][0] + dt.timedelta(days=6))
    index = {start: n for n, (start, _) in enumerate(weeks)}
    for (day, channel), n in sorted(delivered_by_day(session, plan, root, filters.first, last, filters.channel).items()):
        counts = weeks[index[day - dt.timedelta(days=day.weekday())]][1]
        counts[channel] = counts.get(channel, 0) + n
    return weeks


def _raw_weekly_activity(session: Session, plan: Plan, root: Unit, filters: Filters) -> list[tuple[dt.date, dict]]:
    weeks = []
    start = filters.first - dt.timedelta(days=filters.first.weekday())
    while start <= filters.last and len(weeks) < 60:
        lo, hi = localtime.local_range_bounds(max(start, filters.first), min(start + dt.timedelta(days=6), filters.last))
        stmt = (select(Delivery.channel, func.count()).join(Occurrence, Occurrence.id == Delivery.occurrence_id)
                .join(Target, Target.id == Occurrence.target_id).join(Unit, Unit.id == Target.unit_id)
                .join(MessageVersion, MessageVersion.id == Occurrence.message_version_id)
                .join(Message, Message.id == MessageVersion.message_id)
                .where(Occurrence.plan_id == plan.id, Unit.path.startswith(root.path, autoescape=True),
                       Delivery.status == DeliveryStatus.DELIVERED, Occurrence.starts_at >= lo,
                       Occurrence.starts_at < hi).group_by(Delivery.channel))
        weeks.append((start, dict(session.execute(_message_filter(stmt, filters)).all())))
        start += dt.timedelta(days=7)
    return weeks


def progress_series(session: Session, indicator: Indicator, root: Unit, first: dt.date,
                    last: dt.date) -> list[tuple[dt.date, float | None]]:
    """The indicator's rolled-up measure at `root` at the end of each week of the period.

    One query for the results up to `last`, swept in date order (not one aggregate per week): each unit's
    latest figure in force on each week's end is added up, as `latest_results` does for a single day. At a commune
    and above, the same sweep over `indicator_rollups` (the changes of the sums, per commune and date)."""
    if root.kind is not UnitKind.VILLAGE:  # a commune's rollup rows hold its villages' figures: its total
        return _rolled_up_series(session, indicator, root, first, last)
    rows = session.execute(
        select(IndicatorResult.unit_id, IndicatorResult.measured_on, IndicatorResult.value, IndicatorResult.denominator)
        .join(Unit, Unit.id == IndicatorResult.unit_id)
        .where(IndicatorResult.indicator_id == indicator.id, IndicatorResult.replaced_at.is_(None),
               IndicatorResult.measured_on <= last, Unit.path.startswith(root.path, autoescape=True))
        .order_by(IndicatorResult.measured_on, IndicatorResult.id)).all()
    current: dict[int, tuple[float, float | None]] = {}
    points, day, i = [], first + dt.timedelta(days=6 - first.weekday()), 0
    while len(points) < 60:
        day = min(day, last)
        while i < len(rows) and rows[i].measured_on <= day:
            current[rows[i].unit_id] = (rows[i].value, rows[i].denominator)
            i += 1
        value = sum(v for v, _ in current.values())
        den = sum(d or 0 for _, d in current.values())
        points.append((day, Figure(indicator, value if current else None, den or None).measure))
        if day >= last:
            break
        day += dt.timedelta(days=7)
    return points


def progress_series_many(session: Session, indicators: list[Indicator], root: Unit, first: dt.date,
                         last: dt.date) -> list[list[tuple[dt.date, float | None]]]:
    """`progress_series` of each of `indicators`, in order; at a commune and above from ONE read of
    `indicator_rollups` (grouped by indicator and day), not one per indicator."""
    if root.kind is UnitKind.VILLAGE or len(indicators) < 2:
        return [progress_series(session, ind, root, first, last) for ind in indicators]
    r = IndicatorRollup
    rows: dict[int, list] = defaultdict(list)
    for ind, *row in session.execute(
            select(r.indicator_id, r.day, func.sum(r.value), func.sum(r.denominator), func.sum(r.units))
            .join(Unit, Unit.id == r.unit_id)
            .where(*_in_rollup([i.id for i in indicators], root), r.day <= last)
            .group_by(r.indicator_id, r.day).order_by(r.indicator_id, r.day)):
        rows[ind].append(row)
    return [_sweep(ind, rows.get(ind.id, []), first, last) for ind in indicators]


def _rolled_up_series(session: Session, indicator: Indicator, root: Unit, first: dt.date,
                      last: dt.date) -> list[tuple[dt.date, float | None]]:
    r = IndicatorRollup
    rows = session.execute(
        select(r.day, func.sum(r.value), func.sum(r.denominator), func.sum(r.units)).join(Unit, Unit.id == r.unit_id)
        .where(*_in_rollup([indicator.id], root), r.day <= last).group_by(r.day).order_by(r.day)).all()
    return _sweep(indicator, rows, first, last)


def _sweep(indicator: Indicator, rows, first: dt.date, last: dt.date) -> list[tuple[dt.date, float | None]]:
    """The measure at the end of each week from the rollup changes (day, value, denominator, units) in day order."""
    value = den = 0.0
    units = 0
    points, day, i = [], first + dt.timedelta(days=6 - first.weekday()), 0
    while len(points) < 60:
        day = min(day, last)
        while i < len(rows) and rows[i][0] <= day:
            value, den, units = value + rows[i][1], den + rows[i][2], units + rows[i][3]
            i += 1
        points.append((day, Figure(indicator, _clean(value) if units else None, _clean(den) or None).measure))
        if day >= last:
            break
        day += dt.timedelta(days=7)
    return points
