"""SLA values: names and synonyms, durations, percentages, dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from floe_monitoring.contracts import canonical_sla_name, parse_date, parse_duration, parse_percent


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("latency", "latency"),
        ("LY", "latency"),
        ("Freshness", "freshness"),
        ("av", "availability"),
        ("fy", "frequency"),
        ("re", "retention"),
        ("es", "endOfSupport"),
        ("ENDOFLIFE", "endOfLife"),
        ("ga", "generalAvailability"),
        ("td", "timeToDetect"),
        ("er", "errorRate"),
        ("timeOfAvailability", "timeOfAvailability"),
        ("nonsense", None),
    ],
)
def test_names_are_case_insensitive_with_synonyms(name: str, canonical: str | None) -> None:
    assert canonical_sla_name(name) == canonical


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("PT6H", None, timedelta(hours=6)),
        ("P1D", None, timedelta(days=1)),
        ("P1DT30M", None, timedelta(days=1, minutes=30)),
        ("PT0.5S", None, timedelta(seconds=0.5)),
        ("P2W", None, timedelta(weeks=2)),
        ("P1Y", None, timedelta(days=365)),
        ("P1M", None, timedelta(days=30)),
        (4, "d", timedelta(days=4)),
        (4, "days", timedelta(days=4)),
        (2, "h", timedelta(hours=2)),
        (15, "min", timedelta(minutes=15)),
        (30, "s", timedelta(seconds=30)),
        (1, "w", timedelta(weeks=1)),
        (3, "y", timedelta(days=3 * 365)),
        (1, "mo", timedelta(days=30)),
        ("6", "h", timedelta(hours=6)),
        ("6h", None, timedelta(hours=6)),
        ("30 min", None, timedelta(minutes=30)),
    ],
)
def test_durations(value: object, unit: str | None, expected: timedelta) -> None:
    parsed = parse_duration(value, unit)
    assert parsed.value == expected
    assert parsed.warning is None


def test_ambiguous_m_is_minutes_with_a_warning() -> None:
    parsed = parse_duration(10, "m")
    assert parsed.value == timedelta(minutes=10)
    assert parsed.warning is not None
    assert "ambiguous" in parsed.warning


@pytest.mark.parametrize(
    ("value", "unit", "message"),
    [
        ("soon", None, "not a duration"),
        (4, None, "has no unit"),
        (4, "fortnights", "unknown duration unit"),
        (0, "h", "must be positive"),
        ("P", None, "not a duration"),
        (True, "h", "not a duration"),
        (None, "h", "not a duration"),
        # Beyond what a timedelta holds: a ValueError (reported), not an OverflowError.
        ("PT99999999999999999999H", None, "duration out of range"),
        (10**23, "d", "duration out of range"),
    ],
)
def test_bad_durations(value: object, unit: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(value, unit)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("99.9%", None, 0.999),
        (99.9, "%", 0.999),
        (99.9, "percent", 0.999),
        (99.5, None, 0.995),
        (0.99, None, 0.99),
        ("100%", None, 1.0),
    ],
)
def test_percentages_are_fractions(value: object, unit: str | None, expected: float) -> None:
    assert parse_percent(value, unit) == expected


@pytest.mark.parametrize("value", ["high", "101%", -1, None, True])
def test_bad_percentages(value: object) -> None:
    with pytest.raises(ValueError, match=r"percentage|between"):
        parse_percent(value)


def test_dates_become_aware_utc() -> None:
    assert parse_date("2032-05-12T09:30:10-08:00") == datetime(2032, 5, 12, 17, 30, 10, tzinfo=UTC)
    assert parse_date("2032-05-12") == datetime(2032, 5, 12, tzinfo=UTC)
    assert parse_date("2032-05-12T09:30:10") == datetime(2032, 5, 12, 9, 30, 10, tzinfo=UTC)
    with pytest.raises(ValueError, match="not an ISO-8601 date"):
        parse_date("next year")
