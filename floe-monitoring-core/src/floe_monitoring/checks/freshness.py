"""Freshness (ODCS ``latency``/``freshness``): how old is the newest data?

Without an element the age comes from the newest *data* snapshot's commit time (never
``last_updated_ms``: schema changes move it). With an element (``orders.updated_at``) it is
the column's max, from file metadata when possible, else from a projected scan.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from floe_monitoring.checks.base import CheckStatus, CheckType, result_details
from floe_monitoring.checks.runner import BaseCheck, Outcome, SkipCheck
from floe_monitoring.checks.severity import consumption
from floe_monitoring.contracts.overrides import ContractOverrides
from floe_monitoring.sdk.enums import Severity

if TYPE_CHECKING:
    from pyiceberg.table import Table

    from floe_monitoring.catalog.source import TableSource
    from floe_monitoring.checks.iceberg_read import ColumnBound
    from floe_monitoring.contracts.model import Contract

__all__ = ["FreshnessCheck"]


class FreshnessCheck(BaseCheck):
    """Age of the newest data against the SLA's latency/freshness."""

    check_type = CheckType.FRESHNESS

    def __init__(
        self,
        contract_id: str,
        *,
        object_name: str,
        threshold: timedelta | None,
        column: str | None = None,
        element: str | None = None,
        problem: str | None = None,
        overrides: ContractOverrides | None = None,
        skip: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(
            contract_id, object_name=object_name, element=element, overrides=overrides, skip=skip
        )
        self.column = column
        self.problem = problem
        self.threshold = self.thresholds.freshness or threshold

    async def evaluate(self, contract: Contract, source: TableSource, now: datetime) -> Outcome:
        """Measure the age of the newest data and classify it against the threshold."""
        if self.threshold is None:
            raise SkipCheck("invalid_sla", f"no usable freshness threshold: {self.problem}")
        _, ref = self.table_object(contract)
        # A module-level read with plain arguments: it can be sent to a worker process.
        read = functools.partial(_newest, self.column)
        bound = await source.with_table(ref, read, call_timeout=self.timeout)
        limit = self.threshold.total_seconds()
        if bound.value is None:
            return Outcome(
                CheckStatus.FAIL,
                f"{ref.identifier} has no data",
                severity=Severity.ERROR,
                threshold=limit,
                unit="s",
                reason="no_data",
                details=result_details(method=bound.method),
                snapshot_id=bound.snapshot_id,
            )
        age = (now - bound.value).total_seconds()
        skew = self.thresholds.clock_skew_seconds
        details = result_details(newest=bound.value, method=bound.method, clock_skew_seconds=skew)
        if age < -skew:
            return Outcome(
                CheckStatus.WARN,
                f"newest data is {-age:.0f} s in the future (beyond the {skew:g} s clock skew)",
                severity=Severity.WARNING,
                measured_value=age,
                threshold=limit,
                unit="s",
                reason="clock_skew",
                details=details,
                snapshot_id=bound.snapshot_id,
            )
        age = max(age, 0.0)
        status, severity = consumption(age, limit, self.thresholds, tolerance=skew)
        verdict = "breaches" if status is CheckStatus.FAIL else "within"
        return Outcome(
            status,
            f"newest data is {_human(age)} old ({verdict} the {_human(limit)} SLA)",
            severity=severity,
            measured_value=age,
            threshold=limit,
            unit="s",
            reason="stale" if status is CheckStatus.FAIL else None,
            details=details,
            snapshot_id=bound.snapshot_id,
        )


def _newest(column: str | None, table: Table) -> ColumnBound:
    """In a worker: the newest data's time (snapshot or ``column``'s upper bound)."""
    from floe_monitoring.checks.iceberg_read import (
        ColumnBound,
        newest_data_snapshot,
        snapshot_time,
        temporal_bound,
        total_records,
    )

    snapshot = newest_data_snapshot(table)
    current = table.current_snapshot()
    current_id = current.snapshot_id if current else None
    if snapshot is None or total_records(table) == 0:
        return ColumnBound(None, "snapshot", current_id)
    if column is None:
        return ColumnBound(snapshot_time(snapshot), "snapshot", current_id)
    return temporal_bound(table, column, "upper")


def _human(seconds: float) -> str:
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"
