from __future__ import annotations

from datetime import date, timedelta

import pytest

from floe_monitoring.reports import Trend, classify_trend
from floe_monitoring.reports.trend import MIN_POINTS

DAY0 = date(2026, 3, 1)


def _series(values: list[float | None]) -> list[tuple[date, float | None]]:
    return [(DAY0 + timedelta(days=i), v) for i, v in enumerate(values)]


def test_a_steady_rise_is_improving_and_a_fall_degrading() -> None:
    rising = classify_trend(_series([0.90, 0.92, 0.93, 0.95, 0.97]))
    falling = classify_trend(_series([0.999, 0.99, 0.985, 0.97, 0.96, 0.95]))
    assert rising.trend is Trend.IMPROVING
    assert rising.slope_per_day == pytest.approx(0.017)
    assert rising.change == pytest.approx(0.068)
    assert falling.trend is Trend.DEGRADING


def test_a_flat_or_perfect_record_is_stable() -> None:
    assert classify_trend(_series([1.0] * 7)).trend is Trend.STABLE
    assert classify_trend(_series([0.95] * 7)).slope_per_day == pytest.approx(0.0)


def test_changes_inside_the_dead_band_are_stable() -> None:
    tiny = classify_trend(_series([0.9990, 0.9991, 0.9992, 0.9993]))  # +0.03 pp in total
    assert tiny.trend is Trend.STABLE
    assert classify_trend(_series([0.9990, 0.9991, 0.9992, 0.9993]), dead_band=0.0001).trend is (
        Trend.IMPROVING
    )


def test_one_bad_day_in_noise_is_not_a_direction() -> None:
    noisy = classify_trend(_series([0.98, 0.95, 0.99, 0.96, 0.99, 0.97, 0.93, 0.99]))
    assert noisy.trend is Trend.STABLE
    assert noisy.points == 8


def test_too_few_days_with_a_verdict_is_stable() -> None:
    result = classify_trend(_series([0.5, None, None, 1.0]))
    assert result.points == MIN_POINTS - 1
    assert (result.trend, result.slope_per_day, result.change) == (Trend.STABLE, None, None)


def test_days_without_a_verdict_are_left_out_but_keep_their_place() -> None:
    gaps = classify_trend(_series([0.80, None, 0.84, None, 0.88]))
    assert gaps.slope_per_day == pytest.approx(0.02)
    assert gaps.trend is Trend.IMPROVING
