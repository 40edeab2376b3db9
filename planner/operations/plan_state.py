"""What a plan's life cycle and a message's retirement forbid: one place every write path asks."""
from __future__ import annotations

from planner.models import Message, Plan, PlanStatus
from planner.models.plans import PLAN_STATUS_LABELS


def read_only_reason(plan: Plan, action: str) -> str | None:
    """Why `action` is refused on a closed or archived plan (read-only everywhere), else None."""
    if plan.is_read_only:
        return f"Kế hoạch đã ở trạng thái “{PLAN_STATUS_LABELS[plan.status]}” (chỉ xem): không thể {action}."
    return None


def not_active_reason(plan: Plan, action: str) -> str | None:
    """Why `action` is refused unless the plan is active: a draft is never scheduled or sent."""
    if plan.status is PlanStatus.DRAFT:
        return f"Kế hoạch còn là dự thảo: hãy chuyển sang “Đang thực hiện” trước khi {action}."
    return read_only_reason(plan, action)


def message_locked_reason(message: Message, action: str) -> str | None:
    """Why `action` is refused on a retired message or a message of a read-only plan, else None."""
    if message.retired_at is not None:
        return f"Tin đã ngừng dùng: không thể {action}."
    return read_only_reason(message.plan, action)
