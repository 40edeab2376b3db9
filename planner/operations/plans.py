"""Plans as users run them: create (blank or as a copy), edit, life cycle, delete or archive, retire messages."""
from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from planner.library import LibraryError, load_library
from planner.library_checks import Fields, Report
from planner.library_writer import shift_dates, write_bundle
from planner.models import (Message, MessageVersion, Occurrence, Plan, PlanStatus, PrintOrder, Report as ReportRow,
                            User)
from planner.models.plans import PLAN_STATUS_LABELS
from planner.operations.audit import record
from planner.operations.importing import existing_unit_codes, import_library, import_plan_record
from planner.operations.plan_state import message_locked_reason, read_only_reason
from planner.operations.plan_export import message_document, plan_document, plan_messages

FORM_FILE = "biểu mẫu"
# Allowed life-cycle moves; a plan never goes back to draft once it has run.
TRANSITIONS = {
    PlanStatus.DRAFT: {PlanStatus.ACTIVE},
    PlanStatus.ACTIVE: {PlanStatus.CLOSED},
    PlanStatus.CLOSED: {PlanStatus.ACTIVE, PlanStatus.ARCHIVED},
    PlanStatus.ARCHIVED: {PlanStatus.CLOSED},
}


class PlanError(ValueError):
    """A plan action refused, with a Vietnamese message; `fields` names bad fields (field → message)."""

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.fields = fields or {}


def require_open(plan: Plan, action: str) -> None:
    """Refuse `action` on a closed or archived plan (read-only everywhere)."""
    reason = read_only_reason(plan, action)
    if reason:
        raise PlanError(reason)


def require_message_open(message: Message, action: str) -> None:
    """Refuse `action` on a retired message or a message of a read-only plan."""
    reason = message_locked_reason(message, action)
    if reason:
        raise PlanError(reason)


def check_plan_document(session: Session, doc: dict) -> object:
    """The library's own plan checks over a plan.yaml-shaped dict: the PlanRecord, or PlanError per field."""
    from planner.library import _plan

    report = Report()
    rec = _plan(Fields(report, FORM_FILE, doc), doc.get("code") or "", {})
    report.resolve_units(existing_unit_codes(session))
    if report.problems:
        fields: dict[str, str] = {}
        for p in report.problems:
            fields.setdefault(p.field, p.reason)
        raise PlanError("Kế hoạch chưa hợp lệ: " + "; ".join(f"{k}: {v}" for k, v in fields.items()), fields)
    return rec


def save_plan(session: Session, user: User, doc: dict, *, plan: Plan | None = None,
              status: PlanStatus = PlanStatus.DRAFT) -> Plan:
    """Create a plan (as a draft) or update `plan` from a plan.yaml-shaped dict; nothing is written if it is bad."""
    # The life cycle moves only through set_status: a form or document never changes it.
    if plan is not None:
        require_open(plan, "sửa kế hoạch")
        doc = doc | {"code": plan.code, "status": plan.status.value}
    elif session.scalar(select(Plan.id).where(Plan.code == (doc.get("code") or ""))):
        raise PlanError("Mã kế hoạch đã được dùng.", {"code": f"mã '{doc.get('code')}' đã có kế hoạch khác dùng"})
    else:
        doc = doc | {"status": status.value}
    rec = check_plan_document(session, doc)
    if plan is not None:
        _drop_removed(session, plan, rec)
    saved = import_plan_record(session, rec)
    session.flush()
    record(session, user=user, action="plan.update" if plan else "plan.create", entity=saved,
           to_state=saved.status.value, code=saved.code)
    session.flush()
    return saved


def _drop_removed(session: Session, plan: Plan, rec) -> None:
    """Audience groups and indicators taken off the plan go, unless messages or results still use them."""
    from planner.models.content import version_audiences
    from planner.models.indicators import Indicator, IndicatorResult

    keep = {a.code for a in rec.audiences}
    errors = {}
    for group in [a for a in plan.audiences if a.code not in keep]:
        used = session.scalar(select(func.count()).select_from(version_audiences)
                              .where(version_audiences.c.audience_id == group.id)) or \
            session.scalar(select(func.count()).select_from(Message).where(Message.audience_id == group.id))
        if used:
            errors["audiences"] = f"nhóm đối tượng '{group.code}' đang có tin bài nên không bỏ được"
        else:
            plan.audiences.remove(group)
    codes = {item["code"] for item in rec.details.get("indicators") or []}
    for indicator in session.scalars(select(Indicator).where(Indicator.plan_id == plan.id)):
        if indicator.code in codes:
            continue
        if session.scalar(select(func.count()).select_from(IndicatorResult)
                          .where(IndicatorResult.indicator_id == indicator.id)):
            errors["details.indicators"] = f"chỉ tiêu '{indicator.code}' đã có số liệu nên không bỏ được"
        else:
            session.delete(indicator)
    if errors:
        raise PlanError("Kế hoạch chưa hợp lệ: " + "; ".join(errors.values()), errors)
    session.flush()


def set_status(session: Session, plan: Plan, user: User, status: PlanStatus) -> None:
    """Move a plan along its life cycle (draft → active → closed ⇄ archived)."""
    if status not in TRANSITIONS[plan.status]:
        raise PlanError(f"Không thể chuyển kế hoạch từ “{plan.status_label}” sang “{PLAN_STATUS_LABELS[status]}”.")
    old = plan.status
    plan.status = status
    record(session, user=user, action="plan.status", entity=plan, from_state=old, to_state=status)
    session.flush()


