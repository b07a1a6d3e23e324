"""SLA history and reports: compliance, error budgets, burn rates and trends.

Reports read hourly and daily rollups for whole buckets and raw results only for the
partial edges of a window (`floe_monitoring.store.rollups` keeps the rollups; the method
of each figure is documented in `compliance`, `burn`, `trend` and `windows`).

Example:
    >>> report = await build_report(  # doctest: +SKIP
    ...     store, contract="orders", window="weekly", now=now
    ... )
    >>> report.compliance, [t.trend for t in report.check_types]  # doctest: +SKIP
"""

from floe_monitoring.reports.build import (
    DEFAULT_TARGET,
    build_report,
    build_reports_for_all,
)
from floe_monitoring.reports.burn import (
    BUDGET_BURN,
    DEFAULT_BURN_RULES,
    BurnAlert,
    BurnRule,
    burn_alerts,
    burn_alerts_from_samples,
    burn_rate,
    tallies_from_samples,
)
from floe_monitoring.reports.compliance import Tally, error_budget_remaining
from floe_monitoring.reports.errors import ReportError, UnknownContractError
from floe_monitoring.reports.model import (
    AvailabilityWindow24h,
    CheckTypeReport,
    DailyPoint,
    MeasuredStats,
    SlaReport,
    StatusCounts,
)
from floe_monitoring.reports.trend import Trend, TrendResult, classify_trend
from floe_monitoring.reports.windows import ReportWindow, WindowKind, resolve_window

__all__ = [
    "BUDGET_BURN",
    "DEFAULT_BURN_RULES",
    "DEFAULT_TARGET",
    "AvailabilityWindow24h",
    "BurnAlert",
    "BurnRule",
    "CheckTypeReport",
    "DailyPoint",
    "MeasuredStats",
    "ReportError",
    "ReportWindow",
    "SlaReport",
    "StatusCounts",
    "Tally",
    "Trend",
    "TrendResult",
    "UnknownContractError",
    "WindowKind",
    "build_report",
    "build_reports_for_all",
    "burn_alerts",
    "burn_alerts_from_samples",
    "burn_rate",
    "classify_trend",
    "error_budget_remaining",
    "resolve_window",
    "tallies_from_samples",
]
