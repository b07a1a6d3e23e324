"""The five-field cron subset, in UTC."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from floe_monitoring.errors import ConfigError
from floe_monitoring.scheduling import CronSchedule, parse_cron

T0 = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday


def at(day: int, hour: int = 0, minute: int = 0, *, month: int = 1, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def chain(schedule: CronSchedule, start: datetime, count: int) -> list[datetime]:
    found = [schedule.first_at_or_after(start)]
    while len(found) < count:
        found.append(schedule.after(found[-1]))
    return found


def test_every_six_hours() -> None:
    schedule = parse_cron("0 */6 * * *")
    assert chain(schedule, T0 + timedelta(minutes=1), 4) == [
        at(5, 6),
        at(5, 12),
        at(5, 18),
        at(6, 0),
    ]
    assert schedule.first_at_or_after(T0) == T0
    assert schedule.after(T0) == at(5, 6)
    assert schedule.latest_at_or_before(at(5, 13, 30)) == at(5, 12)
    assert schedule.latest_at_or_before(at(5, 12)) == at(5, 12)


def test_seconds_round_to_the_next_minute() -> None:
    schedule = parse_cron("* * * * *")
    assert schedule.first_at_or_after(T0 + timedelta(seconds=1)) == at(5, 0, 1)
    assert schedule.latest_at_or_before(T0 + timedelta(seconds=59)) == T0
    assert schedule.after(T0 + timedelta(microseconds=1)) == at(5, 0, 1)


def test_lists_ranges_and_steps() -> None:
    schedule = parse_cron("5,10-12,30-59/15 * * * *")
    assert schedule.minutes == (5, 10, 11, 12, 30, 45)
    assert parse_cron("10/20 * * * *").minutes == (10, 30, 50)
    assert parse_cron("0 9-17/4 * * *").hours == frozenset({9, 13, 17})


def test_names_for_months_and_weekdays() -> None:
    schedule = parse_cron("0 9 * JAN-mar mon-fri")
    assert schedule.months == frozenset({1, 2, 3})
    assert schedule.weekdays == frozenset({1, 2, 3, 4, 5})
    assert schedule.after(at(9, 9)) == at(12, 9)  # Friday 9:00 -> Monday 9:00


def test_sunday_is_zero_and_seven() -> None:
    assert parse_cron("0 0 * * 7").first_at_or_after(T0) == at(11)
    assert parse_cron("0 0 * * 0").weekdays == parse_cron("0 0 * * 7").weekdays


def test_two_restricted_day_fields_match_either() -> None:
    # The 13th or a Friday, as in Vixie cron.
    schedule = parse_cron("0 0 13 * 5")
    assert chain(schedule, T0, 3) == [at(9), at(13), at(16)]


def test_an_unrestricted_day_field_does_not_widen_the_other() -> None:
    assert parse_cron("0 0 1 * *").first_at_or_after(T0) == at(1, month=2)
    assert parse_cron("0 0 * * 3").first_at_or_after(T0) == at(7)


def test_year_and_leap_day_boundaries() -> None:
    assert parse_cron("59 23 31 12 *").first_at_or_after(T0) == at(31, 23, 59, month=12)
    leap = parse_cron("0 0 29 2 *")
    assert leap.first_at_or_after(T0) == at(29, month=2, year=2028)
    assert leap.latest_at_or_before(T0) == at(29, month=2, year=2024)


def test_macros() -> None:
    assert parse_cron("@daily").hours == parse_cron("0 0 * * *").hours
    assert parse_cron("@hourly").first_at_or_after(T0 + timedelta(minutes=1)) == at(5, 1)
    assert parse_cron("@weekly").first_at_or_after(T0) == at(11)
    assert parse_cron("@monthly").first_at_or_after(T0) == at(1, month=2)
    assert parse_cron("@yearly").expression == "@yearly"


def test_other_time_zones_are_read_as_utc() -> None:
    plus_two = timezone(timedelta(hours=2))
    found = parse_cron("0 */6 * * *").first_at_or_after(datetime(2026, 1, 5, 3, tzinfo=plus_two))
    assert found == at(5, 6)
    assert found.tzinfo is UTC


ORACLES: dict[str, Callable[[datetime], bool]] = {
    "*/15 9-17 * * 1-5": lambda t: t.minute % 15 == 0 and 9 <= t.hour <= 17 and t.weekday() < 5,
    "30 2,14 1-7 * *": lambda t: t.minute == 30 and t.hour in (2, 14) and t.day <= 7,
    "0 0 13 * 5": lambda t: t.minute == 0 and t.hour == 0 and (t.day == 13 or t.weekday() == 4),
    "45 23 * 2 *": lambda t: (t.minute, t.hour, t.month) == (45, 23, 2),
}


@pytest.mark.parametrize("expression", list(ORACLES))
def test_next_and_previous_agree_with_a_brute_force_oracle(expression: str) -> None:
    schedule = parse_cron(expression)
    matches = ORACLES[expression]
    start = datetime(2026, 1, 27, tzinfo=UTC)  # twelve days across a month end
    every_minute = [start + timedelta(minutes=n) for n in range(12 * 24 * 60)]
    expected = [t for t in every_minute if matches(t)]
    assert len(expected) >= 2  # the window holds matches of every expression
    assert chain(schedule, start, len(expected)) == expected
    for t in every_minute[::7]:
        if t > expected[-1]:
            break
        assert schedule.first_at_or_after(t) == expected[bisect_left(expected, t)]
    for t in every_minute[::7]:
        if t < expected[0]:
            continue
        assert schedule.latest_at_or_before(t) == expected[bisect_right(expected, t) - 1]


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("", "expected 5 fields"),
        ("* * * *", "expected 5 fields"),
        ("* * * * * *", "expected 5 fields"),
        ("60 * * * *", "minute '60' is outside 0-59"),
        ("* 24 * * *", "hour"),
        ("* * 0 * *", "day of month"),
        ("* * * 13 *", "month"),
        ("* * * * 8", "day of week"),
        ("*/0 * * * *", "step must be at least 1"),
        ("5-1 * * * *", "reversed"),
        ("a * * * *", "invalid value 'a'"),
        ("1,,2 * * * *", "invalid value ''"),
        ("-1 * * * *", "invalid value"),
        ("² * * * *", "invalid value"),
        ("* * * foo *", "invalid value"),
        ("0 0 30 2 *", "never matches"),
        ("0 0 31 4,6,9,11 *", "never matches"),
    ],
)
def test_invalid_expressions_are_config_errors(expression: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_cron(expression)
