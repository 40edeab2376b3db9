"""Per-page backoff when a platform says "rate-limited": the page gets no request until it has waited.

A rate-limited answer means nothing was published, so the delivery goes back to due; the page's
`backoff_until` keeps the worker away from it (claims skip it, and its other claims in the same
batch go back unsent). The wait doubles with each consecutive rate-limit (`backoff_level`), from
DISPATCH_BACKOFF_SECONDS up to DISPATCH_BACKOFF_MAX_SECONDS, and the platform's own estimate
(Retry-After, Facebook's usage headers) wins when longer. A success resets the level. An app-wide
limit (Graph codes 4 and 17) makes every target of that channel wait.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import update
from sqlalchemy.orm import Session

from planner import localtime
from planner.models import Target

log = logging.getLogger(__name__)


def backoff_seconds(level: int, retry_after: float | None, *, base: float, cap: float) -> float:
    """How long a target waits after its `level`-th consecutive rate-limit (0 = first)."""
    grown = min(cap, base * (2 ** min(level, 30)))
    return max(grown, min(float(retry_after or 0), 24 * 3600.0))


class Backoffs:
    """What one dispatch batch learns about rate limits, written once at the end (`save`)."""

    def __init__(self, settings: dict, now: dt.datetime):
        self.base = float(settings.get("DISPATCH_BACKOFF_SECONDS", 60))
        self.cap = float(settings.get("DISPATCH_BACKOFF_MAX_SECONDS", 3600))
        self.now = now
        self.targets: dict[int, tuple[dt.datetime, int]] = {}   # target id → (until, new level)
        self.channels: dict[str, tuple[dt.datetime, int]] = {}  # channel → (until, new level)
        self.recovered: set[int] = set()
        self.rate_limited = 0
        self.reasons: dict[object, str] = {}    # target id or channel → what people are told

    def is_waiting(self, row) -> bool:
        """True when this row's page (or its whole channel) was rate-limited earlier in the batch."""
        return row.target_id in self.targets or row.channel in self.channels

    def note(self, row, outcome: dict) -> None:
        """Remember a rate-limit (start or grow the wait, and say so in the outcome's error) or a success."""
        exc = outcome.get("rate_limited")
        if exc is None:
            if outcome["outcome"] == "delivered" and row.backoff_level:
                self.recovered.add(row.target_id)
            return
        self.rate_limited += 1
        level = row.backoff_level or 0
        until = self.now + dt.timedelta(seconds=backoff_seconds(level, exc.retry_after, base=self.base, cap=self.cap))
        key = row.channel if exc.scope == "channel" else row.target_id
        (self.channels if exc.scope == "channel" else self.targets)[key] = (until, level + 1)
        self.reasons[key] = (f"{exc.message} Chưa đăng; trang tạm ngừng nhận bài đến "
                             f"{localtime.to_local(until):%H:%M %d/%m/%Y}, sau đó hệ thống tự gửi.")
        if outcome["outcome"] == "retry":
            outcome["error"] = self.reasons[key]
        log.warning("%s target %s rate-limited (%s): no requests until %s", row.channel, row.target_id,
                    exc.code, until.isoformat())

    def waiting_groups(self, rows: list) -> dict[str, list]:
        """Rows skipped because their page waits, grouped by the explanation people will see."""
        groups: dict[str, list] = {}
        for row in rows:
            reason = self.reasons.get(row.target_id) or self.reasons.get(row.channel, "")
            groups.setdefault(reason, []).append(row)
        return groups

    def save(self, session: Session) -> None:
        """Write the waits and resets, and commit."""
        for target_id, (until, level) in self.targets.items():
            session.execute(update(Target).where(Target.id == target_id)
                            .values(backoff_until=until, backoff_level=level))
        for channel, (until, level) in self.channels.items():
            session.execute(update(Target).where(Target.channel == channel)
                            .values(backoff_until=until, backoff_level=level))
        recovered = self.recovered - set(self.targets)
        if recovered:
            session.execute(update(Target).where(Target.id.in_(recovered))
                            .values(backoff_until=None, backoff_level=0))
        if self.targets or self.channels or recovered:
            session.commit()
