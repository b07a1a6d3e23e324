"""Trend of a check type's compliance: improving, degrading or stable.

Method: an ordinary least-squares line through the daily compliance figures (days
without a verdict are left out), x in days. The trend is ``improving`` or ``degrading``
only when the line's change over the period it spans (slope × days between the first and
last point) is both

- material: at least `DEFAULT_DEAD_BAND` (0.1 percentage point) in absolute value, and
- significant: the slope's t statistic (slope / its standard error, ``n − 2`` degrees of
  freedom) is at least `DEFAULT_MIN_T` (2, about 95% confidence) in absolute value; a
  perfect fit counts as significant.

Otherwise, and with fewer than `MIN_POINTS` (3) daily figures, the trend is ``stable``.
The dead band keeps tiny drifts of a near-perfect record from reading as movement; the
significance test keeps one bad day in a noisy fortnight from reading as a direction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

__all__ = [
    "DEFAULT_DEAD_BAND",
    "DEFAULT_MIN_T",
    "MIN_POINTS",
    "Trend",
    "TrendResult",
    "classify_trend",
]

#: Smallest change over the period (a fraction: 0.001 is 0.1 percentage point) that counts.
DEFAULT_DEAD_BAND = 0.001

#: Smallest |t| of the slope that counts as a direction.
DEFAULT_MIN_T = 2.0

#: Daily figures needed before a trend is called.
MIN_POINTS = 3


class Trend(StrEnum):
    """Where compliance is heading."""

    IMPROVING = "improving"
    DEGRADING = "degrading"
    STABLE = "stable"


@dataclass(frozen=True)
class TrendResult:
    """A trend and the figures behind it.

    Attributes:
        trend: The verdict.
        slope_per_day: The fitted slope (compliance per day), None under `MIN_POINTS`.
        change: Slope × days spanned: the fitted change over the period.
        points: How many daily figures were used.

    """

    trend: Trend
    slope_per_day: float | None
    change: float | None
    points: int


def classify_trend(
    daily: Sequence[tuple[date, float | None]],
    *,
    dead_band: float = DEFAULT_DEAD_BAND,
    min_t: float = DEFAULT_MIN_T,
) -> TrendResult:
    """Classify daily compliance figures ``(day, compliance or None)`` (method above)."""
    points = sorted((d, v) for d, v in daily if v is not None)
    n = len(points)
    if n < MIN_POINTS:
        return TrendResult(Trend.STABLE, None, None, n)
    first = points[0][0]
    xs = [float((d - first).days) for d, _ in points]
    ys = [v for _, v in points]
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    change = slope * (xs[-1] - xs[0])
    residual = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    # Rounding noise of a perfect line must not make it "insignificant".
    if residual <= 1e-18 * max(1.0, sum(y * y for y in ys)):
        significant = slope != 0.0
    else:
        standard_error = math.sqrt(residual / (n - 2) / sxx)
        significant = abs(slope) / standard_error >= min_t
    if significant and abs(change) >= dead_band:
        trend = Trend.IMPROVING if slope > 0 else Trend.DEGRADING
    else:
        trend = Trend.STABLE
    return TrendResult(trend, slope, change, n)
