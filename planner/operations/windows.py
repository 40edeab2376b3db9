"""Peak and blackout windows edited in the app — a plan's own, and a unit's (inherited by every target at or
below it) with a preview of their effect — and exempting one plan from an automatic holiday.

Automatic holidays are the plan-less, unit-less blackout windows the holiday rule expands (codes `le-YYYY-MM-DD`);
a plan may ignore one (e.g. to air on the observed day off 3/5) without touching the other plans.

Who edits windows: when to air is a campaign decision, so the officers who run plans (planner, editor: the
`schedule.edit` roles) edit them as well as the unit administrators, each for their own unit and the units
below it; a plan's windows only for a plan of their unit or below (plans from above are read-only there).
"""
from __future__ import annotations

from collections import OrderedDict

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from planner import localtime
from planner.access import can, sees_unit
from planner.channels import CHANNEL_LABELS
from planner.models import Plan, Unit, User, Window, WindowExemption, WindowKind
from planner.operations.audit import record

HOLIDAY_PREFIX = "le-"
KIND_WORDS = {WindowKind.PEAK: "cao điểm", WindowKind.BLACKOUT: "tạm dừng"}


class WindowError(Exception):
    """Bad input for a window, with a Vietnamese message per field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def edits_windows(actor: User, unit: Unit) -> bool:
    """Officers (planner, editor) and unit administrators, for their unit and below; the admin anywhere."""
    return (can(actor, "schedule.edit") or can(actor, "unit.manage")) and sees_unit(actor, unit)


def manages_plan(actor: User, plan: Plan) -> bool:
    """A plan's windows are edited by whoever edits the windows of the plan's unit."""
    return edits_windows(actor, plan.unit)


def path_ids(unit: Unit) -> list[int]:
    """The unit's ancestors and itself, root first."""
    return [int(x) for x in unit.path.strip("/").split("/") if x] or [unit.id]


def plan_windows(session: Session, plan: Plan) -> list[Window]:
    return list(session.scalars(select(Window).where(Window.plan_id == plan.id).order_by(Window.starts_on)))


def own_windows(session: Session, unit: Unit) -> list[Window]:
    return list(session.scalars(select(Window).where(Window.unit_id == unit.id).order_by(Window.starts_on)))


def inherited_windows(session: Session, unit: Unit) -> list[Window]:
    """Windows of the units above `unit` (they apply here too), nearest unit last."""
    above = path_ids(unit)[:-1]
    rows = session.scalars(select(Window).where(Window.unit_id.in_(above)).order_by(Window.starts_on)).all()
    return sorted(rows, key=lambda w: above.index(w.unit_id))


def shared_windows(session: Session) -> list[Window]:
    """Windows of every plan and unit (from the library), without the automatic holidays."""
    return list(session.scalars(select(Window).where(Window.plan_id.is_(None), Window.unit_id.is_(None),
                                                     ~Window.code.startswith(HOLIDAY_PREFIX))
                                .order_by(Window.starts_on)))


def unit_windows_for(session: Session, units: list[Unit]) -> dict[int, list[Window]]:
    """For each unit: the unit windows that apply to it (its own and those of every unit above)."""
    ids = {i for u in units for i in path_ids(u)}
    rows = session.scalars(select(Window).where(Window.unit_id.in_(ids)).order_by(Window.starts_on)).all() if ids else []
    return {u.id: [w for w in rows if w.unit_id in set(path_ids(u))] for u in units}


def holidays(session: Session, plan: Plan) -> list[tuple[Window, bool]]:
    """Automatic holidays within the plan's period (or from its start on), each with whether the plan is exempt."""
    stmt = select(Window).where(Window.plan_id.is_(None), Window.unit_id.is_(None),
                                Window.code.startswith(HOLIDAY_PREFIX),
                                Window.ends_on >= plan.starts_on).order_by(Window.starts_on)
    if plan.ends_on:
        stmt = stmt.where(Window.starts_on <= plan.ends_on)
    exempt = set(session.scalars(select(WindowExemption.window_id).where(WindowExemption.plan_id == plan.id)))
    return [(w, w.id in exempt) for w in session.scalars(stmt)]


