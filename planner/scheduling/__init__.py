"""Pure scheduling core: slot grids and windows → sessions → placements (no Flask, no database).

Rules of build_schedule: only sessions starting after `now`, inside [start, end] (local dates,
Asia/Ho_Chi_Minh) and off blackout dates are used; fixed items are never moved but use capacity,
count towards frequency and constrain separation; per target, ISO week and message the weekly
target is ceil(min_per_week × available days / 7) (available = in range, valid, not blackout);
on peak days the target airs, peak_per_day per day; emergency before priority before normal,
peak days before weekly targets, then round-robin (every message's 1st placement before anyone's
2nd, audiences rotating weekly), then the session with the fewest copies that day and the least
load near the ideal day, alternating morning and afternoon. Never twice in one session, at least
min_gap_hours between session starts of one message version at one target. Nothing beyond the
targets is placed. Targets with the same grids, messages and relevant fixed items share one
placement; `ScheduleResult.columns()` is the bulk form, `placements` is built lazily.
Incremental regeneration = call again for the chosen targets or dates, passing what stays as
FixedItem. Repairs on an existing schedule live in `emergency`.
"""
from planner.scheduling.calendar import SessionTable, expand_sessions, holiday_spans, holiday_windows, \
    resolve_grids, window_dates
from planner.scheduling.duration import estimate_duration, message_duration
from planner.scheduling.emergency import EmergencyResult, insert_emergency, replace_missed
from planner.scheduling.engine import build_schedule
from planner.scheduling.posts import exact_posts
from planner.scheduling.result import ScheduleResult
from planner.scheduling.specs import FixedItem, GridSpec, MessageSpec, Placement, ScheduleInputError, \
    ScheduleIssue, TargetSpec, WindowSpec

__all__ = [
    "FixedItem", "GridSpec", "MessageSpec", "Placement", "ScheduleInputError", "ScheduleIssue",
    "EmergencyResult", "ScheduleResult", "SessionTable", "TargetSpec", "WindowSpec", "build_schedule",
    "estimate_duration", "expand_sessions", "holiday_spans", "holiday_windows", "insert_emergency",
    "exact_posts", "message_duration", "replace_missed", "resolve_grids", "window_dates",
]
