"""A stored plan as library documents (plan.yaml, messages, the units they name, its windows and holiday
exemptions): export, copy, round trip."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from planner.library import REPORT_HEADER_KEYS
from planner.library_schedules import format_weekdays
from planner.library_writer import vn_date, write_bundle
from planner.library_checks import YEARLY_ANCHOR
from planner.models import Message, MessageVersion, Plan, Unit, VersionStatus, Window, WindowExemption
from planner.models.content import ALL_WEEKDAYS
from planner.public_fields import format_post_at

# details keys that are copies of top-level plan fields (the importer adds them back).
_TOP_LEVEL_COPIES = ("audiences", "themes", "channels", "notes")
_INDICATOR_DATES = ("from", "deadline")


def plan_document(plan: Plan) -> dict:
    """The plan as the dict a plan.yaml holds (keys in the library's order, dates dd/mm/yyyy)."""
    details = {k: v for k, v in (plan.details or {}).items() if k not in _TOP_LEVEL_COPIES}
    if "indicators" in details:
        details["indicators"] = [_indicator_document(item) for item in details["indicators"]]
    doc = {"code": plan.code, "number": plan.number, "issuer": plan.issuer, "unit": plan.unit.code,
           "place": plan.place, "issued_on": vn_date(plan.issued_on)}
    if (plan.details or {}).get("notes"):
        doc["notes"] = plan.details["notes"]
    doc |= {"title": plan.title, "summary": plan.summary, "starts_on": vn_date(plan.starts_on),
            "ends_on": vn_date(plan.ends_on), "period_rule": plan.period_rule.value,
            "replan_missed": plan.is_replanning_missed, "status": plan.status.value,
            **{key: getattr(plan, key) for key in REPORT_HEADER_KEYS},
            "audiences": [{"code": a.code, "name": a.name} for a in plan.audiences],
            "themes": list((plan.details or {}).get("themes") or []),
            "channels": list((plan.details or {}).get("channels") or []), "details": details}
    return {k: v for k, v in doc.items() if v not in (None, "", [])}


def _indicator_document(item: dict) -> dict:
    """A stored indicator (ISO dates, every key) as written in plan.yaml (dd/mm/yyyy, only what is set)."""
    out = {}
    for key, value in item.items():
        if key in _INDICATOR_DATES:
            value = vn_date(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if value not in (None, ""):
            out[key] = value
    return out


def message_document(message: Message) -> tuple[dict, str]:
    """(front matter, body) of a message's latest version; approved only if that version is approved."""
    version = message.latest
    front = {"code": message.code, "title": version.title}
    if version.headline:
        front["headline"] = version.headline
    front["audiences"] = [a.code for a in version.audiences] or [message.audience.code]
    front["channel"] = version.channel or message.channel
    optional = {"theme": message.theme, "priority": message.priority.value if message.priority.value != "normal" else None,
                "valid_from": vn_date(version.valid_from), "valid_to": vn_date(version.valid_to),
                "weekdays": format_weekdays(version.weekdays) if version.weekdays != ALL_WEEKDAYS else None,
                "post_at": format_post_at(version.post_times) or None, "link": version.link,
                "min_per_week": message.min_per_week, "peak_per_day": message.peak_per_day,
                "min_gap_hours": message.min_gap_hours, "audio_seconds": version.audio_seconds}
    front |= {k: v for k, v in optional.items() if v not in (None, "", 0)}
    front["status"] = "approved" if version.status is VersionStatus.APPROVED else "draft"
    if message.retired_at is not None:
        front["retired"] = True
    return front, version.body_md


def plan_messages(session: Session, plan: Plan) -> list[Message]:
    return list(session.scalars(select(Message).where(Message.plan_id == plan.id).order_by(Message.code)
                                .options(selectinload(Message.versions).selectinload(MessageVersion.audiences))))


def bundle_units(session: Session, plan: Plan) -> list[Unit]:
    """The units the plan names (its owner, duties, deadlines, reporting) and their ancestors, parents first."""
    details = plan.details or {}
    codes = {plan.unit.code}
    for key in ("duties", "deadlines", "reporting"):
        for item in details.get(key) or []:
            codes |= {item.get(k) for k in ("unit", "via") if item.get(k)}
    units = {u.code: u for u in session.scalars(select(Unit).where(Unit.code.in_(codes)))}
    chain: dict[str, Unit] = {}
    for unit in units.values():
        node = unit
        while node is not None and node.code not in chain:
            chain[node.code] = node
            node = node.parent
    return sorted(chain.values(), key=lambda u: (u.path.count("/"), u.path))


def unit_documents(units: list[Unit]) -> list[dict]:
    """units.yaml entries for `units`."""
    return [{k: v for k, v in {"code": u.code, "name": u.name, "kind": u.kind.value,
                               "parent": u.parent.code if u.parent else None, "duties": u.duties,
                               "households": u.households, "population": u.population}.items()
             if v not in (None, "")} for u in units]


def window_document(window: Window) -> dict:
    """A window as a windows.yaml entry (dd/mm for a yearly window stored in the anchor year)."""
    short = window.is_yearly and window.starts_on.year == window.ends_on.year == YEARLY_ANCHOR

    def day(value):
        return value.strftime("%d/%m") if short else vn_date(value)

    doc = {"code": window.code, "name": window.name, "kind": window.kind.value,
           "starts_on": day(window.starts_on), "ends_on": day(window.ends_on)}
    if window.is_yearly:
        doc["yearly"] = True
    if window.channels:
        doc["channels"] = list(window.channels)
    if window.plan is not None:
        doc["plan"] = window.plan.code
    if window.unit is not None:
        doc["unit"] = window.unit.code
    return doc


def windows_document(session: Session, plan: Plan, units: list[Unit]) -> dict | None:
    """windows.yaml for the bundle: the plan's own windows, those of the units it names, and the automatic
    holidays it is exempt from with the exemptions (so the bundle stands alone on an empty database)."""
    own = session.scalars(select(Window).where(Window.plan_id == plan.id).order_by(Window.code)).all()
    of_units = session.scalars(select(Window).where(Window.unit_id.in_([u.id for u in units]))
                               .order_by(Window.code)).all() if units else []
    exempt = session.scalars(select(Window).join(WindowExemption, WindowExemption.window_id == Window.id)
                             .where(WindowExemption.plan_id == plan.id).order_by(Window.code)).all()
    if not (own or of_units or exempt):
        return None
    doc: dict = {"windows": [window_document(w) for w in [*own, *of_units, *exempt]]}
    if exempt:
        doc["exemptions"] = [{"plan": plan.code, "holiday": w.code} for w in exempt]
    return doc


def export_plan(session: Session, plan: Plan, root: Path) -> Path:
    """Write the plan as a library bundle under `root` (units.yaml, plans/<code>/, schedules/windows.yaml);
    returns the plan folder."""
    messages = [message_document(m) for m in plan_messages(session, plan) if m.versions]
    units = bundle_units(session, plan)
    return write_bundle(Path(root), plan=plan_document(plan), messages=messages, units=unit_documents(units),
                        windows=windows_document(session, plan, units))


def export_zip(session: Session, plan: Plan) -> bytes:
    """The plan's bundle as a ZIP (the folder `planner export` writes, for a download)."""
    import io
    import tempfile
    import zipfile

    buffer = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        export_plan(session, plan, Path(tmp))
        for path in sorted(Path(tmp).rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(tmp).as_posix())
    return buffer.getvalue()
