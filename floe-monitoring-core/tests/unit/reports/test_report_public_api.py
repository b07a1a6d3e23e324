from __future__ import annotations

import floe_monitoring.reports as reports

INTENDED = {
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
}


def test_the_facade_exports_exactly_the_public_api() -> None:
    assert set(reports.__all__) == INTENDED
    assert all(hasattr(reports, name) for name in INTENDED)


def test_report_errors_are_floe_errors() -> None:
    from floe_monitoring.errors import FloeError

    assert issubclass(reports.UnknownContractError, reports.ReportError)
    assert issubclass(reports.ReportError, FloeError)
