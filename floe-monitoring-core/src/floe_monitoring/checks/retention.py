"""Retention (ODCS ``retention``): how far back the data goes, against the promise.

The oldest value of the SLA's element (its min, from file metadata or a projected scan)
gives the history kept. Two ways to break the promise:

- data purged early: the table is older than the retention period (by its oldest
  retained snapshot) but its history is shorter (``fail``, reason ``purged_early``);
- data kept too long: history longer than the period (``warn`` with info, or ``fail``
  when the SLA's driver is ``regulatory``; reason ``kept_too_long``).
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from floe_monitoring.checks.base import CheckStatus, CheckType, result_details
from floe_monitoring.checks.runner import BaseCheck, Outcome, SkipCheck
from floe_monitoring.contracts.overrides import ContractOverrides
from floe_monitoring.sdk.enums import Severity

if TYPE_CHECKING:
    from pyiceberg.table import Table

    from floe_monitoring.catalog.source import TableSource
    from floe_monitoring.checks.iceberg_read import ColumnBound
    from floe_monitoring.contracts.model import Contract

__all__ = ["RetentionCheck"]


class RetentionCheck(BaseCheck):
    """Compare the history held in the element's column with the retention period."""

    check_type = CheckType.RETENTION

    def __init__(
        self,
        contract_id: str,
        *,
        object_name: str,
        period: timedelta | None,
        column: str | None,
        element: str | None = None,
        driver: str | None = None,
        problem: str | None = None,
        overrides: ContractOverrides | None = None,
        skip: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(
            contract_id, object_name=object_name, element=element, overrides=overrides, skip=skip
        )
        self.period = self.thresholds.retention or period
        self.column = column
        self.regulatory = (driver or "").lower() == "regulatory"
        self.problem = problem

    async def evaluate(self, contract: Contract, source: TableSource, now: datetime) -> Outcome:
        """Measure the history kept and compare it with the period."""
        if self.period is None:
            raise SkipCheck("invalid_sla", f"no usable retention period: {self.problem}")
        if self.column is None:
            raise SkipCheck("no_element", "retention needs an element naming a date column")
        _, ref = self.table_object(contract)
        read = functools.partial(_oldest, self.column)  # module-level: a worker process can run it
        oldest, first_commit = await source.with_table(ref, read, call_timeout=self.timeout)
        period = self.period.total_seconds()
        if oldest.value is None:
            return Outcome(
                CheckStatus.FAIL,
                f"{ref.identifier} has no data",
                Severity.ERROR,
                threshold=period,
                unit="s",
                reason="no_data",
                snapshot_id=oldest.snapshot_id,
            )
        history = max((now - oldest.value).total_seconds(), 0.0)
        table_age = (now - first_commit).total_seconds() if first_commit else 0.0
        skew = self.thresholds.clock_skew_seconds
        details = result_details(
            oldest=oldest.value, method=oldest.method, table_age_seconds=table_age
        )
        base = Outcome(
            CheckStatus.PASS,
            "history matches the retention period",
            measured_value=history,
            threshold=period,
            unit="s",
            details=details,
            snapshot_id=oldest.snapshot_id,
        )
        if history > period + skew:
            return replace(
                base,
                status=CheckStatus.FAIL if self.regulatory else CheckStatus.WARN,
                severity=Severity.ERROR if self.regulatory else Severity.INFO,
                message=f"data from {oldest.value:%Y-%m-%d} is kept beyond the retention period",
                reason="kept_too_long",
            )
        if table_age >= period and history + skew < period:
            return replace(
                base,
                status=CheckStatus.FAIL,
                severity=Severity.ERROR,
                message="data was purged before the retention period ended",
                reason="purged_early",
            )
        return base


def _oldest(column: str, table: Table) -> tuple[ColumnBound, datetime | None]:
    """In a worker: ``column``'s lower bound and the first retained snapshot's time."""
    from floe_monitoring.checks.iceberg_read import first_snapshot_time, temporal_bound

    return temporal_bound(table, column, "lower"), first_snapshot_time(table)
