"""What to schedule: `ScheduleSpec`, the default intervals per check type, `Timetable`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Protocol

from floe_monitoring.errors import ConfigError
from floe_monitoring.scheduling.cron import parse_cron
from floe_monitoring.scheduling.grid import Grid, phase_offset

__all__ = [
    "DEFAULT_INTERVALS",
    "FALLBACK_INTERVAL",
    "ScheduleSpec",
    "Timetable",
    "default_interval",
]

#: The specification's interval per check type (keys are `CheckType` values).
DEFAULT_INTERVALS: Mapping[str, timedelta] = MappingProxyType(
    {
        "freshness": timedelta(minutes=15),
        "schema_drift": timedelta(minutes=60),
        "quality": timedelta(minutes=360),
        "availability": timedelta(minutes=5),
    }
)

#: The interval of check types without a default of their own (retention, frequency, …).
FALLBACK_INTERVAL = timedelta(minutes=60)


def default_interval(check_type: str) -> timedelta:
    """The default interval of a check type (a `CheckType` or its string value)."""
    return DEFAULT_INTERVALS.get(str(check_type), FALLBACK_INTERVAL)


class Timetable(Protocol):
    """The run slots of one schedule (a `Grid` or a `CronSchedule`)."""

    def first_at_or_after(self, when: datetime) -> datetime:
        """The first slot not before `when`."""
        ...

    def latest_at_or_before(self, when: datetime) -> datetime:
        """The last slot not after `when`."""
        ...

    def after(self, when: datetime) -> datetime:
        """The first slot strictly after `when`."""
        ...


@dataclass(frozen=True)
class ScheduleSpec:
    """When one check (one contract, check type and element) runs.

    Attributes:
        key: Identity of the check, ``<contract id>:<check type>:<element or *>``.
        interval: Time between runs; ignored when `cron` is given.
        phase: Offset of the runs from the epoch, in ``[0, interval)``; None (the
            default) derives it from the key (`phase_offset`).
        cron: An explicit cron schedule (UTC, see `parse_cron`) that replaces the grid.

    Raises:
        ConfigError: If the key is empty, the interval not positive, the phase outside
            ``[0, interval)`` or the cron expression invalid.

    """

    key: str
    interval: timedelta
    phase: timedelta | None = None
    cron: str | None = None

    def __post_init__(self) -> None:
        if not self.key:
            raise ConfigError("schedule key must not be empty")
        if self.interval <= timedelta(0):
            raise ConfigError(f"schedule {self.key!r}: interval must be positive")
        if self.phase is not None and not timedelta(0) <= self.phase < self.interval:
            raise ConfigError(f"schedule {self.key!r}: phase must be in [0, interval)")
        if self.cron is not None:
            parse_cron(self.cron)

    @classmethod
    def for_check(
        cls,
        key: str,
        check_type: str,
        *,
        interval: timedelta | None = None,
        cron: str | None = None,
    ) -> ScheduleSpec:
        """A spec with the check type's default interval unless `interval` is given."""
        chosen = default_interval(check_type) if interval is None else interval
        return cls(key, chosen, cron=cron)

    @property
    def offset(self) -> timedelta:
        """The phase in effect: the explicit one or the key's derived one."""
        return self.phase if self.phase is not None else phase_offset(self.key, self.interval)

    def timetable(self) -> Timetable:
        """The slots this spec runs at: its cron schedule, or its interval grid."""
        if self.cron is not None:
            return parse_cron(self.cron)
        return Grid(self.interval, self.offset)
