"""The SLA report: frozen pydantic models, JSON-serialisable (`SlaReport.model_dump_json`).

All compliance figures, targets and budgets are fractions (0.999 is 99.9%); times are
aware UTC datetimes; durations are seconds. The method behind each figure is documented
in `floe_monitoring.reports.compliance` (compliance, budget), `.burn` (burn rates),
`.trend` (trend) and `floe_monitoring.store.rollups` (seconds in SLA).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from floe_monitoring.reports.burn import BurnAlert
from floe_monitoring.reports.compliance import ComplianceMethod
from floe_monitoring.reports.trend import Trend
from floe_monitoring.reports.windows import WindowKind

__all__ = [
    "AvailabilityWindow24h",
    "CheckTypeReport",
    "DailyPoint",
    "MeasuredStats",
    "SlaReport",
    "StatusCounts",
    "TargetSource",
]

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class StatusCounts(BaseModel):
    """Results by status; results in a maintenance window count only as `maintenance`."""

    model_config = _FROZEN

    passed: int = 0
    warned: int = 0
    failed: int = 0
    errored: int = 0
    skipped: int = 0
    maintenance: int = 0


class MeasuredStats(BaseModel):
    """Measured values of the results outside maintenance (age in s, latency in s, score)."""

    model_config = _FROZEN

    count: int = 0
    min: float | None = None
    avg: float | None = None
    max: float | None = None


#: Where a target came from: the caller, the checks' own results (ODCS target with
#: overrides), the contract document, or the default.
TargetSource = Literal["explicit", "results", "contract", "default"]


class CheckTypeReport(BaseModel):
    """One check type of one contract over the report window."""

    model_config = _FROZEN

    check_type: str
    method: ComplianceMethod = Field(description="time: share of time; event: share of results")
    compliance: float | None = Field(description="Fraction; None without a verdict.")
    target: float = Field(description="SLO target, a fraction.")
    target_source: TargetSource
    meets_target: bool | None
    counts: StatusCounts
    violations: int = Field(description="Failed results outside maintenance.")
    good_seconds: float = Field(description="Time in SLA (time-based check types).")
    observed_seconds: float = Field(description="Time with a verdict (time-based check types).")
    maintenance_seconds: float
    measured: MeasuredStats
    quality_score: float | None = Field(description="Average quality score (quality checks).")
    trend: Trend
    trend_slope_per_day: float | None
    error_budget_remaining: float | None = Field(description="1 untouched, 0 spent, <0 over.")
    burn_rates: dict[str, float | None] = Field(description="Burn rate by window ending at until.")
    burn_alerts: list[BurnAlert]


class DailyPoint(BaseModel):
    """One UTC day of the chart series (the first and last may be partial)."""

    model_config = _FROZEN

    day: date
    since: datetime
    until: datetime
    compliance: float | None
    by_check_type: dict[str, float | None]


class AvailabilityWindow24h(BaseModel):
    """Availability over the rolling 24 hours before `until`, against the ODCS target."""

    model_config = _FROZEN

    since: datetime
    until: datetime
    compliance: float | None
    target: float
    meets_target: bool | None


class SlaReport(BaseModel):
    """SLA compliance of one contract over one window: what `floe sla report` shows."""

    model_config = _FROZEN

    contract_id: str
    contract_name: str
    contract_version: str | None
    window: WindowKind
    window_label: str = Field(description="daily, weekly, monthly or rolling-<N>d")
    since: datetime
    until: datetime
    generated_at: datetime
    compliance: float | None = Field(description="Mean over check types with a verdict.")
    check_types: list[CheckTypeReport]
    availability_24h: AvailabilityWindow24h | None
    series: list[DailyPoint] = Field(
        description="Daily compliance; at least the last 7 days, for charts and trends."
    )
