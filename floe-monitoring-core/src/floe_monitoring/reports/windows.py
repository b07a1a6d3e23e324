"""Report windows, and which stored data answers each part of one.

Windows are in UTC and end-exclusive; a report never covers the future (``until`` is at
most ``now``):

- ``daily``, ``weekly`` (ISO weeks, from Monday) and ``monthly`` are calendar periods.
  Without ``since`` the report covers the period holding the instant just before
  ``until``, from its start to ``until``: the period so far, or, right at a boundary (a
  daily report at 00:00), the whole period that just ended. With ``since`` it covers the
  period holding ``since``, up to its end or ``until``, whichever is first.
- ``rolling-7d``, ``rolling-30d``, ``rolling-90d`` (any ``rolling-<N>d``, or just
  ``<N>d``) are the N days before ``until``; with ``since``, ``[since, until)``.

Reading a window (`plan_segments`): whole UTC days come from daily rollups, whole hours
at the edges of a partial day from hourly rollups, and only the partial hours at the two
ends from raw results. So a 90-day report reads about 90 daily rows, at most 46 hourly
rows and under two hours of raw results per check type.

Retention (`floe_monitoring.store.retention`) keeps raw results for days and hourly
rollups for about a week. A window edge older than what is left of a tier moves to the
start of its bucket in the next coarser one (`Coverage.snap`): past raw retention an edge
falls on the hour, past hourly retention on the day. The report states the window it
covered, so nothing is estimated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from floe_monitoring.reports.errors import ReportError
from floe_monitoring.store.rollups import bucket_floor

__all__ = [
    "ROLLING_DAYS",
    "Coverage",
    "ReportWindow",
    "Segment",
    "WindowKind",
    "day_ranges",
    "period_start",
    "plan_segments",
    "resolve_window",
]

#: The rolling windows the CLI offers (any number of days is accepted).
ROLLING_DAYS = (7, 30, 90)

_HOUR = timedelta(hours=1)
_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)
_ROLLING = re.compile(r"^(?:rolling[-_ ]?)?(\d{1,4})d$")


class WindowKind(StrEnum):
    """The kind of a report window."""

    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    ROLLING = "rolling"


@dataclass(frozen=True)
class ReportWindow:
    """A resolved window: ``[since, until)`` in UTC.

    Attributes:
        kind: Calendar period or rolling.
        since: Start (inclusive).
        until: End (exclusive).
        days: The N of a rolling window, else None.

    """

    kind: WindowKind
    since: datetime
    until: datetime
    days: int | None = None

    @property
    def label(self) -> str:
        """``daily``, ``weekly``, ``monthly`` or ``rolling-<N>d``."""
        return f"rolling-{self.days}d" if self.kind is WindowKind.ROLLING else self.kind.value


def period_start(kind: WindowKind, moment: datetime) -> datetime:
    """The start of the calendar period of `kind` holding `moment`."""
    day = bucket_floor(moment, "day")
    if kind is WindowKind.DAILY:
        return day
    if kind is WindowKind.WEEKLY:
        return day - timedelta(days=day.weekday())
    if kind is WindowKind.MONTHLY:
        return day.replace(day=1)
    raise ValueError(f"{kind} is not a calendar period")


def _period_end(kind: WindowKind, start: datetime) -> datetime:
    if kind is WindowKind.DAILY:
        return start + _DAY
    if kind is WindowKind.WEEKLY:
        return start + 7 * _DAY
    return (start.replace(day=28) + 4 * _DAY).replace(day=1)


def resolve_window(
    window: str,
    *,
    now: datetime,
    since: datetime | None = None,
    until: datetime | None = None,
) -> ReportWindow:
    """Resolve a window name and optional bounds to ``[since, until)`` (rules above).

    Raises:
        ReportError: Unknown window name, naive datetimes, or an empty window.

    """
    for name, value in (("now", now), ("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise ReportError(f"{name} must be timezone-aware")
    end = now if until is None else min(until, now)
    name = window.strip().lower()
    rolling = _ROLLING.match(name)
    if rolling:
        days = int(rolling.group(1))
        if days < 1:
            raise ReportError("a rolling window needs at least one day")
        start = end - days * _DAY if since is None else since
        resolved = ReportWindow(WindowKind.ROLLING, start, end, days)
    else:
        try:
            kind = WindowKind(name)
        except ValueError:
            raise ReportError(
                f"unknown window '{window}': use daily, weekly, monthly or rolling-<N>d"
            ) from None
        if kind is WindowKind.ROLLING:
            raise ReportError("say how many days: rolling-7d, rolling-30d or rolling-90d")
        start = period_start(kind, end - _TICK if since is None else since)
        resolved = ReportWindow(kind, start, min(end, _period_end(kind, start)))
    if resolved.since >= resolved.until:
        raise ReportError(
            f"empty window: {resolved.since.isoformat()} is not before {resolved.until.isoformat()}"
        )
    return resolved


@dataclass(frozen=True)
class Coverage:
    """Where each stored tier still holds every record (see the module docstring).

    Attributes:
        raw_from: An edge whose hour starts before this has raw results missing (the
            raw prune mark plus the longest time a result holds); None: all kept.
        hourly_from: An edge whose hour starts before this has no hourly rollups left
            (the hourly prune mark, a day boundary); None: all kept.
    """

    raw_from: datetime | None = None
    hourly_from: datetime | None = None

    def snap(self, moment: datetime) -> datetime:
        """`moment`, or the start of its hour or day when finer data is gone."""
        hour = bucket_floor(moment, "hour")
        if self.hourly_from is not None and hour < self.hourly_from:
            return bucket_floor(moment, "day")
        if self.raw_from is not None and hour < self.raw_from:
            return hour
        return moment

    def window(self, since: datetime, until: datetime) -> tuple[datetime, datetime]:
        """``(snap(since), snap(until))``."""
        return self.snap(since), self.snap(until)


@dataclass(frozen=True)
class Segment:
    """A part of a window and where its figures come from."""

    source: Literal["raw", "hour", "day"]
    start: datetime
    end: datetime


def _ceil(moment: datetime, granularity: str) -> datetime:
    floor = bucket_floor(moment, granularity)
    return floor if floor == moment else floor + (_HOUR if granularity == "hour" else _DAY)


def plan_segments(since: datetime, until: datetime) -> list[Segment]:
    """Cover ``[since, until)`` with the coarsest whole buckets, raw results at the ends."""
    if since >= until:
        return []
    first_hour, last_hour = _ceil(since, "hour"), bucket_floor(until, "hour")
    if first_hour >= last_hour:
        return [Segment("raw", since, until)]
    segments: list[Segment] = []
    if since < first_hour:
        segments.append(Segment("raw", since, first_hour))
    first_day, last_day = _ceil(first_hour, "day"), bucket_floor(last_hour, "day")
    if first_day >= last_day:
        segments.append(Segment("hour", first_hour, last_hour))
    else:
        if first_hour < first_day:
            segments.append(Segment("hour", first_hour, first_day))
        segments.append(Segment("day", first_day, last_day))
        if last_day < last_hour:
            segments.append(Segment("hour", last_day, last_hour))
    if last_hour < until:
        segments.append(Segment("raw", last_hour, until))
    return segments


def day_ranges(since: datetime, until: datetime) -> list[tuple[datetime, datetime, datetime]]:
    """(UTC day, start, end) of each day touching ``[since, until)``, clipped to it."""
    ranges: list[tuple[datetime, datetime, datetime]] = []
    day = bucket_floor(since, "day")
    while day < until:
        ranges.append((day, max(day, since), min(day + _DAY, until)))
        day += _DAY
    return ranges
