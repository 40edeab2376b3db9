"""Village CSV upload: a dry run (created / updated / unchanged / moved rows and every error with its line and
column) and the import itself, which writes only when the same file passes the same checks again.

A village is matched by (commune, code): the same code in another commune is another village. A row counts
as a *move* only when the file also describes the village's current commune and no longer lists it there;
a move is refused unless confirmed, and keeps the village's id (so its clusters, broadcasts and reports).
Synchronous, so the file is limited to MAX_ROWS rows (a commune has tens of villages; a district file goes
through `planner import`).
"""
from __future__ import annotations

import csv
import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.access import manages_unit
from planner.library import LibraryError, Problem, load_units_csv
from planner.models import Unit, UnitKind, User
from planner.operations.audit import record
from planner.operations.units import DEFAULT_CLUSTER, add_loudspeaker, set_path

ACTION_LABELS = {"created": "Thêm mới", "updated": "Cập nhật", "unchanged": "Không đổi", "moved": "Chuyển xã"}
MAX_ROWS = 500
MAX_BYTES = 256 * 1024
# Columns a reader may add (the authoring work adds households/population); copied when the unit has them.
OPTIONAL_FIELDS = ("households", "population")


@dataclass
class VillageRow:
    line: int
    code: str
    name: str
    parent: Unit
    action: str  # created | updated | unchanged | moved
    unit: Unit | None = None
    changes: list[str] = field(default_factory=list)
    values: dict = field(default_factory=dict)  # optional columns (households, population) as read

    @property
    def action_label(self) -> str:
        return ACTION_LABELS[self.action]


@dataclass
class VillagePreview:
    rows: list[VillageRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)


def preview_villages(session: Session, actor: User | None, data: bytes | str, *, filename: str = "thon.csv",
                     confirm_moves: bool = False, within: Unit | None = None) -> VillagePreview:
    """Check a villages CSV against the database without writing anything.

    Parents must be units the actor administers (every unit for the CLI, actor None), within `within` if given.
    """
    name = Path(filename or "thon.csv").name or "thon.csv"
    preview = VillagePreview()
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        preview.problems.append(Problem(name, None, "-", f"tệp không phải mã UTF-8 (byte {exc.start})"))
        return preview
    if len(text.encode()) > MAX_BYTES or text.count("\n") > MAX_ROWS + 1:
        preview.problems.append(Problem(name, None, "-", f"tệp quá lớn: tối đa {MAX_ROWS} dòng; tệp lớn hơn "
                                                         "nhập bằng lệnh 'planner import'"))
        return preview
    scope = [u for u in _scope(session, actor) if within is None or u.is_within(within)]
    parents = {u.code: u for u in scope if u.kind is not UnitKind.VILLAGE}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_text(text, encoding="utf-8")
            records = load_units_csv(path, known_unit_codes=frozenset(parents))
    except LibraryError as exc:
        preview.problems.extend(exc.problems)
        return preview
    lines = _lines(text)
    villages = {(u.parent_id, u.code): u for u in scope if u.kind is UnitKind.VILLAGE}
    listed = {(parents[r.parent_code].id, r.code) for r in records if r.parent_code in parents}
    for rec in records:
        line = lines.get(rec.code)
        parent = parents.get(rec.parent_code)
        if rec.kind != UnitKind.VILLAGE.value:
            preview.problems.append(Problem(name, line, "kind", "tệp thôn chỉ nhận đơn vị loại 'village'"))
            continue
        if parent.kind is not UnitKind.COMMUNE:
            preview.problems.append(Problem(name, line, "parent_code", f"'{rec.parent_code}' không phải là một xã"))
            continue
        values = {k: getattr(rec, k) for k in OPTIONAL_FIELDS if hasattr(rec, k)}
        existing = villages.get((parent.id, rec.code))
        if existing is not None:
            changes = _changes(existing, rec)
            preview.rows.append(VillageRow(line, rec.code, rec.name, parent, "updated" if changes else "unchanged",
                                           existing, changes, values))
            continue
        moving = next((v for (pid, code), v in villages.items() if code == rec.code and pid != parent.id
                       and v.parent.code in {r.parent_code for r in records} and (pid, code) not in listed), None)
        if moving is None:
            preview.rows.append(VillageRow(line, rec.code, rec.name, parent, "created", values=values))
        elif not confirm_moves:
            preview.problems.append(Problem(name, line, "parent_code", (
                f"thôn '{rec.code}' ({moving.name}) đang thuộc {moving.parent.name}; tệp chuyển sang {parent.name}. "
                "Chọn 'Xác nhận chuyển thôn' nếu đúng là chuyển (lịch sử phát được giữ)")))
        else:
            preview.rows.append(VillageRow(line, rec.code, rec.name, parent, "moved", moving,
                                           [f"{moving.parent.name} → {parent.name}", *_changes(moving, rec)], values))
    preview.rows.sort(key=lambda r: r.line or 0)
    return preview


def import_villages(session: Session, actor: User | None, data: bytes | str, *, filename: str = "thon.csv",
                    confirm_moves: bool = False, within: Unit | None = None) -> VillagePreview:
    """Run the dry run again and, if it passes, write it; returns the preview (check `.ok`)."""
    preview = preview_villages(session, actor, data, filename=filename, confirm_moves=confirm_moves, within=within)
    if not preview.ok:
        return preview
    for row in preview.rows:
        if row.action == "created":
            unit = Unit(code=row.code, name=row.name, kind=UnitKind.VILLAGE, parent=row.parent, path="", duties="")
            _copy_optional(unit, row)
            session.add(unit)
            set_path(session, unit)
            add_loudspeaker(session, unit, DEFAULT_CLUSTER.format(unit_name=row.name))
            row.unit = unit
            record(session, user=actor, action="unit.create", entity=unit, to_state="village", via="csv")
        elif row.action in ("updated", "moved"):
            unit, old_parent = row.unit, row.unit.parent
            unit.name = row.name
            _copy_optional(unit, row)
            if row.action == "moved":
                unit.parent = row.parent
                set_path(session, unit)
                record(session, user=actor, action="unit.move", entity=unit, from_state=old_parent.code,
                       to_state=row.parent.code, via="csv")
    session.flush()
    return preview


def _scope(session: Session, actor: User | None) -> list[Unit]:
    units = session.scalars(select(Unit).order_by(Unit.path)).all()
    return [u for u in units if actor is None or manages_unit(actor, u)]


def _lines(text: str) -> dict[str, int]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    out: dict[str, int] = {}
    for row in reader:
        code = (row.get("code") or "").strip()
        out.setdefault(code, reader.line_num)
    return out


def _changes(unit: Unit, rec) -> list[str]:
    changes = [f"tên: {unit.name} → {rec.name}"] if unit.name != rec.name else []
    for key in OPTIONAL_FIELDS:
        if hasattr(rec, key) and hasattr(unit, key) and getattr(unit, key) != getattr(rec, key):
            changes.append(f"{key}: {getattr(unit, key)} → {getattr(rec, key)}")
    return changes


def _copy_optional(unit: Unit, row: VillageRow) -> None:
    for key, value in row.values.items():
        if hasattr(Unit, key):
            setattr(unit, key, value)
