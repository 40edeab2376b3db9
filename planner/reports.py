"""Reporting periods (Decree 09/2019), dashboard aggregation rolled up the unit tree, report documents."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from planner import localtime
from planner.channels import CHANNEL_LABELS
from planner.models.content import version_audiences
from planner.operations.counts import activity   # the maintained counts, without what a make-up replaced
from planner.vnsort import vietnamese_key
from planner.models import (AudienceGroup, AuditEntry, Delivery, DeliveryStatus, Message, MessageVersion, Occurrence,
                            PeriodRule, Plan, PrintOrder, PrintStatus, ReportKind, Target, Unit, User)

DONE = {DeliveryStatus.DELIVERED}
LOST = {DeliveryStatus.MISSED, DeliveryStatus.FAILED, DeliveryStatus.EXPIRED}
OPEN = {DeliveryStatus.PLANNED, DeliveryStatus.DISPATCHED, DeliveryStatus.UNKNOWN}


def report_period(rule: PeriodRule, kind: ReportKind, year: int, month: int | None = None) -> tuple[dt.date, dt.date]:
    """First and last day of a reporting period; Decree 09 periods run from the 15th to the 14th."""
    if rule is PeriodRule.DECREE_09:
        if kind is ReportKind.MONTHLY:
            start = dt.date(year - 1, 12, 15) if month == 1 else dt.date(year, month - 1, 15)
            return start, dt.date(year, month, 14)
        return {ReportKind.FIRST_HALF: (dt.date(year - 1, 12, 15), dt.date(year, 6, 14)),
                ReportKind.SECOND_HALF: (dt.date(year, 6, 15), dt.date(year, 12, 14)),
                ReportKind.ANNUAL: (dt.date(year - 1, 12, 15), dt.date(year, 12, 14))}[kind]
    if kind is ReportKind.MONTHLY:
        nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
        return dt.date(year, month, 1), nxt - dt.timedelta(days=1)
    return {ReportKind.FIRST_HALF: (dt.date(year, 1, 1), dt.date(year, 6, 30)),
            ReportKind.SECOND_HALF: (dt.date(year, 7, 1), dt.date(year, 12, 31)),
            ReportKind.ANNUAL: (dt.date(year, 1, 1), dt.date(year, 12, 31))}[kind]


@dataclass
class Tally:
    """Counts of deliveries by outcome."""

    planned: int = 0
    delivered: int = 0
    lost: int = 0
    pending: int = 0
    made_up: int = 0  # delivered as the make-up of a missed broadcast (counted once, inside `delivered`)

    def add(self, status: DeliveryStatus, n: int, *, is_makeup: bool = False) -> None:
        if status is DeliveryStatus.CANCELLED:
            return
        self.planned += n
        if status in DONE:
            self.delivered += n
            self.made_up += n if is_makeup else 0
        elif status in LOST:
            self.lost += n
        else:
            self.pending += n

    @property
    def rate(self) -> int:
        done = self.delivered + self.lost
        return round(100 * self.delivered / done) if done else 0


@dataclass
class Dashboard:
    total: Tally = field(default_factory=Tally)
    by_channel: dict = field(default_factory=lambda: defaultdict(Tally))
    by_unit: dict = field(default_factory=lambda: defaultdict(Tally))
    by_audience: dict = field(default_factory=lambda: defaultdict(Tally))
    reasons: Counter = field(default_factory=Counter)
    has_details: bool = True  # False: by_audience and reasons were not read (see plan_dashboard's `details`)


def plan_dashboard(session: Session, plan: Plan, user: User, *, first: dt.date | None = None,
                   last: dt.date | None = None, root: Unit | None = None, details: bool = True,
                   found: dict | None = None, names: dict[str, str] | None = None) -> Dashboard:
    """Planned vs delivered vs missed by channel, by unit (rolled up to the root's children) and audience.

    `found`: the `activity` of the same plan, root and period when the caller already has it; `names`: the root's
    children's names by path segment (`Drilldown.child_names`), when the caller has read them. `details=False`
    leaves out the table by audience and the reasons of lost broadcasts, which are read from the deliveries
    themselves (the counts have no audience): the province page leaves them to a commune's page or the CSV."""
    root = root or user.unit
    data = Dashboard()
    names = _child_names(session, root) if names is None else names
    found = activity(session, plan, root, first, last) if found is None else found
    for (path, channel, status, makeup), n in found.items():
        for tally in (data.total, data.by_channel[CHANNEL_LABELS.get(channel, channel)],
                      data.by_unit[names.get(_child_segment(root.path, path), root.name)]):
            tally.add(status, n, is_makeup=bool(makeup))
    if not details:
        data.has_details = False
        return data
    data.by_audience, data.reasons = _audiences_and_reasons(session, plan, root, first, last)
    return data


def _audiences_and_reasons(session: Session, plan: Plan, root: Unit, first: dt.date | None,
                           last: dt.date | None) -> tuple[dict, Counter]:
    """The tallies by audience and the reasons of lost broadcasts, from ONE read of the deliveries in scope.

    The deliveries are grouped by status, version, make-up and (lost ones only) reason — a few hundred groups —
    then spread in Python: a delivery counts once in the reasons and once under EACH audience its version was for
    (as a join on `version_audiences` would count it). `Delivery.made_up` is `made_up_elsewhere()` kept by the
    count triggers: a column test, not a subquery per row."""
    is_makeup = Occurrence.replaces_delivery_id.is_not(None)
    reason = case((Delivery.status.in_(LOST), Delivery.reason), else_=None)
    stmt = (select(Delivery.status, Occurrence.message_version_id, is_makeup, reason, func.count())
            .join(Occurrence, Occurrence.id == Delivery.occurrence_id)
            .join(Target, Target.id == Occurrence.target_id).join(Unit, Unit.id == Target.unit_id)
            .where(Occurrence.plan_id == plan.id, Unit.path.startswith(root.path, autoescape=True),
                   Delivery.made_up.is_(False))
            .group_by(Delivery.status, Occurrence.message_version_id, is_makeup, reason))
    if first and last:
        lo, hi = localtime.local_range_bounds(first, last)
        stmt = stmt.where(Occurrence.starts_at >= lo, Occurrence.starts_at < hi)
    groups = session.execute(stmt).all()
    audiences: dict[int, list[str]] = defaultdict(list)
    versions = sorted({version for _, version, _, _, _ in groups})
    if versions:
        for version, name in session.execute(
                select(version_audiences.c.version_id, AudienceGroup.name)
                .join(AudienceGroup, AudienceGroup.id == version_audiences.c.audience_id)
                .where(version_audiences.c.version_id.in_(versions))):
            audiences[version].append(name)
    by_audience: dict = defaultdict(Tally)
    reasons: dict[str, int] = defaultdict(int)
    for status, version, makeup, why, n in groups:
        status = DeliveryStatus(status)
        for name in audiences.get(version, ()):
            by_audience[name].add(status, n, is_makeup=bool(makeup))
        if status in LOST:
            reasons[why or "Không rõ"] += n
    return by_audience, Counter(dict(sorted(reasons.items())))


def made_up_elsewhere():
    """SQL condition: this delivery was missed and a make-up broadcast (not cancelled) replaces it.

    Such a broadcast is counted once, through its make-up, rather than twice as planned.
    """
    makeup, makeup_delivery = aliased(Occurrence), aliased(Delivery)
    return (select(makeup.id).join(makeup_delivery, makeup_delivery.occurrence_id == makeup.id)
            .where(makeup.replaces_delivery_id == Delivery.id,
                   makeup_delivery.status != DeliveryStatus.CANCELLED).exists())


def natural_key(name: str) -> tuple:
    """Sort key in Vietnamese order: Đ after D, 'Thôn 2' before 'Thôn 10'."""
    return vietnamese_key(name)


def sorted_groups(groups: dict) -> list[tuple[str, Tally]]:
    """A tally dict's items in natural name order."""
    return sorted(groups.items(), key=lambda item: natural_key(item[0]))


def _child_segment(root_path: str, path: str) -> str:
    rest = path[len(root_path):].strip("/")
    return rest.split("/")[0] if rest else ""


def _child_names(session: Session, root: Unit) -> dict[str, str]:
    return {f"{u.id:08d}": u.name for u in session.scalars(select(Unit).where(Unit.parent_id == root.id))}


def print_summary(session: Session, plan: Plan, root: Unit, first: dt.date, last: dt.date) -> list[list[str]]:
    """Rows: product, orders placed, copies ordered (placed in the period), copies delivered in the period.

    An order counts for the unit it is for (a commune's order placed by the province counts for the
    commune); its copies count as delivered in the period the shop delivered them, whenever it was placed.
    """
    lo, hi = localtime.local_range_bounds(first, last)
    agg: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    base = _orders_in_scope(plan, root)
    for product, n, qty in session.execute(
            base.with_only_columns(PrintOrder.product, func.count(), func.sum(PrintOrder.quantity))
            .where(PrintOrder.created_at >= lo, PrintOrder.created_at < hi, PrintOrder.status != PrintStatus.CANCELLED)
            .group_by(PrintOrder.product)):
        agg[product][0] += n
        agg[product][1] += qty or 0
    delivered = order_delivered_at()
    for product, qty in session.execute(
            base.with_only_columns(PrintOrder.product, func.sum(PrintOrder.quantity))
            .join(delivered, delivered.c.order_id == PrintOrder.id)
            .where(PrintOrder.status == PrintStatus.DELIVERED, delivered.c.at >= lo, delivered.c.at < hi)
            .group_by(PrintOrder.product)):
        agg[product][2] += qty or 0
    from planner.print_documents import PRODUCTS   # human names: "Băng rôn 0,9 × 6 m", not "banner_09x6"

    named = sorted((PRODUCTS[p].label if p in PRODUCTS else p, a) for p, a in agg.items())
    return [[label, str(a[0]), _num(a[1]), _num(a[2])] for label, a in named]


def _orders_in_scope(plan: Plan, root: Unit):
    """Orders of the plan's messages for units at or below `root` (the unit an order is for, else its orderer)."""
    return (select(PrintOrder.id)
            .join(MessageVersion, MessageVersion.id == PrintOrder.message_version_id)
            .join(Message, Message.id == MessageVersion.message_id)
            .join(Unit, Unit.id == func.coalesce(PrintOrder.for_unit_id, PrintOrder.unit_id))
            .where(Message.plan_id == plan.id, Unit.path.startswith(root.path, autoescape=True)))


def order_delivered_at():
    """Subquery (order_id, at): when each print order was marked delivered, from the audit log."""
    return (select(AuditEntry.entity_id.label("order_id"), func.max(AuditEntry.at).label("at"))
            .where(AuditEntry.entity_type == "print_orders", AuditEntry.action == "print_order.status",
                   AuditEntry.to_state == PrintStatus.DELIVERED.value)
            .group_by(AuditEntry.entity_id).subquery())


def _num(n: int) -> str:
    return f"{n:,}".replace(",", ".")
