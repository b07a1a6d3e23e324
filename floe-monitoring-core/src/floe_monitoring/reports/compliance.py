"""SLA compliance and error budgets: the method, and the arithmetic.

Compliance is a fraction in ``[0, 1]`` (0.999 is 99.9%), or None when a window holds no
verdict at all.

- **Time-based** check types (freshness, availability) measure the share of the window
  the dataset met its SLA: ``good_seconds / observed_seconds``. A result's status holds
  until the next result of the same check, for at most the check's interval (the
  "seconds in SLA" method of `floe_monitoring.store.rollups`). Time without a verdict
  (missed runs, errors, skipped checks) is left out rather than guessed good or bad.
- **Event-based** check types (schema drift, quality, retention, frequency, lifecycle)
  measure the share of verdicts that held: ``(pass + warn) / (pass + warn + fail)``.
- ``warn`` is within the SLA (close to breaking, but holding). ``error`` (the monitor
  could not evaluate) and ``skipped`` are not violations and count on neither side;
  results in a maintenance window are left out entirely.
- A contract's **overall** compliance is the unweighted mean over its check types that
  have a verdict: every kind of promise weighs the same, however often it is checked.
- **Error budget** = 1 − target. Remaining budget = ``1 − (1 − compliance) / (1 −
  target)``: 1 when untouched, 0 when spent, negative when overspent; None without a
  verdict or with a 100% target (no budget to spend).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from floe_monitoring.store.rollups import TIME_BASED_CHECK_TYPES, RollupTotals

__all__ = [
    "ComplianceMethod",
    "Tally",
    "compliance_method",
    "error_budget_remaining",
    "mean_compliance",
    "tally",
]

ComplianceMethod = Literal["time", "event"]


@dataclass(frozen=True)
class Tally:
    """Good and total amounts of one window: seconds (time-based) or results (event-based).

    Attributes:
        good: Amount within the SLA.
        total: Amount with a verdict.

    """

    good: float
    total: float

    @property
    def compliance(self) -> float | None:
        """``good / total``; None when nothing was observed."""
        return self.good / self.total if self.total > 0 else None

    @property
    def error_rate(self) -> float | None:
        """``1 - compliance``; None when nothing was observed."""
        compliance = self.compliance
        return None if compliance is None else 1.0 - compliance


def compliance_method(check_type: str) -> ComplianceMethod:
    """``time`` for freshness and availability, ``event`` for every other check type."""
    return "time" if check_type in TIME_BASED_CHECK_TYPES else "event"


def tally(check_type: str, totals: RollupTotals) -> Tally:
    """The good and total amounts of `totals` by `check_type`'s method."""
    if compliance_method(check_type) == "time":
        return Tally(float(totals.good_us), float(totals.observed_us))
    return Tally(float(totals.pass_count + totals.warn_count), float(totals.evaluated_count))


def mean_compliance(values: Iterable[float | None]) -> float | None:
    """The unweighted mean of the values that are not None; None when all are."""
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def error_budget_remaining(compliance: float | None, target: float) -> float | None:
    """Share of the error budget left: 1 untouched, 0 spent, negative overspent."""
    if compliance is None or target >= 1.0:
        return None
    return 1.0 - (1.0 - compliance) / (1.0 - target)
