"""Indicators from the plan file, and results recorded per unit and date (corrections keep history)."""
from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner import localtime
from planner.models import Indicator, IndicatorResult, Level, Measure, ResultSource, Unit, UnitKind, User
from planner.operations import indicator_rollups  # noqa: F401  (its session hook keeps indicator_rollups on write)
from planner.operations.audit import record

LEVEL_KINDS = {Level.VILLAGE: {UnitKind.VILLAGE}, Level.COMMUNE: {UnitKind.COMMUNE},
               Level.UNIT: {UnitKind.COUNTRY, UnitKind.PROVINCE, UnitKind.COMMUNE, UnitKind.AGENCY,
                            UnitKind.DEPARTMENT}}
LEVEL_ERRORS = {Level.VILLAGE: "Chỉ tiêu này ghi nhận theo thôn: vui lòng chọn một thôn.",
                Level.COMMUNE: "Chỉ tiêu này ghi nhận theo xã: vui lòng chọn một xã.",
                Level.UNIT: "Chỉ tiêu này ghi nhận theo đơn vị (không theo thôn)."}
MAX_VALUE = 1e9


class ResultError(ValueError):
    """A result that cannot be recorded; `errors` maps fields to Vietnamese messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def indicator_values(item: dict, position: int) -> dict:
    """Model values for one checked indicator of the plan file (see planner.library_indicators)."""
    def day(text):
        return dt.date.fromisoformat(text) if text else None

    return dict(position=position, name=item["name"][:500], measure=Measure(item["measure"]),
                numerator_label=item.get("numerator") or "", denominator_label=item.get("denominator") or "",
                unit_label=item.get("unit_label") or "", target=item["target"], baseline=item.get("baseline"),
                starts_on=day(item.get("from")), deadline=day(item.get("deadline")), level=Level(item["level"]),
                recorded_by=item.get("recorded_by") or "", note=item.get("note") or "")


def plan_indicators(session: Session, plan_id: int) -> list[Indicator]:
    """A plan's indicators in the order of the plan file."""
    return list(session.scalars(select(Indicator).where(Indicator.plan_id == plan_id).order_by(Indicator.position)))


