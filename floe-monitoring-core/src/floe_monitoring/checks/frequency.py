"""Frequency (ODCS ``frequency``): is data committed as often as promised?

Looks at the gaps between consecutive *data* commits (snapshots that added records, not
compactions) and the open gap since the last one; the largest gap is measured against the
period with the usual consumption bands.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING

from floe_monitoring.checks.base import CheckStatus, CheckType, result_details
from floe_monitoring.checks.runner import BaseCheck, Outcome, SkipCheck
from floe_monitoring.checks.severity import consumption
from floe_monitoring.contracts.overrides import ContractOverrides
from floe_monitoring.sdk.enums import Severity

if TYPE_CHECKING:
    from pyiceberg.table import Table

    from floe_monitoring.catalog.source import TableSource
    from floe_monitoring.contracts.model import Contract

__all__ = ["FrequencyCheck", "largest_gap"]

#: How many recent data commits are inspected.
MAX_COMMITS = 50


def largest_gap(commits: list[datetime], now: datetime) -> float:
    """The largest gap, in seconds, between commits (newest first) and from the last to now."""
    gaps = [(newer - older).total_seconds() for newer, older in pairwise(commits)]
    gaps.append(max((now - commits[0]).total_seconds(), 0.0))
    return max(gaps)


class FrequencyCheck(BaseCheck):
    """The largest gap between data commits against the promised period."""

    check_type = CheckType.FREQUENCY

    def __init__(
        self,
        contract_id: str,
        *,
        object_name: str,
        period: timedelta | None,
        element: str | None = None,
        problem: str | None = None,
        overrides: ContractOverrides | None = None,
        skip: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(
            contract_id, object_name=object_name, element=element, overrides=overrides, skip=skip
        )
        self.period = self.thresholds.frequency or period
        self.problem = problem

    async def evaluate(self, contract: Contract, source: TableSource, now: datetime) -> Outcome:
        """Read recent data commits and measure the largest gap."""
        if self.period is None:
            raise SkipCheck("invalid_sla", f"no usable frequency: {self.problem}")
        _, ref = self.table_object(contract)
        commits, snapshot_id = await source.with_table(ref, _commits, call_timeout=self.timeout)
        period = self.period.total_seconds()
        if not commits:
            return Outcome(
                CheckStatus.FAIL,
                f"{ref.identifier} has no data commits",
                Severity.ERROR,
                threshold=period,
                unit="s",
                reason="no_data",
                snapshot_id=snapshot_id,
            )
        gap = largest_gap(commits, now)
        skew = self.thresholds.clock_skew_seconds
        if len(commits) < 2 and gap <= period:
            raise SkipCheck("not_enough_history", "one data commit so far: no gap to measure yet")
        status, severity = consumption(gap, period, self.thresholds, tolerance=skew)
        details = result_details(
            commits_inspected=len(commits), last_commit=commits[0], clock_skew_seconds=skew
        )
        return Outcome(
            status,
            f"largest gap between data commits is {gap:.0f} s (promised every {period:.0f} s)",
            severity,
            measured_value=gap,
            threshold=period,
            unit="s",
            reason="late" if status is CheckStatus.FAIL else None,
            details=details,
            snapshot_id=snapshot_id,
        )


def _commits(table: Table) -> tuple[list[datetime], int | None]:
    from floe_monitoring.checks.iceberg_read import data_commit_times

    snapshot = table.current_snapshot()
    return data_commit_times(table, MAX_COMMITS), snapshot.snapshot_id if snapshot else None
