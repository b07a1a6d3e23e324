"""`ScheduleSpec` and the default intervals per check type."""

from __future__ import annotations

from datetime import timedelta

import pytest

from floe_monitoring.checks import CheckType
from floe_monitoring.errors import ConfigError
from floe_monitoring.scheduling import (
    DEFAULT_INTERVALS,
    FALLBACK_INTERVAL,
    CronSchedule,
    Grid,
    ScheduleSpec,
    default_interval,
    phase_offset,
)

KEY = "urn:x:freshness:orders.updated_at"


def test_default_intervals_are_the_specifications() -> None:
    assert dict(DEFAULT_INTERVALS) == {
        "freshness": timedelta(minutes=15),
        "schema_drift": timedelta(minutes=60),
        "quality": timedelta(minutes=360),
        "availability": timedelta(minutes=5),
    }
    with pytest.raises(TypeError):
        DEFAULT_INTERVALS["freshness"] = timedelta(0)  # type: ignore[index]


def test_default_interval_accepts_check_types_and_falls_back() -> None:
    assert default_interval(CheckType.FRESHNESS) == timedelta(minutes=15)
    assert default_interval("availability") == timedelta(minutes=5)
    assert timedelta(minutes=60) == FALLBACK_INTERVAL
    for check_type in (CheckType.RETENTION, CheckType.FREQUENCY, CheckType.LIFECYCLE):
        assert default_interval(check_type) == FALLBACK_INTERVAL
    assert set(DEFAULT_INTERVALS) <= {check_type.value for check_type in CheckType}


def test_for_check_uses_the_default_unless_told() -> None:
    assert ScheduleSpec.for_check(KEY, CheckType.QUALITY).interval == timedelta(hours=6)
    spec = ScheduleSpec.for_check(KEY, "freshness", interval=timedelta(minutes=2))
    assert spec.interval == timedelta(minutes=2)
    assert ScheduleSpec.for_check(KEY, "freshness", cron="@daily").cron == "@daily"


def test_offset_is_derived_from_the_key_unless_given() -> None:
    spec = ScheduleSpec(KEY, timedelta(minutes=15))
    assert spec.phase is None
    assert spec.offset == phase_offset(KEY, timedelta(minutes=15))
    assert ScheduleSpec(KEY, timedelta(minutes=15), timedelta(minutes=3)).offset == timedelta(
        minutes=3
    )


def test_timetable_is_the_grid_or_the_cron_schedule() -> None:
    grid = ScheduleSpec(KEY, timedelta(minutes=15), timedelta(0)).timetable()
    assert grid == Grid(timedelta(minutes=15), timedelta(0))
    cron = ScheduleSpec(KEY, timedelta(minutes=15), cron="0 */6 * * *").timetable()
    assert isinstance(cron, CronSchedule)
    assert cron.hours == frozenset({0, 6, 12, 18})


def test_specs_are_values() -> None:
    assert ScheduleSpec(KEY, timedelta(minutes=5)) == ScheduleSpec(KEY, timedelta(minutes=5))
    assert len({ScheduleSpec(KEY, timedelta(minutes=5)), ScheduleSpec(KEY, timedelta(5))}) == 2


@pytest.mark.parametrize(
    ("key", "interval", "phase", "cron", "message"),
    [
        ("", timedelta(minutes=5), None, None, "empty"),
        (KEY, timedelta(0), None, None, "positive"),
        (KEY, timedelta(minutes=-5), None, None, "positive"),
        (KEY, timedelta(minutes=5), timedelta(minutes=5), None, "phase"),
        (KEY, timedelta(minutes=5), timedelta(seconds=-1), None, "phase"),
        (KEY, timedelta(minutes=5), None, "every six hours", "5 fields"),
    ],
)
def test_invalid_specs_are_config_errors(
    key: str, interval: timedelta, phase: timedelta | None, cron: str | None, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        ScheduleSpec(key, interval, phase, cron)