def parse_number(text, field: str, errors: dict[str, str], *, required: bool = True) -> float | None:
    """A non-negative number typed by a person ('1.234' or '1234' or '12,5'); records an error otherwise."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):  # from JSON or a spreadsheet cell
        value = float(text)
        if not math.isfinite(value) or value < 0 or value > MAX_VALUE:
            errors[field] = "Số phải từ 0 đến 1.000.000.000."
            return None
        return value
    raw = str(text if text is not None else "").strip().replace(" ", "")
    if not raw:
        if required:
            errors[field] = "Vui lòng nhập số."
        return None
    if raw.count(",") == 1 and raw.count(".") == 0:
        raw = raw.replace(",", ".")
    elif raw.count(".") >= 1 and raw.replace(".", "").isdigit() and all(len(p) == 3 for p in raw.split(".")[1:]):
        raw = raw.replace(".", "")  # 1.234 = one thousand two hundred and thirty-four
    try:
        value = float(raw)
    except ValueError:
        errors[field] = f"'{text}' không phải là số."
        return None
    if not math.isfinite(value) or value < 0 or value > MAX_VALUE:
        errors[field] = "Số phải từ 0 đến 1.000.000.000."
        return None
    return value


def check_result(indicator: Indicator, unit: Unit | None, on: dt.date | None, value, denominator, *,
                 today: dt.date) -> tuple[float, float | None]:
    """Validate one result; returns (value, denominator) or raises ResultError."""
    errors: dict[str, str] = {}
    if unit is None:
        errors["unit_id"] = "Vui lòng chọn đơn vị."
    elif unit.kind not in LEVEL_KINDS[indicator.level]:
        errors["unit_id"] = LEVEL_ERRORS[indicator.level]
    elif indicator.level is not Level.UNIT and not unit.path.startswith(indicator.plan.unit.path):
        errors["unit_id"] = f"{unit.name} không thuộc địa bàn của kế hoạch."
    if on is None:
        errors["on"] = "Ngày không hợp lệ (dd/mm/yyyy)."
    elif on > today:
        errors["on"] = "Không ghi số liệu cho ngày trong tương lai."
    elif on < indicator.plan.starts_on:
        errors["on"] = "Ngày trước khi kế hoạch bắt đầu."
    number = parse_number(value, "value", errors)
    den = parse_number(denominator, "denominator", errors, required=indicator.is_percentage)
    if indicator.is_percentage and den is not None:
        if den == 0:
            errors["denominator"] = f"{indicator.denominator_label or 'Mẫu số'} phải lớn hơn 0."
        elif number is not None and number > den:
            errors["value"] = f"{indicator.numerator_label or 'Tử số'} không được lớn hơn " \
                              f"{(indicator.denominator_label or 'mẫu số').lower()}."
    if errors:
        raise ResultError(errors)
    return number, den if indicator.is_percentage else None


def record_result(session: Session, indicator: Indicator, unit: Unit | None, on: dt.date | None, value,
                  denominator=None, *, user: User | None, source: ResultSource, now: dt.datetime,
                  name: str = "") -> IndicatorResult:
    """Record a figure; an earlier figure for the same indicator, unit and date is kept as replaced."""
    number, den = check_result(indicator, unit, on, value, denominator, today=localtime.today(now))
    previous = current_result(session, indicator.id, unit.id, on)
    result = IndicatorResult(indicator_id=indicator.id, unit_id=unit.id, measured_on=on, value=number,
                             denominator=den, source=source, entered_by_id=user.id if user else None,
                             entered_by_name=(user.full_name if user else name)[:200], created_at=now)
    session.add(result)
    session.flush()
    if previous is not None:
        previous.replaced_at, previous.replaced_by_id = now, result.id
    record(session, user=user, actor=name, action="indicator_result.correct" if previous else "indicator_result.record",
           entity=result, from_state=_figure(previous) if previous else "", to_state=_figure(result),
           indicator=indicator.code, unit=unit.code, on=on.isoformat(), source=source.value)
    session.flush()
    return result


def current_result(session: Session, indicator_id: int, unit_id: int, on: dt.date) -> IndicatorResult | None:
    """The figure in force for an indicator, unit and date (not replaced by a correction)."""
    return session.scalars(select(IndicatorResult).where(
        IndicatorResult.indicator_id == indicator_id, IndicatorResult.unit_id == unit_id,
        IndicatorResult.measured_on == on, IndicatorResult.replaced_at.is_(None))).first()


def result_history(session: Session, indicator_id: int, unit_id: int) -> list[IndicatorResult]:
    """Every figure entered for an indicator and unit, corrections included, newest first."""
    return list(session.scalars(select(IndicatorResult).where(
        IndicatorResult.indicator_id == indicator_id, IndicatorResult.unit_id == unit_id)
        .order_by(IndicatorResult.measured_on.desc(), IndicatorResult.id.desc())))


def _figure(result: IndicatorResult) -> str:
    value = f"{result.value:g}"
    return f"{value}/{result.denominator:g}" if result.denominator is not None else value


def village_indicators(session: Session, unit: Unit, *, today: dt.date) -> list[tuple[Indicator, IndicatorResult | None]]:
    """Village-level indicators running now in plans of the units above `unit`, each with its latest figure."""
    from planner.models import Plan

    ancestors = [int(x) for x in unit.path.strip("/").split("/") if x]
    rows = session.scalars(
        select(Indicator).join(Plan, Plan.id == Indicator.plan_id)
        .where(Plan.unit_id.in_(ancestors), Indicator.level == Level.VILLAGE, Plan.starts_on <= today,
               (Plan.ends_on.is_(None)) | (Plan.ends_on >= today),
               (Indicator.starts_on.is_(None)) | (Indicator.starts_on <= today),
               (Indicator.deadline.is_(None)) | (Indicator.deadline >= today))
        .order_by(Indicator.plan_id, Indicator.position)).all()
    out = []
    for ind in rows:
        latest = session.scalars(select(IndicatorResult).where(
            IndicatorResult.indicator_id == ind.id, IndicatorResult.unit_id == unit.id,
            IndicatorResult.replaced_at.is_(None)).order_by(IndicatorResult.measured_on.desc())).first()
        out.append((ind, latest))
    return out
