"""Places: add, rename and move units (communes, villages, …) with their loudspeaker clusters.

Codes: a village's code is unique within its parent commune (two communes both have `thon-01`); every other
unit's code is unique in the whole tree and no village takes one of those (files and the CLI name them by code).
Moving a unit keeps its id, so its targets, broadcasts and reports move with it; the move is in the audit log.
"""
from __future__ import annotations

from sqlalchemy import String, func, literal, select, update
from sqlalchemy.orm import Session

from planner.access import AccessDenied, manages_unit
from planner.library_checks import CODE_RE
from planner.models import Target, Unit, UnitKind, User
from planner.models.org import UNIT_KIND_LABELS
from planner.operations.audit import record

# Kinds a unit administrator may add below their unit (the country and provinces come from the library).
ADDABLE_KINDS = (UnitKind.COMMUNE, UnitKind.VILLAGE, UnitKind.DEPARTMENT, UnitKind.AGENCY, UnitKind.PRINT_SHOP)
DEFAULT_CLUSTER = "Cụm loa {unit_name}"
# Where a commune and a village may sit (after the 2025 reform: province → commune → village).
PARENT_KINDS = {UnitKind.COMMUNE: (UnitKind.PROVINCE, UnitKind.COUNTRY), UnitKind.VILLAGE: (UnitKind.COMMUNE,)}


class UnitError(Exception):
    """Bad input for a unit operation, with a Vietnamese message per field."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def get_managed_unit(session: Session, actor: User, unit_id: int) -> Unit:
    """The unit if the actor administers it; AccessDenied otherwise."""
    unit = session.get(Unit, unit_id)
    if unit is None or not manages_unit(actor, unit):
        raise AccessDenied("unit")
    return unit


def code_problem(session: Session, code: str, kind: UnitKind, parent: Unit | None, *,
                 exclude: Unit | None = None) -> str | None:
    """Why `code` cannot name a unit of `kind` under `parent`, or None."""
    if not CODE_RE.match(code or "") or len(code) > 64:
        return "Mã 1–64 ký tự: chữ thường không dấu, số, '-', '.', '_'."
    others = select(Unit).where(Unit.code == code)
    if exclude is not None and exclude.id is not None:
        others = others.where(Unit.id != exclude.id)
    for other in session.scalars(others):
        if kind is UnitKind.VILLAGE and other.kind is UnitKind.VILLAGE:
            if parent is not None and other.parent_id == parent.id:
                return f"Mã '{code}' đã có trong {parent.name}."
            continue  # the same village code in another commune is fine
        return f"Mã '{code}' đã dùng cho {other.kind_label.lower()} {other.name}."
    return None


def set_path(session: Session, unit: Unit) -> None:
    """Give `unit` its materialised path and rewrite its descendants' paths (after a move)."""
    session.flush()
    old = unit.path
    parent_path = unit.parent.path if unit.parent is not None else "/"
    new = f"{parent_path}{unit.id:08d}/"
    if old == new:
        return
    unit.path = new
    if old:
        session.execute(update(Unit).where(Unit.path.startswith(old, autoescape=True), Unit.id != unit.id)
                        .values(path=literal(new, String) + func.substr(Unit.path, len(old) + 1))
                        .execution_options(synchronize_session=False))
        session.expire_all()


def create_unit(session: Session, actor: User, data: dict) -> Unit:
    """Add a unit under a parent the actor administers; a village gets its loudspeaker cluster alongside."""
    errors: dict[str, str] = {}
    parent = _parent(session, actor, data.get("parent_id"), errors)
    kind = next((k for k in ADDABLE_KINDS if k.value == str(data.get("kind") or "")), None)
    if kind is None:
        errors["kind"] = "Chọn loại đơn vị: " + ", ".join(UNIT_KIND_LABELS[k] for k in ADDABLE_KINDS) + "."
    name = _name(data, errors)
    code = str(data.get("code") or "").strip().lower()
    if kind is not None and "parent_id" not in errors:
        _check_parent_kind(kind, parent, errors)
        problem = code_problem(session, code, kind, parent)
        if problem:
            errors["code"] = problem
    cluster = str(data.get("loudspeaker") or "").strip()
    if len(cluster) > 200:
        errors["loudspeaker"] = "Tên cụm loa dài quá 200 ký tự."
    if errors:
        raise UnitError(errors)
    unit = Unit(code=code, name=name, kind=kind, parent=parent, path="", duties="")
    session.add(unit)
    set_path(session, unit)
    if kind is UnitKind.VILLAGE or cluster:
        add_loudspeaker(session, unit, cluster or DEFAULT_CLUSTER.format(unit_name=name))
    record(session, user=actor, action="unit.create", entity=unit, to_state=kind, parent=parent.code)
    return unit


