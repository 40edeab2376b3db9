"""Peak and blackout windows of a plan edited in the app, and exempting one plan from an automatic holiday.

Automatic holidays are the plan-less blackout windows the holiday rule expands (codes `le-YYYY-MM-DD`); a
plan may ignore one (e.g. to air on the observed day off 3/5) without touching the other plans.
"""
from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from planner import localtime
from planner.access import manages_unit
from planner.channels import CHANNEL_LABELS
from planner.models import Plan, User, Window, WindowExemption, WindowKind
from planner.operations.audit import record

HOLIDAY_PREFIX = "le-"


class WindowError(Exception):
    """Bad input for a window, with a Vietnamese message per field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def manages_plan(actor: User, plan: Plan) -> bool:
    """Windows of a plan are edited by whoever administers the plan's unit."""
    return manages_unit(actor, plan.unit)


def plan_windows(session: Session, plan: Plan) -> list[Window]:
    return list(session.scalars(select(Window).where(Window.plan_id == plan.id).order_by(Window.starts_on)))


def holidays(session: Session, plan: Plan) -> list[tuple[Window, bool]]:
    """Automatic holidays within the plan's period (or from its start on), each with whether the plan is exempt."""
    stmt = select(Window).where(Window.plan_id.is_(None), Window.code.startswith(HOLIDAY_PREFIX),
                                Window.ends_on >= plan.starts_on).order_by(Window.starts_on)
    if plan.ends_on:
        stmt = stmt.where(Window.starts_on <= plan.ends_on)
    exempt = set(session.scalars(select(WindowExemption.window_id).where(WindowExemption.plan_id == plan.id)))
    return [(w, w.id in exempt) for w in session.scalars(stmt)]


def create_window(session: Session, actor: User, plan: Plan, data: dict) -> Window:
    """A peak or blackout window for this plan: {kind, name, starts_on, ends_on, channels[], is_yearly}."""
    errors: dict[str, str] = {}
    kind = next((k for k in WindowKind if k.value == str(data.get("kind") or "")), None)
    if kind is None:
        errors["kind"] = "Chọn đợt cao điểm hoặc thời gian tạm dừng phát."
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 300:
        errors["name"] = "Tên 1–300 ký tự."
    starts, ends = _date(data, "starts_on", errors), _date(data, "ends_on", errors)
    if starts and ends and ends < starts:
        errors["ends_on"] = "Ngày kết thúc trước ngày bắt đầu."
    channels = data.get("channels") or []
    channels = [channels] if isinstance(channels, str) else list(channels)
    if any(c not in CHANNEL_LABELS for c in channels):
        errors["channels"] = "Kênh không hợp lệ."
    if errors:
        raise WindowError(errors)
    n = session.scalar(select(func.count()).select_from(Window).where(Window.plan_id == plan.id)) + 1
    code = f"{plan.code}-dot-{n}"
    while session.scalar(select(func.count()).select_from(Window).where(Window.code == code)):
        n += 1
        code = f"{plan.code}-dot-{n}"
    window = Window(plan_id=plan.id, code=code[:100], name=name, kind=kind, starts_on=starts, ends_on=ends,
                    is_yearly=data.get("is_yearly") in (True, "1", "on"), channels=sorted(set(channels)))
    session.add(window)
    session.flush()
    record(session, user=actor, action="window.create", entity=window, to_state=kind, plan=plan.code)
    return window


def delete_window(session: Session, actor: User, plan: Plan, window: Window) -> None:
    if window.plan_id != plan.id:
        raise WindowError({"form": "Chỉ xóa được đợt của chính kế hoạch này."})
    record(session, user=actor, action="window.delete", entity=window, plan=plan.code)
    session.delete(window)
    session.flush()


def set_holiday_exemption(session: Session, actor: User, plan: Plan, window: Window, exempt: bool) -> None:
    """Let the plan air on an automatic holiday (or stop letting it)."""
    automatic = window.plan_id is None and window.code.startswith(HOLIDAY_PREFIX)
    if not automatic or window.kind is not WindowKind.BLACKOUT:
        raise WindowError({"form": "Chỉ miễn được ngày nghỉ lễ tự động."})
    session.execute(delete(WindowExemption).where(WindowExemption.plan_id == plan.id,
                                                  WindowExemption.window_id == window.id))
    if exempt:
        session.add(WindowExemption(plan_id=plan.id, window_id=window.id))
    session.flush()
    record(session, user=actor, action="window.exempt" if exempt else "window.unexempt", entity=window,
           plan=plan.code)


def _date(data: dict, key: str, errors: dict):
    try:
        return localtime.parse_date(str(data.get(key) or "").strip())
    except ValueError:
        errors[key] = "Ngày dạng dd/mm/yyyy."
        return None
