"""Exact posting times during a generation: online messages' `post_at` become pinned occurrences."""
from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from planner import localtime, scheduling
from planner.models import Delivery, DeliveryStatus, Occurrence, OccurrenceSource, Plan


def plan_exact_posts(specs, target_ids, windows, fixed, start: dt.date, end: dt.date, *, channel: str,
                     now: dt.datetime, settings: dict, duration_s: int) -> tuple[list, list]:
    """(pinned items to add, exception-report issues) for the messages' exact posting times."""
    from planner.channels import get_channel

    if not get_channel(channel).is_online or not any(s.post_at for s in specs):
        return [], []
    return scheduling.exact_posts(specs, target_ids, windows, fixed, start, end, now=now,
                                  min_lead_s=settings["FACEBOOK_MIN_LEAD_SECONDS"],
                                  max_lead_days=settings["FACEBOOK_MAX_LEAD_DAYS"], duration_s=duration_s)


def store_exact_posts(session: Session, plan: Plan, posts: list, channel: str, now: dt.datetime) -> int:
    """Pinned occurrences (regeneration keeps them) with planned deliveries due at the exact time."""
    for item in posts:
        occ = Occurrence(plan_id=plan.id, message_version_id=item.message_id, target_id=item.target_id,
                         session_starts_at=item.session_start, starts_at=item.session_start,
                         duration_seconds=item.duration_s, is_pinned=True, source=OccurrenceSource.AUTO,
                         reason=f"Đăng đúng giờ ghi trong tin bài: {localtime.fmt_datetime(item.session_start)}.",
                         created_at=now)
        session.add(occ)
        session.flush()
        session.add(Delivery(occurrence_id=occ.id, channel=channel, due_at=item.session_start,
                             status=DeliveryStatus.PLANNED))
    session.flush()
    return len(posts)
