"""Availability: can the catalog load the table, within the timeout, and how fast?

A missing table is the finding: a ``fail`` (reason ``table_missing``). A catalog that
cannot answer (unreachable, failing, or silent past its timeout) is an ``error`` like
for every other check (reason ``catalog_unavailable`` or ``timeout``): it says nothing
about the table, and since every contract gets an availability check, a failure here
would page for every contract at each catalog blip. The rolling 24 h ratio against the
SLA target is computed by the engine from stored results with `availability_window`
(``error`` results do not count).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from floe_monitoring.checks.base import (
    DEFAULT_CHECK_TIMEOUT,
    CheckStatus,
    CheckType,
    result_details,
)
from floe_monitoring.checks.runner import BaseCheck, Outcome
from floe_monitoring.contracts.overrides import ContractOverrides
from floe_monitoring.errors import CatalogError, TableNotFoundError
from floe_monitoring.sdk.enums import Severity

if TYPE_CHECKING:
    from floe_monitoring.catalog.source import TableSource
    from floe_monitoring.contracts.model import Contract

__all__ = ["AvailabilityCheck", "AvailabilityWindow", "availability_window"]


class AvailabilityCheck(BaseCheck):
    """Load the table and measure how long it took.

    ``pass`` when it loads within the latency budget (the override
    ``availability_latency_seconds``, else the call timeout); ``warn`` from 80% of the
    budget; ``fail`` when the table is missing; ``error`` when the catalog cannot answer.
    """

    check_type = CheckType.AVAILABILITY

    def __init__(
        self,
        contract_id: str,
        *,
        object_name: str,
        target: float | None = None,
        overrides: ContractOverrides | None = None,
    ) -> None:
        super().__init__(contract_id, object_name=object_name, overrides=overrides)
        self.target = self.thresholds.availability_target or target

    async def evaluate(self, contract: Contract, source: TableSource, now: datetime) -> Outcome:
        """Probe the table."""
        _, ref = self.table_object(contract)
        latency = await source.probe(ref, call_timeout=self.timeout)
        budget = (
            self.thresholds.availability_latency_seconds or self.timeout or DEFAULT_CHECK_TIMEOUT
        )
        details = result_details(latency_seconds=latency, target=self.target)
        if latency < budget * self.thresholds.info_ratio:
            return Outcome(
                CheckStatus.PASS,
                f"{ref.identifier} loaded in {latency * 1000:.0f} ms",
                measured_value=latency,
                threshold=budget,
                unit="s",
                details=details,
            )
        slow = latency >= budget * self.thresholds.warning_ratio
        return Outcome(
            CheckStatus.WARN,
            f"{ref.identifier} loaded in {latency * 1000:.0f} ms (budget {budget * 1000:.0f} ms)",
            severity=Severity.WARNING if slow else Severity.INFO,
            measured_value=latency,
            threshold=budget,
            unit="s",
            reason="slow",
            details=details,
        )

    def on_catalog_error(self, exc: CatalogError) -> Outcome:
        """A missing table is unavailability (a failure); anything else cannot evaluate.

        An unreachable, failing or silent catalog (`CatalogUnavailableError`,
        `CatalogTimeoutError`) and a catalog missing from the config are ``error``
        results, as for every other check: no alert, and a "cannot evaluate" notice once
        they repeat.
        """
        if not isinstance(exc, TableNotFoundError):
            return super().on_catalog_error(exc)
        return Outcome(
            CheckStatus.FAIL,
            str(exc),
            severity=Severity.ERROR,
            reason="table_missing",
            details=result_details(target=self.target),
        )


@dataclass(frozen=True)
class AvailabilityWindow:
    """Availability over a window of samples.

    Attributes:
        ratio: Share of successful samples (None without samples).
        samples: Samples in the window.
        failures: Failed samples in the window.
        consecutive_failures: Failures since the last success (newest first).
        breached: True when ``ratio`` is below the target.
        budget_remaining: Failures still allowed before a breach (negative once breached).

    """

    ratio: float | None
    samples: int
    failures: int
    consecutive_failures: int
    breached: bool
    budget_remaining: float | None


def availability_window(
    samples: Iterable[tuple[datetime, bool]],
    *,
    now: datetime,
    target: float | None,
    window: timedelta = timedelta(hours=24),
) -> AvailabilityWindow:
    """Availability of samples ``(timestamp, ok)`` in ``(now - window, now]`` vs ``target``.

    Each sample counts once (checks run on a fixed interval, so counts approximate time).
    ``target`` is a fraction (99.9% is 0.999); None means no SLA: never breached.
    """
    start = now - window
    in_window = sorted((ts, ok) for ts, ok in samples if start < ts <= now)
    total = len(in_window)
    failures = sum(not ok for _, ok in in_window)
    consecutive = 0
    for _, ok in reversed(in_window):
        if ok:
            break
        consecutive += 1
    ratio = None if total == 0 else (total - failures) / total
    breached = target is not None and ratio is not None and ratio < target
    budget = None if target is None else total * (1 - target) - failures
    return AvailabilityWindow(ratio, total, failures, consecutive, breached, budget)
