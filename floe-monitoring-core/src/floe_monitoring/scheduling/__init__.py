"""Scheduling: when each check runs.

One schedule per check key on a deterministic grid (or a cron subset), coalesced
misfires, no overlap per key, a global concurrency limit, and an injectable clock so
tests drive hours of schedule in milliseconds. See `Scheduler` for the rules.
"""

from floe_monitoring.scheduling.clock import ManualClock, MonitorClock, SystemClock
from floe_monitoring.scheduling.cron import CronSchedule, parse_cron
from floe_monitoring.scheduling.grid import EPOCH, Grid, phase_offset
from floe_monitoring.scheduling.scheduler import (
    LagCallback,
    OverrunCallback,
    RunCallable,
    Scheduler,
    SchedulerStats,
)
from floe_monitoring.scheduling.spec import (
    DEFAULT_INTERVALS,
    FALLBACK_INTERVAL,
    ScheduleSpec,
    Timetable,
    default_interval,
)

__all__ = [
    "DEFAULT_INTERVALS",
    "EPOCH",
    "FALLBACK_INTERVAL",
    "CronSchedule",
    "Grid",
    "LagCallback",
    "ManualClock",
    "MonitorClock",
    "OverrunCallback",
    "RunCallable",
    "ScheduleSpec",
    "Scheduler",
    "SchedulerStats",
    "SystemClock",
    "Timetable",
    "default_interval",
    "parse_cron",
    "phase_offset",
]
