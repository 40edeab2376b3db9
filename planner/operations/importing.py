"""Importing content_library/ and schedules/ records into the database (idempotent upserts by code)."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from planner.models import (AudienceGroup, Message, MessageVersion, PeriodRule, Plan, PlanStatus, Priority,
                            SlotGrid, Target, Unit, UnitKind, VersionStatus, Window, WindowExemption,
                            WindowKind)
from planner.library import REPORT_HEADER_KEYS
from planner.models.indicators import Indicator
from planner.operations.indicators import indicator_values


@dataclass
class ImportSummary:
    """What an import changed, counted per kind ('unit.created', 'message.updated', …)."""

    counts: Counter = field(default_factory=Counter)

    def add(self, kind: str, created: bool | None) -> None:
        if created is not None:
            self.counts[f"{kind}.{'created' if created else 'updated'}"] += 1

    @property
    def changed(self) -> int:
        return sum(self.counts.values())

    def lines(self) -> list[str]:
        lines = [f"{k}: {v}" for k, v in sorted(self.counts.items())] or ["không có thay đổi"]
        if self.counts.get("message.retired"):
            lines.append(f"Đã ngừng dùng {self.counts['message.retired']} tin không còn tệp trong thư viện "
                         "(vẫn giữ trong lịch sử và báo cáo, không lên lịch nữa).")
        return lines


def existing_unit_codes(session: Session) -> frozenset[str]:
    """Codes of units already in the database (references in a partial library may point at them)."""
    return frozenset(session.scalars(select(Unit.code)))


def import_library(session: Session, lib, *, now: dt.datetime) -> ImportSummary:
    """Upsert everything in a validated Library; a second run with the same files changes nothing."""
    _check_exemptions(session, lib)    # before anything is written
    summary = ImportSummary()
    units = _import_units(session, lib.units, summary)
    plans = {p.code: _import_plan(session, p, units, summary) for p in lib.plans}
    plans |= {p.code: p for p in session.scalars(select(Plan)) if p.code not in plans}
    for rec in lib.messages:
        _import_message(session, rec, plans[rec.plan_code], now, summary)
    _retire_missing(session, lib, plans, now, summary)
    targets = _import_targets(session, lib, units, summary)
    for rec in lib.grids:
        _import_grid(session, rec, units, targets, summary)
    for rec in lib.windows:
        _import_window(session, rec, plans, units, summary)
    session.flush()
    for rec in lib.exemptions:
        _import_exemption(session, rec, plans, summary)
    session.flush()
    return summary


def _set(obj, **values) -> bool:
    """Assign changed attributes; True if anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _upsert(session: Session, model, key: dict, values: dict) -> tuple[object, bool | None]:
    """Find by `key` or create; returns (obj, True created / False updated / None unchanged)."""
    obj = session.scalars(select(model).filter_by(**key)).first()
    if obj is None:
        obj = model(**key, **values)
        session.add(obj)
        return obj, True
    return obj, (False if _set(obj, **values) else None)


def _import_units(session: Session, records, summary: ImportSummary) -> dict[str, Unit]:
    # Village codes repeat across communes: a village is found by (parent, code), every other unit by code.
    existing = list(session.scalars(select(Unit).order_by(Unit.path)))
    units = {u.code: u for u in existing if u.kind is not UnitKind.VILLAGE}
    villages = {(u.parent, u.code): u for u in existing if u.kind is UnitKind.VILLAGE}
    for u in existing:
        units.setdefault(u.code, u)
    for rec in records:
        parent = units.get(rec.parent_code) if rec.parent_code else None
        values = {"name": rec.name, "kind": UnitKind(rec.kind), "parent": parent, "duties": rec.duties or "",
                  "households": rec.households, "population": rec.population}
        if rec.kind == UnitKind.VILLAGE.value and parent is not None:
            unit, state = _upsert_village(session, villages, parent, rec.code, values)
            units.setdefault(rec.code, unit)
        else:
            unit, state = _upsert(session, Unit, {"code": rec.code}, values)
            units[rec.code] = unit
        summary.add("unit", state)
    session.flush()
    for unit in {*units.values(), *villages.values()}:
        path = _path_of(unit)
        if unit.path != path:
            unit.path = path
    return units