def has_history(session: Session, plan: Plan) -> bool:
    """True when the plan has scheduled deliveries, print orders or reports: it may only be archived."""
    versions = select(MessageVersion.id).join(Message).where(Message.plan_id == plan.id)
    counts = (select(func.count()).select_from(Occurrence).where(Occurrence.plan_id == plan.id),
              select(func.count()).select_from(PrintOrder).where(PrintOrder.message_version_id.in_(versions)),
              select(func.count()).select_from(ReportRow).where(ReportRow.plan_id == plan.id))
    return any(session.scalar(q) for q in counts)


def delete_plan(session: Session, plan: Plan, user: User) -> None:
    """Delete a plan that never ran; one with deliveries, print orders or reports is refused (archive it)."""
    if has_history(session, plan):
        raise PlanError("Kế hoạch đã có lượt phát/đăng, đơn in hoặc báo cáo nên không xóa được. "
                        "Hãy kết thúc rồi lưu trữ kế hoạch.")
    record(session, user=user, action="plan.delete", entity=plan, from_state=plan.status, code=plan.code)
    # Messages first (their versions go with them): they point at the plan's audience groups.
    session.execute(delete(Message).where(Message.plan_id == plan.id).execution_options(synchronize_session=False))
    session.delete(plan)
    session.flush()


def retire_message(session: Session, message: Message, user: User, *, now: dt.datetime) -> None:
    """Retire a message: kept in history and reports, never scheduled, placed or sent again."""
    require_message_open(message, "ngừng dùng tin")
    message.retired_at = now
    record(session, user=user, action="message.retire", entity=message, to_state="retired")
    session.flush()


def copy_plan(session: Session, source: Plan, user: User, *, code: str, starts_on: dt.date,
              now: dt.datetime) -> Plan:
    """A new draft plan copied from `source`: everything in its plan file and its messages (as drafts), plus
    its own peak/blackout windows, with every date moved by the difference between the old and new start."""
    days = (starts_on - source.starts_on).days
    if session.scalar(select(Plan.id).where(Plan.code == code)):
        raise PlanError("Mã kế hoạch đã được dùng.", {"code": f"mã '{code}' đã có kế hoạch khác dùng"})
    doc = shift_dates(plan_document(source), days) | {"code": code, "status": PlanStatus.DRAFT.value}
    messages = []
    for message in plan_messages(session, source):
        if message.versions and message.retired_at is None:
            front, body = message_document(message)
            messages.append((shift_dates(front, days) | {"status": "draft"}, body))
    with tempfile.TemporaryDirectory() as tmp:
        write_bundle(Path(tmp), plan=doc, messages=messages, units=[])
        try:
            lib = load_library(Path(tmp), known_unit_codes=existing_unit_codes(session))
        except LibraryError as exc:
            raise PlanError(f"Không sao chép được: {exc}", {"code": str(exc)}) from None
    import_library(session, lib, now=now)
    plan = session.scalars(select(Plan).where(Plan.code == code)).one()
    _copy_windows(session, source, plan, days)
    _copy_exemptions(session, source, plan, days)
    record(session, user=user, action="plan.copy", entity=plan, to_state=plan.status, source=source.code,
           shift_days=days)
    session.flush()
    return plan


def _copy_windows(session: Session, source: Plan, plan: Plan, days: int) -> None:
    from planner.models import Window

    shift = dt.timedelta(days=0 if days is None else days)
    for w in source.windows:
        moved = shift if not w.is_yearly else dt.timedelta(0)
        session.add(Window(plan_id=plan.id, code=f"{plan.code}-{w.code}"[:100], name=w.name, kind=w.kind,
                           starts_on=w.starts_on + moved, ends_on=w.ends_on + moved, is_yearly=w.is_yearly,
                           channels=list(w.channels or [])))


def _copy_exemptions(session: Session, source: Plan, plan: Plan, days: int) -> None:
    """The copy is exempt from the automatic holidays its source was exempt from, moved by the same shift:
    the holiday on the shifted date, else the same-named holiday nearest to it (lunar holidays move)."""
    from planner.models import Window, WindowExemption
    from planner.operations.windows import HOLIDAY_PREFIX

    exempt = session.scalars(select(Window).join(WindowExemption, WindowExemption.window_id == Window.id)
                             .where(WindowExemption.plan_id == source.id)).all()
    automatic = select(Window).where(Window.plan_id.is_(None), Window.unit_id.is_(None),
                                     Window.code.startswith(HOLIDAY_PREFIX))
    chosen: set[int] = set()
    for w in exempt:
        day = w.starts_on + dt.timedelta(days=days)
        match = session.scalars(automatic.where(Window.starts_on <= day, Window.ends_on >= day)).first()
        if match is None:
            near = session.scalars(automatic.where(Window.name == w.name,
                                                   Window.starts_on.between(day - dt.timedelta(days=45),
                                                                            day + dt.timedelta(days=45)))).all()
            match = min(near, key=lambda n: abs((n.starts_on - day).days), default=None)
        if match is not None and match.id not in chosen:
            chosen.add(match.id)
            session.add(WindowExemption(plan_id=plan.id, window_id=match.id))
    session.flush()
