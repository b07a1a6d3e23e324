"""Severity by SLA consumption: info at 80% of a threshold, warning at 90%, error on breach."""

from __future__ import annotations

from floe_monitoring.checks.base import CheckStatus
from floe_monitoring.contracts.overrides import CheckThresholds
from floe_monitoring.sdk.enums import Severity

__all__ = ["consumption"]


def consumption(
    measured: float,
    threshold: float,
    thresholds: CheckThresholds | None = None,
    *,
    tolerance: float = 0.0,
) -> tuple[CheckStatus, Severity | None]:
    """Classify how much of ``threshold`` the ``measured`` value consumes.

    A breach needs ``measured > threshold + tolerance`` (the clock-skew allowance); between
    the threshold and the tolerance the result is a warning, not yet a breach.

    Returns:
        ``(fail, error)`` on breach, ``(warn, warning)`` from the warning ratio,
        ``(warn, info)`` from the info ratio, else ``(pass, None)``.

    """
    limits = thresholds or CheckThresholds()
    if threshold <= 0:
        raise ValueError("threshold must be positive")
    if measured > threshold + tolerance:
        return CheckStatus.FAIL, Severity.ERROR
    ratio = measured / threshold
    if ratio >= limits.warning_ratio:
        return CheckStatus.WARN, Severity.WARNING
    if ratio >= limits.info_ratio:
        return CheckStatus.WARN, Severity.INFO
    return CheckStatus.PASS, None