def _upsert_village(session: Session, villages: dict, parent: Unit, code: str, values: dict):
    unit = villages.get((parent, code))
    if unit is None:
        unit = Unit(code=code, **values)
        session.add(unit)
        villages[(parent, code)] = unit
        return unit, True
    return unit, (False if _set(unit, **values) else None)


def _path_of(unit: Unit) -> str:
    chain = []
    node = unit
    while node is not None:
        chain.append(f"{node.id:08d}")  # zero-padded so paths sort in id order
        node = node.parent
    return "/" + "/".join(reversed(chain)) + "/"


def import_plan_record(session: Session, rec, *, summary: ImportSummary | None = None) -> Plan:
    """Create or update one plan from a checked PlanRecord (the plan form and copies come through here)."""
    units = {u.code: u for u in session.scalars(select(Unit))}
    return _import_plan(session, rec, units, summary or ImportSummary())


def _retire_missing(session: Session, lib, plans: dict[str, Plan], now: dt.datetime, summary: ImportSummary) -> None:
    """Retire the messages of each imported plan whose file is no longer in the library (kept in history)."""
    present = {(rec.plan_code, rec.code) for rec in lib.messages}
    for rec in lib.plans:
        plan = plans[rec.code]
        for message in session.scalars(select(Message).where(Message.plan_id == plan.id,
                                                              Message.retired_at.is_(None))):
            if (rec.code, message.code) not in present:
                message.retired_at = now
                summary.counts["message.retired"] += 1


def _import_plan(session: Session, rec, units: dict[str, Unit], summary: ImportSummary) -> Plan:
    values = dict(number=rec.number, issuer=rec.issuer, unit=units[rec.unit_code], place=rec.place,
                  issued_on=rec.issued_on, title=rec.title, summary=rec.summary, starts_on=rec.starts_on,
                  ends_on=rec.ends_on, period_rule=PeriodRule(rec.period_rule),
                  is_replanning_missed=rec.replan_missed, details=rec.details,
                  **{key: getattr(rec, key) for key in REPORT_HEADER_KEYS})
    if rec.status is not None:    # a file without `status` leaves a plan's life cycle as the app set it
        values["status"] = PlanStatus(rec.status)
    plan, state = _upsert(session, Plan, {"code": rec.code}, values)
    summary.add("plan", state)
    session.flush()
    for position, aud in enumerate(rec.audiences):
        _, a_state = _upsert(session, AudienceGroup, {"plan_id": plan.id, "code": aud.code},
                             {"name": aud.name, "position": position})
        summary.add("audience", a_state)
    for position, item in enumerate(rec.details.get("indicators") or []):
        _, i_state = _upsert(session, Indicator, {"plan_id": plan.id, "code": item["code"]},
                             indicator_values(item, position))
        summary.add("indicator", i_state)
    session.flush()
    return plan


