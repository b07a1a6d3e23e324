"""The scheduling facade is its public API: nothing more, nothing less."""

from __future__ import annotations

import inspect

import floe_monitoring.scheduling as scheduling

INTENDED = {
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
}


def test_all_is_exactly_the_intended_api() -> None:
    assert set(scheduling.__all__) == INTENDED
    assert len(scheduling.__all__) == len(INTENDED)


def test_every_public_class_and_function_is_documented() -> None:
    documented = [
        getattr(scheduling, name)
        for name in INTENDED
        if inspect.isclass(getattr(scheduling, name))
        or inspect.isfunction(getattr(scheduling, name))
    ]
    assert len(documented) >= 10
    assert all(value.__doc__ for value in documented)
    assert scheduling.__doc__
