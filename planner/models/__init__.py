"""Typed SQLAlchemy models, one module per area; imported here so metadata is complete."""
from planner.models.audit import AuditEntry
from planner.models.concurrency import GenerationLock, IdempotencyKey
from planner.models.counts import ActivityCount, ActivityRollup, CountPause
from planner.models.content import Message, MessageImage, MessageVersion, Priority, VersionStatus
from planner.models.indicators import (DueItem, Indicator, IndicatorResult, IndicatorRollup, Level, Measure,
                                       ResultSource)
from planner.models.delivery import ConfirmedVia, Delivery, DeliveryStatus
from planner.models.notifications import Notification, OutboxMail
from planner.models.org import ApiToken, LoginAttempt, Role, Unit, UnitKind, User
from planner.models.plans import AudienceGroup, PeriodRule, Plan, PlanStatus, Window, WindowExemption, WindowKind
from planner.models.printing import PrintDistribution, PrintOrder, PrintStatus
from planner.models.reports import Report, ReportKind, ReportPurpose, ReportStatus
from planner.models.rosters import BatchStatus, RosterBatch
from planner.models.security import FeedKey, LoginThrottle, UserSession
from planner.models.schedule import (Occurrence, OccurrenceSource, PlacementReason, RunStatus, ScheduleRun,
                                     SlotGrid, Target, WorkerHeartbeat)

__all__ = [
    "ActivityCount", "ActivityRollup", "ApiToken", "CountPause", "AudienceGroup", "AuditEntry", "BatchStatus", "ConfirmedVia", "Delivery", "DeliveryStatus", "DueItem", "FeedKey",
    "GenerationLock", "IdempotencyKey", "Indicator", "IndicatorResult", "IndicatorRollup", "Level", "LoginThrottle", "Measure",
    "ResultSource", "UserSession", "PlacementReason",
    "LoginAttempt", "Message", "MessageImage", "MessageVersion", "Notification", "OutboxMail", "Occurrence", "OccurrenceSource", "PeriodRule",
    "Plan", "PlanStatus", "PrintDistribution", "PrintOrder", "PrintStatus", "Priority", "Report", "ReportKind", "ReportPurpose", "ReportStatus", "Role", "RosterBatch",
    "RunStatus", "ScheduleRun", "SlotGrid", "Target", "Unit", "UnitKind", "User", "VersionStatus", "Window",
    "WindowExemption", "WindowKind",
    "WorkerHeartbeat",
]