def _import_message(session: Session, rec, plan: Plan, now: dt.datetime, summary: ImportSummary) -> None:
    by_code = {a.code: a for a in session.scalars(select(AudienceGroup).filter_by(plan_id=plan.id))}
    audiences = [by_code[code] for code in rec.audience_codes]
    values = dict(audience_id=audiences[0].id, channel=rec.channel, theme=rec.theme or "",
                  priority=Priority(rec.priority), valid_from=rec.valid_from, valid_to=rec.valid_to,
                  min_per_week=rec.min_per_week, peak_per_day=rec.peak_per_day, min_gap_hours=rec.min_gap_hours)
    message, state = _upsert(session, Message, {"plan_id": plan.id, "code": rec.code}, values)
    if rec.retired != (message.retired_at is not None):    # a file says whether it is retired
        message.retired_at = now if rec.retired else None
        state = state if state is not None else False
    session.flush()
    status = VersionStatus(rec.status)
    latest = message.versions[-1] if message.versions else None
    public = dict(title=rec.title, body_md=rec.body_md, audio_seconds=rec.audio_seconds, headline=rec.headline,
                  link=rec.link, channel=rec.channel, valid_from=rec.valid_from, valid_to=rec.valid_to,
                  weekdays=rec.weekdays, post_at=[t.isoformat() for t in rec.post_at])
    # Anything public that differs from the latest version makes a new version (a file that says
    # status: approved was approved by whoever committed it; otherwise it waits for approval).
    same = latest is not None and all(getattr(latest, k) == v for k, v in public.items()) and \
        [a.id for a in latest.audiences] == [a.id for a in audiences]
    if not same:
        number = latest.number + 1 if latest else 1
        version = MessageVersion(message=message, number=number, status=status, created_at=now, **public)
        version.audiences = audiences
        if status is VersionStatus.APPROVED:
            version.submitted_at = version.reviewed_at = now
            version.review_note = f"Nhập từ thư viện nội dung ({rec.source})"
        session.add(version)
        state = state if state is not None else False
    summary.add("message", state)


def _import_targets(session: Session, lib, units: dict[str, Unit], summary: ImportSummary) -> dict[str, Target]:
    targets: dict[str, Target] = {}
    for rec in lib.targets:
        target, state = _upsert(session, Target, {"code": rec.code},
                                {"unit_id": units[rec.unit_code].id, "channel": rec.channel, "name": rec.name,
                                 "external_id": rec.external_id})
        targets[rec.code] = target
        summary.add("target", state)
    if lib.loudspeaker_per_village:
        _import_village_loudspeakers(session, lib.loudspeaker_name_pattern, summary)
    session.flush()
    targets |= {t.code: t for t in session.scalars(select(Target)) if t.code not in targets}
    return targets


def _import_village_loudspeakers(session: Session, pattern: str, summary: ImportSummary) -> None:
    """Every village gets its loudspeaker cluster; a cluster already there is kept (renamed to the pattern)."""
    from planner.operations.units import add_loudspeaker

    have = {t.unit_id: t for t in session.scalars(select(Target).where(Target.channel == "loudspeaker")
                                                  .order_by(Target.id.desc()))}
    for unit in session.scalars(select(Unit).where(Unit.kind == UnitKind.VILLAGE).order_by(Unit.id)):
        name = pattern.format(unit_name=unit.name)
        target = have.get(unit.id)
        if target is None:
            add_loudspeaker(session, unit, name)
            summary.add("target", True)
        elif target.code == f"loa-{unit.code}":
            summary.add("target", False if _set(target, name=name) else None)


def _import_grid(session: Session, rec, units, targets, summary: ImportSummary) -> None:
    values = dict(name=rec.name, channel=rec.channel,
                  unit_id=units[rec.unit_code].id if rec.unit_code else None,
                  target_id=targets[rec.target_code].id if rec.target_code else None,
                  weekdays=rec.weekdays, start_time=rec.start, end_time=rec.end,
                  capacity_seconds=rec.capacity_seconds, valid_from=rec.valid_from, valid_to=rec.valid_to)
    _, state = _upsert(session, SlotGrid, {"code": rec.code}, values)
    summary.add("grid", state)


def _import_window(session: Session, rec, plans: dict[str, Plan], units, summary: ImportSummary) -> None:
    values = dict(name=rec.name, kind=WindowKind(rec.kind), starts_on=rec.starts_on, ends_on=rec.ends_on,
                  is_yearly=rec.is_yearly, channels=list(rec.channels),
                  plan_id=plans[rec.plan_code].id if rec.plan_code else None,
                  unit_id=units[rec.unit_code].id if rec.unit_code else None)
    _, state = _upsert(session, Window, {"code": rec.code}, values)
    summary.add("window", state)


