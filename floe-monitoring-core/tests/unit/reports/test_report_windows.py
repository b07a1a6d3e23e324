from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from floe_monitoring.reports import ReportError, WindowKind, resolve_window
from floe_monitoring.reports.windows import day_ranges, period_start, plan_segments

NOW = datetime(2026, 3, 18, 10, 30, tzinfo=UTC)  # a Wednesday
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def test_calendar_windows_cover_the_period_so_far() -> None:
    daily = resolve_window("daily", now=NOW)
    weekly = resolve_window("weekly", now=NOW)
    monthly = resolve_window("Monthly", now=NOW)
    assert (daily.since, daily.until) == (datetime(2026, 3, 18, tzinfo=UTC), NOW)
    assert weekly.since == datetime(2026, 3, 16, tzinfo=UTC)  # Monday
    assert monthly.since == datetime(2026, 3, 1, tzinfo=UTC)
    assert (daily.kind, weekly.label, monthly.days) == (WindowKind.DAILY, "weekly", None)


def test_at_a_boundary_the_period_that_just_ended_is_reported() -> None:
    midnight = datetime(2026, 3, 1, tzinfo=UTC)
    daily = resolve_window("daily", now=midnight)
    monthly = resolve_window("monthly", now=midnight)
    assert (daily.since, daily.until) == (midnight - DAY, midnight)
    assert (monthly.since, monthly.until) == (datetime(2026, 2, 1, tzinfo=UTC), midnight)


def test_since_selects_a_past_period_and_until_never_passes_now() -> None:
    february = resolve_window("monthly", now=NOW, since=datetime(2026, 2, 10, 7, tzinfo=UTC))
    assert (february.since, february.until) == (
        datetime(2026, 2, 1, tzinfo=UTC),
        datetime(2026, 3, 1, tzinfo=UTC),
    )
    december = resolve_window("monthly", now=NOW, since=datetime(2025, 12, 31, tzinfo=UTC))
    assert december.until == datetime(2026, 1, 1, tzinfo=UTC)
    future = resolve_window("daily", now=NOW, until=NOW + 5 * DAY)
    assert future.until == NOW


@pytest.mark.parametrize(("name", "days"), [("rolling-7d", 7), ("30d", 30), ("rolling_90d", 90)])
def test_rolling_windows_end_at_until(name: str, days: int) -> None:
    window = resolve_window(name, now=NOW, until=NOW - HOUR)
    assert (window.since, window.until) == (NOW - HOUR - days * DAY, NOW - HOUR)
    assert window.label == f"rolling-{days}d"
    custom = resolve_window(name, now=NOW, since=NOW - 2 * DAY)
    assert custom.since == NOW - 2 * DAY


@pytest.mark.parametrize("name", ["hourly", "rolling", "0d", "rolling-x"])
def test_unknown_windows_are_one_clear_error(name: str) -> None:
    with pytest.raises(ReportError):
        resolve_window(name, now=NOW)


def test_empty_and_naive_windows_are_refused() -> None:
    with pytest.raises(ReportError, match="empty window"):
        resolve_window("rolling-7d", now=NOW, since=NOW + HOUR)
    with pytest.raises(ReportError, match="timezone-aware"):
        resolve_window("daily", now=NOW.replace(tzinfo=None))


def test_period_start_refuses_rolling() -> None:
    with pytest.raises(ValueError, match="calendar"):
        period_start(WindowKind.ROLLING, NOW)


def test_a_long_window_reads_days_hours_and_two_raw_edges() -> None:
    since = datetime(2026, 3, 1, 7, 20, tzinfo=UTC)
    until = datetime(2026, 3, 5, 3, 10, tzinfo=UTC)
    plan = [(s.source, s.start, s.end) for s in plan_segments(since, until)]
    assert plan == [
        ("raw", since, datetime(2026, 3, 1, 8, tzinfo=UTC)),
        ("hour", datetime(2026, 3, 1, 8, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)),
        ("day", datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 5, tzinfo=UTC)),
        ("hour", datetime(2026, 3, 5, tzinfo=UTC), datetime(2026, 3, 5, 3, tzinfo=UTC)),
        ("raw", datetime(2026, 3, 5, 3, tzinfo=UTC), until),
    ]


def test_short_windows_are_read_raw_or_by_the_hour() -> None:
    inside_an_hour = plan_segments(NOW, NOW + timedelta(minutes=20))
    assert [s.source for s in inside_an_hour] == ["raw"]
    aligned = plan_segments(
        datetime(2026, 3, 1, 8, tzinfo=UTC), datetime(2026, 3, 1, 11, tzinfo=UTC)
    )
    assert [s.source for s in aligned] == ["hour"]
    assert plan_segments(NOW, NOW) == []


instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
)


@given(instants, st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=100)))
@example(datetime(2025, 1, 1, 0, 0, 0, 1, tzinfo=UTC), HOUR)  # no whole hour inside
def test_segments_tile_the_window_with_raw_only_at_the_ends(
    since: datetime, length: timedelta
) -> None:
    until = since + length
    segments = plan_segments(since, until)
    assert segments[0].start == since
    assert segments[-1].end == until
    for before, after in itertools.pairwise(segments):
        assert before.end == after.start
    for index, segment in enumerate(segments):
        assert segment.start < segment.end
        if segment.source == "raw":
            assert index in (0, len(segments) - 1)
            # A window holding no whole hour is read raw: under two hours of results.
            assert segment.end - segment.start < (HOUR if len(segments) > 1 else 2 * HOUR)
    assert sum(s.source == "raw" for s in segments) <= 2


def test_day_ranges_clip_the_first_and_last_day() -> None:
    ranges = day_ranges(NOW - DAY, NOW)
    assert ranges == [
        (datetime(2026, 3, 17, tzinfo=UTC), NOW - DAY, datetime(2026, 3, 18, tzinfo=UTC)),
        (datetime(2026, 3, 18, tzinfo=UTC), datetime(2026, 3, 18, tzinfo=UTC), NOW),
    ]
