"""Singleton jobs: retention and error-budget burn evaluation, one replica at a time.

Each job runs on an interval in every replica, but only the replica that wins
``pg_try_advisory_xact_lock`` (always the only one on SQLite) does the work; the others
skip that round. Burn evaluation turns the multiwindow burn-rate rules into
`ContractViolationEvent`s with ``metadata.notification = "budget_burn"``, routed like any
other notification (the dedup window keeps a burning budget from paging every round).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from floe_monitoring.contracts.model import Contract
from floe_monitoring.reports import BurnAlert, burn_alerts_from_samples
from floe_monitoring.reports.burn import BURN_WINDOWS
from floe_monitoring.sdk.enums import Severity, ViolationType
from floe_monitoring.sdk.event import ContractViolationEvent, derive_dedup_key
from floe_monitoring.store.retention import PruneCounts, retention_job, singleton
from floe_monitoring.store.state_store import StateStore

__all__ = ["BURN_CHECK_TYPES", "Job", "JobRunner", "burn_events"]

_log = logging.getLogger("floe_monitoring.engine")

#: Time-based check types: the ones whose results measure an SLO over time.
BURN_CHECK_TYPES = {
    "freshness": ViolationType.FRESHNESS,
    "availability": ViolationType.AVAILABILITY,
}
_LEVEL_SEVERITY = {"page": Severity.CRITICAL, "ticket": Severity.WARNING}


@dataclass(frozen=True)
class Job:
    """A periodic singleton job."""

    name: str
    interval: timedelta
    run: Callable[[datetime], Awaitable[Any]]


class JobRunner:
    """Runs jobs on their intervals, each under its singleton lock.

    Args:
        store: The state store (its database provides the lock).
        jobs: The jobs.
        clock: Now, in UTC.
    """

    def __init__(
        self, store: StateStore, jobs: Sequence[Job], clock: Callable[[], datetime]
    ) -> None:
        self._store = store
        self._jobs = list(jobs)
        self._clock = clock
        self._task: asyncio.Task[None] | None = None
        self.runs: dict[str, int] = {job.name: 0 for job in jobs}

    async def run_due(self, last: dict[str, datetime]) -> None:
        """Run every job whose interval has passed since `last` (updated in place)."""
        now = self._clock()
        for job in self._jobs:
            if job.name in last and now - last[job.name] < job.interval:
                continue
            last[job.name] = now
            await self.run_job(job, now)

    async def run_job(self, job: Job, now: datetime) -> bool:
        """Run one job if this replica wins its lock; True when it ran."""
        try:
            async with singleton(self._store.database, job.name) as acquired:
                if not acquired:
                    return False
                await job.run(now)
                self.runs[job.name] += 1
                return True
        except Exception as exc:  # a failing job is retried next round; monitoring goes on
            _log.warning("job %s failed: %s", job.name, type(exc).__name__)
            return False

    def start(self) -> None:
        """Run the jobs in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="floe-jobs")

    async def stop(self) -> None:
        """Stop the background loop."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _loop(self) -> None:
        last: dict[str, datetime] = {}
        while True:
            await self.run_due(last)
            await asyncio.sleep(30)


def burn_events(
    alerts: Sequence[BurnAlert],
    contract: Contract,
    check_key: str,
    element: str | None,
    *,
    now: datetime,
) -> list[ContractViolationEvent]:
    """One event for the most urgent firing rule: page → critical, else ticket → warning.

    A budget burning fast enough to page also satisfies the slower ticket rule; one
    notification says it, at the higher level.
    """
    events = []
    pages = [a for a in alerts if a.level == "page"]
    for alert in (pages or list(alerts))[:1]:
        check_type = alert.check_type or "availability"
        long_hours = alert.long_window.total_seconds() / 3600
        message = (
            f"error budget burning {alert.long_rate:.1f}x over {long_hours:g} h "
            f"and {alert.short_rate:.1f}x over {alert.short_window.total_seconds() / 60:g} min "
            f"(threshold {alert.threshold:g}, target {alert.target * 100:g}%)"
        )
        events.append(
            ContractViolationEvent.model_validate(
                {
                    "contract_id": contract.id,
                    "contract_name": contract.name,
                    "contract_version": contract.version,
                    "violation_type": BURN_CHECK_TYPES.get(check_type, ViolationType.AVAILABILITY),
                    "severity": _LEVEL_SEVERITY[alert.level],
                    "message": message,
                    "element": element,
                    "expected_value": f"burn rate <= {alert.threshold:g}",
                    "actual_value": f"{alert.long_rate:.2f}",
                    "timestamp": now,
                    "dedup_key": derive_dedup_key(f"{check_key}#budget-burn", alert.level, None),
                    "domain": contract.domain,
                    "owner": contract.owner or contract.team,
                    "affected_consumers": contract.consumers,
                    "metadata": {
                        "notification": "budget_burn",
                        "level": alert.level,
                        "check_key": check_key,
                        "long_window_seconds": alert.long_window.total_seconds(),
                        "short_window_seconds": alert.short_window.total_seconds(),
                    },
                }
            )
        )
    return events


async def evaluate_burn(
    store: StateStore,
    checks: Sequence[tuple[Contract, str, str, str | None, float]],
    *,
    now: datetime,
) -> list[ContractViolationEvent]:
    """Burn events for `checks` ((contract, check_key, check_type, element, target))."""
    events: list[ContractViolationEvent] = []
    for contract, key, check_type, element, target in checks:
        samples = await store.availability_samples(contract.id, key, now - BURN_WINDOWS[-1])
        if not samples:
            continue
        alerts = burn_alerts_from_samples(
            samples, target=target, now=now, contract_id=contract.id, check_type=check_type
        )
        events += burn_events(alerts, contract, key, element, now=now)
    return events


async def run_retention(
    store: StateStore, retention: timedelta, hourly_retention: timedelta, now: datetime
) -> PruneCounts:
    """Prune raw results and hourly rollups past their periods (daily rollups are kept)."""
    return await retention_job(
        store.database, now=now, retention=retention, hourly_retention=hourly_retention
    )
