"""How bad one result is, and the incident priority a severity maps to."""

from __future__ import annotations

from enum import StrEnum

from floe_monitoring.checks import CheckResult, CheckStatus
from floe_monitoring.sdk.enums import Severity

__all__ = ["IncidentPriority", "incident_priority", "result_severity"]


class IncidentPriority(StrEnum):
    """Incident priority, P1 the most urgent (the spec's severity → priority table)."""

    P1 = "P1"
    P2 = "P2"
    P3 = "P3"
    P4 = "P4"


_PRIORITIES = {
    Severity.CRITICAL: IncidentPriority.P1,
    Severity.ERROR: IncidentPriority.P2,
    Severity.WARNING: IncidentPriority.P3,
    Severity.INFO: IncidentPriority.P4,
}


def incident_priority(severity: Severity) -> IncidentPriority:
    """The priority of an incident of ``severity``: critical P1, error P2, warning P3, info P4."""
    return _PRIORITIES[severity]


def result_severity(
    result: CheckResult, *, violations_24h: int, critical_after: int = 3
) -> Severity | None:
    """The severity the monitor gives ``result``.

    A failure keeps the check's own severity (ERROR when it gives none: the spec's "ERROR
    on breach") and becomes CRITICAL when ``violations_24h`` (violations of the same type
    for the same contract in the last 24 h, counting this one) is *more than*
    ``critical_after``; the original used ``>=``, a known bug. A warning keeps its
    severity (WARNING when none), so the engine can route it; it never becomes critical
    because it is not a violation. Other results carry the check's severity, if any;
    ``error`` and ``skipped`` results have none.

    Args:
        result: The check result.
        violations_24h: Violations of this type for this contract in 24 h, this one included.
        critical_after: The count a failure must exceed to be critical.

    Returns:
        The severity, or None when the result says nothing about the promise.

    """
    if result.status is CheckStatus.FAIL:
        if violations_24h > critical_after:
            return Severity.CRITICAL
        return result.severity or Severity.ERROR
    if result.status is CheckStatus.WARN:
        return result.severity or Severity.WARNING
    if result.status is CheckStatus.PASS:
        return result.severity
    return None
