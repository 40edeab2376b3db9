"""Pure scheduling core: slot grids and windows → sessions → placements (no Flask, no database).

Rules of build_schedule: only sessions starting after `now`, inside [start, end] (local dates,
Asia/Ho_Chi_Minh) and off blackout dates are used; fixed items are never moved but use capacity,
count towards frequency and constrain separation; per target, ISO week and message the weekly
target is ceil(min_per_week × available days / 7) (available = in range, valid, not blackout);
on peak days peak_per_day per day; emergency before priority before normal, then round-robin
(every message's 1st placement before anyone's 2nd, audiences rotating weekly), then the least
loaded session near the ideal day, alternating morning and afternoon. Never twice in one
session, at least min_gap_hours between session starts of one message at one target.
"""
from planner.scheduling.calendar import SessionTable, expand_sessions, holiday_spans, holiday_windows, \
    resolve_grids, window_dates
from planner.scheduling.duration import estimate_duration, message_duration
from planner.scheduling.emergency import EmergencyResult, insert_emergency, replace_missed
from planner.scheduling.engine import build_schedule
from planner.scheduling.result import ScheduleResult
from planner.scheduling.specs import FixedItem, GridSpec, MessageSpec, Placement, ScheduleInputError, \
    ScheduleIssue, TargetSpec, WindowSpec

__all__ = [
    "FixedItem", "GridSpec", "MessageSpec", "Placement", "ScheduleInputError", "ScheduleIssue",
    "EmergencyResult", "ScheduleResult", "SessionTable", "TargetSpec", "WindowSpec", "build_schedule",
    "estimate_duration", "expand_sessions", "holiday_spans", "holiday_windows", "insert_emergency",
    "message_duration", "replace_missed", "resolve_grids", "window_dates",
]