def _automatic_holidays(session: Session, codes: set[str]) -> set[str]:
    """Which of `codes` are automatic holidays in the database (plan-less, unit-less blackouts)."""
    return set(session.scalars(select(Window.code).where(Window.code.in_(codes), Window.plan_id.is_(None),
                                                         Window.unit_id.is_(None),
                                                         Window.kind == WindowKind.BLACKOUT))) if codes else set()


def _check_exemptions(session: Session, lib) -> None:
    """Every exempted holiday is an automatic holiday of the library or of the database; else LibraryError."""
    from planner.library import LibraryError, Problem
    from planner.library_schedules import is_automatic_holiday

    in_files = {w.code: w for w in lib.windows}
    wanted = {e.window_code for e in lib.exemptions if e.window_code not in in_files}
    known = _automatic_holidays(session, wanted)
    problems = [Problem(e.file, e.line, "holiday", f"không có ngày nghỉ lễ tự động mã '{e.window_code}' "
                                                   "(trong tệp hay trong cơ sở dữ liệu)")
                for e in lib.exemptions
                if not (is_automatic_holiday(in_files[e.window_code]) if e.window_code in in_files
                        else e.window_code in known)]
    if problems:
        raise LibraryError(problems)


def _import_exemption(session: Session, rec, plans: dict[str, Plan], summary: ImportSummary) -> None:
    """Add the plan's exemption from the holiday if it is not there (an import never removes one)."""
    plan = plans[rec.plan_code]
    window_id = session.scalar(select(Window.id).where(Window.code == rec.window_code))
    if session.scalar(select(WindowExemption.id).where(WindowExemption.plan_id == plan.id,
                                                       WindowExemption.window_id == window_id)) is None:
        session.add(WindowExemption(plan_id=plan.id, window_id=window_id))
        summary.add("exemption", True)


def import_paths(session: Session, paths: list, *, now: dt.datetime, confirm_moves: bool = False) -> ImportSummary:
    """Import what the paths hold: a content library folder, a schedules folder, or a villages CSV.

    Everything is loaded and validated first (raising LibraryError with every problem); only then is
    anything written, so a bad file leaves the database unchanged.
    """
    from pathlib import Path

    from planner.library import LibraryError, load_library
    from planner.operations.villages import import_villages

    known = existing_unit_codes(session)
    content = [Path(p) for p in paths if Path(p).is_dir() and not _is_schedules(Path(p))]
    schedules = [Path(p) for p in paths if Path(p).is_dir() and _is_schedules(Path(p))]
    csvs = [Path(p) for p in paths if Path(p).is_file() and str(p).endswith(".csv")]
    if content and not schedules and _is_schedules(content[0] / "schedules"):
        schedules = [content[0] / "schedules"]    # a bundle from `planner export` carries its own windows
    summary = ImportSummary()
    if content or schedules:
        lib = load_library(content[0] if content else schedules[0].parent / "__none__",
                           schedules[0] if schedules else None, known_unit_codes=known,
                           known_plan_codes=frozenset(session.scalars(select(Plan.code))))
        summary = import_library(session, lib, now=now)
    for csv_path in csvs:  # the same checks as the upload page: villages by (commune, code), moves confirmed
        result = import_villages(session, None, Path(csv_path).read_bytes(), filename=Path(csv_path).name,
                                 confirm_moves=confirm_moves)
        if not result.ok:
            raise LibraryError(result.problems)
        for action in ("created", "updated", "moved"):
            if result.count(action):
                summary.counts[f"unit.{action}"] += result.count(action)
    return summary


def _is_schedules(path) -> bool:
    return any((path / name).exists() for name in ("grids.yaml", "windows.yaml", "targets.yaml"))
