"""Silences and maintenance windows: times when checks run but nothing is sent.

A `Silence` is an operator's ad-hoc mute (from the CLI), scoped by contract, violation
type and channel. A `MaintenanceWindow` is planned downtime of contracts, one-off or
recurring in a local timezone; besides muting alerts it excludes the time from SLA
compliance, which is why `in_maintenance` exists on its own for the engine.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from floe_monitoring.routing._match import (
    DurationField,
    accept_alias,
    any_glob,
    matches_contract,
    require_utc,
)
from floe_monitoring.sdk.enums import ViolationType
from floe_monitoring.sdk.event import ContractViolationEvent, utc_datetime

__all__ = [
    "MaintenanceWindow",
    "Recurrence",
    "Silence",
    "Weekday",
    "find_maintenance",
    "in_maintenance",
]

#: A recurring window longer than a week would overlap its own next occurrence.
MAX_RECURRING_DURATION = timedelta(days=7)


class Silence(BaseModel):
    """Mute matching notifications between `starts_at` (inclusive) and `ends_at` (exclusive).

    An empty `violation_types` or `channels` list means "any". Globs are case-sensitive;
    contract globs are tried on the contract's name and its id. ``check_types`` is
    accepted as another name for ``violation_types``.

    Example:
        >>> Silence(contracts=["orders"], channels=["pagerduty"],
        ...         starts_at="2026-01-31T09:00:00Z", ends_at="2026-01-31T12:00:00Z",
        ...         created_by="alice", comment="backfill running")  # doctest: +ELLIPSIS
        Silence(id=...)

    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(default_factory=lambda: uuid.uuid4().hex, min_length=1)
    contracts: tuple[str, ...] = Field(min_length=1)
    violation_types: tuple[ViolationType, ...] = ()
    channels: tuple[str, ...] = ()
    starts_at: utc_datetime
    ends_at: utc_datetime
    created_by: str = Field(min_length=1)
    comment: str = Field(min_length=1)
    """Why: a silence nobody can explain later is a silence nobody dares to remove."""

    @model_validator(mode="before")
    @classmethod
    def _check_types_alias(cls, data: Any) -> Any:
        return accept_alias(data, "check_types", "violation_types")

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self

    def is_active(self, now: datetime) -> bool:
        """True at `now` (timezone-aware)."""
        now = require_utc(now)
        return self.starts_at <= now < self.ends_at

    def matches(self, event: ContractViolationEvent, channel: str) -> bool:
        """True when the silence covers `event` on `channel` (time aside)."""
        if not matches_contract(self.contracts, event.contract_name, event.contract_id):
            return False
        if self.violation_types and event.violation_type not in self.violation_types:
            return False
        return not self.channels or any_glob(self.channels, channel)