def create_window(session: Session, actor: User, owner: Plan | Unit, data: dict) -> Window:
    """A peak or blackout window of a plan or a unit: {kind, name, starts_on, ends_on, channels[], is_yearly}."""
    kind, name, starts, ends, channels = _values(data)
    is_plan = isinstance(owner, Plan)
    column = Window.plan_id if is_plan else Window.unit_id
    n = session.scalar(select(func.count()).select_from(Window).where(column == owner.id)) + 1
    stem = owner.code if is_plan else f"dv{owner.id}-{owner.code}"
    code = f"{stem}-dot-{n}"
    while session.scalar(select(func.count()).select_from(Window).where(Window.code == code[:100])):
        n += 1
        code = f"{stem}-dot-{n}"
    window = Window(plan_id=owner.id if is_plan else None, unit_id=None if is_plan else owner.id, code=code[:100],
                    name=name, kind=kind, starts_on=starts, ends_on=ends,
                    is_yearly=data.get("is_yearly") in (True, "1", "on"), channels=channels)
    session.add(window)
    session.flush()
    record(session, user=actor, action="window.create", entity=window, to_state=kind,
           **({"plan": owner.code} if is_plan else {"unit": owner.code}))
    return window


def delete_window(session: Session, actor: User, owner: Plan | Unit, window: Window) -> None:
    is_plan = isinstance(owner, Plan)
    if (window.plan_id if is_plan else window.unit_id) != owner.id:
        raise WindowError({"form": "Chỉ xóa được đợt của chính kế hoạch này." if is_plan
                           else "Chỉ xóa được đợt của chính đơn vị này (đợt của đơn vị cấp trên sửa ở đơn vị đó)."})
    record(session, user=actor, action="window.delete", entity=window,
           **({"plan": owner.code} if is_plan else {"unit": owner.code}))
    session.delete(window)
    session.flush()


def set_holiday_exemption(session: Session, actor: User, plan: Plan, window: Window, exempt: bool) -> None:
    """Let the plan air on an automatic holiday (or stop letting it)."""
    automatic = window.plan_id is None and window.unit_id is None and window.code.startswith(HOLIDAY_PREFIX)
    if not automatic or window.kind is not WindowKind.BLACKOUT:
        raise WindowError({"form": "Chỉ miễn được ngày nghỉ lễ tự động."})
    session.execute(delete(WindowExemption).where(WindowExemption.plan_id == plan.id,
                                                  WindowExemption.window_id == window.id))
    if exempt:
        session.add(WindowExemption(plan_id=plan.id, window_id=window.id))
    session.flush()
    record(session, user=actor, action="window.exempt" if exempt else "window.unexempt", entity=window,
           plan=plan.code)


def preview(session: Session, unit: Unit, channel: str = "loudspeaker", limit: int = 200) -> list[str]:
    """One line per group of targets at or below `unit` under the same unit and shared windows, e.g.
    "Thôn 7: tạm dừng 15/03/2026 – 15/03/2026 (Bầu cử); cao điểm 01/10 – 10/10 hằng năm (…)"."""
    from planner.operations.schedule import targets_in

    targets = targets_in(session, unit, channel)[:limit]
    shared = [w for w in shared_windows(session) if _concerns(w, channel)]
    by_unit = unit_windows_for(session, list({t.unit_id: t.unit for t in targets}.values()))
    groups: OrderedDict[str, list[str]] = OrderedDict()
    for target in targets:
        text = describe([w for w in by_unit[target.unit_id] if _concerns(w, channel)] + shared)
        groups.setdefault(text, []).append(target.unit.name if channel == "loudspeaker" else target.name)
    return [f"{', '.join(names)}: {text}" for text, names in groups.items()]


def describe(windows: list[Window]) -> str:
    """Windows in words, in date order; the automatic holidays always apply besides them."""
    from planner.operations.calendar import window_span

    if not windows:
        return "không có đợt cao điểm/tạm dừng riêng (chỉ nghỉ ngày lễ)"
    return "; ".join(f"{KIND_WORDS[w.kind]} {window_span(w)} ({w.name})"
                     for w in sorted(windows, key=lambda w: (w.starts_on, w.id)))


def _concerns(window: Window, channel: str) -> bool:
    return not window.channels or channel in window.channels


def applies_to(unit: Unit):
    """A SQL condition: unit windows that apply at `unit` (its own and those of the units above)."""
    return or_(Window.unit_id.is_(None), Window.unit_id.in_(path_ids(unit)))


def _values(data: dict):
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
    elif starts and ends and (ends - starts).days > 366:
        errors["ends_on"] = "Một đợt dài tối đa 366 ngày."
    channels = data.get("channels") or []
    channels = [channels] if isinstance(channels, str) else list(channels)
    if any(c not in CHANNEL_LABELS for c in channels):
        errors["channels"] = "Kênh không hợp lệ."
    if errors:
        raise WindowError(errors)
    return kind, name, starts, ends, sorted(set(channels))


def _date(data: dict, key: str, errors: dict):
    try:
        return localtime.parse_date(str(data.get(key) or "").strip())
    except ValueError:
        errors[key] = "Ngày dạng dd/mm/yyyy."
        return None