def update_unit(session: Session, actor: User, unit: Unit, data: dict) -> Unit:
    """Rename a unit, change its code, or move it under another parent the actor administers."""
    errors: dict[str, str] = {}
    name = _name({"name": data.get("name", unit.name)}, errors)
    parent = unit.parent
    if data.get("parent_id") not in (None, "") and str(data["parent_id"]) != str(unit.parent_id):
        parent = _parent(session, actor, data["parent_id"], errors)
        if parent is not None and (parent.is_within(unit)):
            errors["parent_id"] = "Không thể chuyển một đơn vị vào chính nó hoặc đơn vị cấp dưới của nó."
        elif unit.id == actor.unit_id or not manages_unit(actor, unit.parent or unit):
            errors["parent_id"] = "Bạn không chuyển được đơn vị của chính mình."
        else:
            _check_parent_kind(unit.kind, parent, errors)
    code = str(data.get("code") or unit.code).strip().lower()
    if "parent_id" not in errors:
        problem = code_problem(session, code, unit.kind, parent, exclude=unit)
        if problem:
            errors["code"] = problem
    if errors:
        raise UnitError(errors)
    old_parent, old_name, old_code = unit.parent, unit.name, unit.code
    unit.name, unit.code, unit.parent = name, code, parent
    if parent is not old_parent:
        set_path(session, unit)
        record(session, user=actor, action="unit.move", entity=unit, from_state=old_parent.code if old_parent else "",
               to_state=parent.code if parent else "")
    if (old_name, old_code) != (name, code):
        session.flush()
        record(session, user=actor, action="unit.update", entity=unit, from_state=old_code, to_state=code,
               old_name=old_name, name=name)
    return unit


def add_loudspeaker(session: Session, unit: Unit, name: str) -> Target:
    """A new loudspeaker cluster (target) of `unit`, with a code unique across the tree."""
    base = f"loa-{unit.code}"
    code = base if not _target_code_taken(session, base) else f"loa-{unit.parent.code}-{unit.code}" \
        if unit.parent is not None else f"loa-{unit.id}"
    n = 2
    while _target_code_taken(session, code):
        code, n = f"{base}-{n}", n + 1
    target = Target(code=code, unit=unit, channel="loudspeaker", name=name, external_id="", is_active=True)
    session.add(target)
    session.flush()
    return target


def save_loudspeakers(session: Session, actor: User, unit: Unit, names: dict[int, str], new_name: str = "") -> None:
    """Rename the unit's loudspeaker clusters ({target id: name}) and add one more when `new_name` is given."""
    errors: dict[str, str] = {}
    clusters = {t.id: t for t in loudspeakers(session, unit)}
    for target_id, name in names.items():
        name = (name or "").strip()
        if target_id not in clusters:
            continue
        if not name or len(name) > 200:
            errors[f"target-{target_id}"] = "Tên cụm loa 1–200 ký tự."
        elif name != clusters[target_id].name:
            clusters[target_id].name = name
    if new_name.strip() and any(t.name == new_name.strip() for t in clusters.values()):
        errors["loudspeaker"] = f"{unit.name} đã có cụm loa tên này."
    if errors:
        raise UnitError(errors)
    if new_name.strip():
        add_loudspeaker(session, unit, new_name.strip()[:200])
    session.flush()
    record(session, user=actor, action="unit.loudspeakers", entity=unit, count=len(loudspeakers(session, unit)))


def loudspeakers(session: Session, unit: Unit) -> list[Target]:
    return list(session.scalars(select(Target).where(Target.unit_id == unit.id, Target.channel == "loudspeaker")
                                .order_by(Target.id)))


def _target_code_taken(session: Session, code: str) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Target).where(Target.code == code)))


def _parent(session: Session, actor: User, raw, errors: dict) -> Unit | None:
    parent = None
    if isinstance(raw, int) or (isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) < 10):
        parent = session.get(Unit, int(raw))
    if parent is None or not manages_unit(actor, parent):
        errors["parent_id"] = "Chọn đơn vị cấp trên trong phạm vi bạn quản lý."
        return None
    return parent


def _check_parent_kind(kind: UnitKind, parent: Unit | None, errors: dict) -> None:
    allowed = PARENT_KINDS.get(kind)
    if allowed and parent is not None and parent.kind not in allowed:
        errors["parent_id"] = (f"{UNIT_KIND_LABELS[kind]} phải thuộc "
                               + " hoặc ".join(UNIT_KIND_LABELS[k].lower() for k in allowed) + ".")
    elif parent is not None and parent.kind is UnitKind.VILLAGE:
        errors["parent_id"] = "Thôn không có đơn vị cấp dưới."


def _name(data: dict, errors: dict) -> str:
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 200:
        errors["name"] = "Tên đơn vị 1–200 ký tự."
    return name