class Weekday(StrEnum):
    """A day of the week, written ``mon`` to ``sun`` (full English names are accepted)."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @classmethod
    def of(cls, day: date) -> Weekday:
        """The weekday of a calendar date."""
        return _WEEK[day.weekday()]


_WEEK = tuple(Weekday)


_FULL_NAMES = {
    "monday": "mon",
    "tuesday": "tue",
    "wednesday": "wed",
    "thursday": "thu",
    "friday": "fri",
    "saturday": "sat",
    "sunday": "sun",
}


def _weekday(value: Any) -> Any:
    # "Monday", "MON" and "mon" all mean Weekday.MON; anything else fails validation.
    if isinstance(value, str):
        text = value.strip().lower()
        return _FULL_NAMES.get(text, text)
    return value


class Recurrence(BaseModel):
    """A window that repeats on some weekdays at a local wall-clock time.

    `start` is wall-clock time in `timezone`, so "02:00 Europe/Berlin" stays 02:00 local
    through daylight-saving changes (its UTC instant moves by an hour). `duration` is
    elapsed time. On the day clocks spring forward, a start inside the skipped hour
    begins at the same instant as the transition's end (02:30 becomes 03:30 local, as
    `zoneinfo` reads a non-existent time); on the day they fall back, an ambiguous start
    is its first occurrence.

    Example:
        >>> Recurrence(days=["sat", "sun"], start="02:00", duration="2h",
        ...            timezone="Europe/Berlin").duration
        datetime.timedelta(seconds=7200)

    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    days: tuple[Annotated[Weekday, BeforeValidator(_weekday)], ...] = Field(
        default=tuple(Weekday), min_length=1
    )
    start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    """Local start time, ``HH:MM`` (24-hour clock)."""
    duration: DurationField = Field(gt=timedelta(0), le=MAX_RECURRING_DURATION)
    timezone: str
    """An IANA timezone name such as ``Europe/Berlin`` (``UTC`` works too)."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone '{value}'") from None
        return value

    @property
    def start_time(self) -> time:
        """`start` as a `datetime.time`."""
        hours, minutes = self.start.split(":")
        return time(int(hours), int(minutes))

    def occurrence_on(self, day: date) -> tuple[datetime, datetime] | None:
        """The window starting on local date `day` as UTC (start, end), or None."""
        if Weekday.of(day) not in self.days:
            return None
        local = datetime.combine(day, self.start_time, tzinfo=ZoneInfo(self.timezone))
        # Converting before adding makes `duration` elapsed time; aware arithmetic in the
        # local zone would add wall-clock time and be an hour off across a DST change.
        begins = local.astimezone(UTC)
        return begins, begins + self.duration

    def is_active(self, now: datetime) -> bool:
        """True when `now` (timezone-aware) falls in one of the occurrences."""
        now = require_utc(now)
        today = now.astimezone(ZoneInfo(self.timezone)).date()
        # An occurrence that began up to `duration` (plus a day of slack for the start
        # time and DST) before today may still be running.
        for back in range(self.duration.days + 2):
            span = self.occurrence_on(today - timedelta(days=back))
            if span is not None and span[0] <= now < span[1]:
                return True
        return False


class MaintenanceWindow(BaseModel):
    """Planned downtime of some contracts: either one-off or recurring.

    One-off windows give `starts_at` and `ends_at` (start inclusive, end exclusive);
    recurring ones give `recurring`. Contract globs are tried on name and id.

    Example:
        >>> MaintenanceWindow(name="nightly-load", contracts=["orders*"],
        ...                   recurring={"days": ["sun"], "start": "02:00",
        ...                              "duration": "PT2H", "timezone": "Europe/Berlin"})
        ... # doctest: +ELLIPSIS
        MaintenanceWindow(name='nightly-load', ...)

    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)
    contracts: tuple[str, ...] = Field(min_length=1)
    starts_at: utc_datetime | None = None
    ends_at: utc_datetime | None = None
    recurring: Recurrence | None = None
    comment: str = ""

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        one_off = self.starts_at is not None or self.ends_at is not None
        if one_off == (self.recurring is not None):
            raise ValueError("give either starts_at and ends_at, or recurring (not both)")
        if one_off:
            if self.starts_at is None or self.ends_at is None:
                raise ValueError("a one-off window needs both starts_at and ends_at")
            if self.ends_at <= self.starts_at:
                raise ValueError("ends_at must be after starts_at")
        return self

    def covers(self, contract_name: str, contract_id: str | None = None) -> bool:
        """True when the window applies to the contract (time aside)."""
        return matches_contract(self.contracts, contract_name, contract_id)

    def is_active(self, now: datetime) -> bool:
        """True at `now` (timezone-aware)."""
        now = require_utc(now)
        if self.recurring is not None:
            return self.recurring.is_active(now)
        # The validator guarantees both bounds for a one-off window.
        assert self.starts_at is not None
        assert self.ends_at is not None
        return self.starts_at <= now < self.ends_at


def find_maintenance(
    windows: Iterable[MaintenanceWindow],
    *,
    contract_name: str,
    contract_id: str | None = None,
    now: datetime,
) -> MaintenanceWindow | None:
    """The first window active at `now` that covers the contract, or None."""
    for window in windows:
        if window.covers(contract_name, contract_id) and window.is_active(now):
            return window
    return None


def in_maintenance(
    windows: Iterable[MaintenanceWindow],
    *,
    contract_name: str,
    contract_id: str | None = None,
    now: datetime,
) -> bool:
    """True when the contract is in a maintenance window at `now`.

    The engine marks results stored at such times as excluded from SLA compliance;
    the checks themselves still run and are stored.
    """
    found = find_maintenance(windows, contract_name=contract_name, contract_id=contract_id, now=now)
    return found is not None
