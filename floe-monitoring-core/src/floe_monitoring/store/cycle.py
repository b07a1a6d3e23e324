"""One engine cycle's writes, in one transaction: results, incidents, outbox, suppressions.

Writing the notification (outbox row) in the same transaction as the result that caused
it is what makes delivery durable: a monitor killed at any instant either has both or
neither, and a restarted dispatcher sends whatever is pending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, update

from floe_monitoring.checks.base import CheckResult
from floe_monitoring.store.database import Database
from floe_monitoring.store.outbox import OutboxEntry, OutboxRepository
from floe_monitoring.store.rollups import RollupRepository
from floe_monitoring.store.schema import (
    check_results,
    incident_states,
    incidents,
    observed_schemas,
    schedules,
    suppressions,
)
from floe_monitoring.store.upsert import upsert

__all__ = ["CycleWrite", "StoredResult", "result_row", "write_cycle"]

_SET_LAST_STATUS = (
    update(schedules)
    .where(schedules.c.check_key == bindparam("key"))
    .values(last_status=bindparam("status"))
)


@dataclass(frozen=True)
class StoredResult:
    """A check result with what the engine knows about its run."""

    result: CheckResult
    due_at: datetime | None = None
    trace_id: str | None = None
    in_maintenance: bool = False


def result_row(stored: StoredResult) -> dict[str, Any]:
    """The `check_results` row of a result."""
    r = stored.result
    return {
        "check_key": r.key,
        "contract_id": r.contract_id,
        "check_type": r.check_type.value,
        "element": r.element,
        "status": r.status.value,
        "severity": r.severity.value if r.severity else None,
        "measured_value": r.measured_value,
        "threshold": r.threshold,
        "unit": r.unit,
        "message": r.message,
        "reason": r.reason,
        "details": r.details or None,
        "started_at": r.started_at,
        "due_at": stored.due_at,
        "duration_seconds": r.duration_seconds,
        "table_name": r.table,
        "snapshot_id": r.snapshot_id,
        "trace_id": stored.trace_id,
        "in_maintenance": stored.in_maintenance,
    }


@dataclass
class CycleWrite:
    """Everything one cycle changes; written by `write_cycle` atomically."""

    results: list[StoredResult] = field(default_factory=list)
    incident_states: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[OutboxEntry] = field(default_factory=list)
    suppressions: list[dict[str, Any]] = field(default_factory=list)
    observed_schemas: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.results) + len(self.outbox) + len(self.suppressions)

    def extend(self, other: CycleWrite) -> None:
        """Append another cycle's writes (buffering while the database is down)."""
        self.results += other.results
        self.incident_states += other.incident_states
        self.incidents += other.incidents
        self.outbox += other.outbox
        self.suppressions += other.suppressions
        self.observed_schemas += other.observed_schemas


async def write_cycle(database: Database, cycle: CycleWrite) -> None:
    """Write the cycle in one transaction (all of it, or nothing)."""
    async with database.begin() as connection:
        if cycle.results:
            # Before the insert: the rollups tell new results from stored ones that way.
            await RollupRepository.apply(connection, cycle.results)
            await connection.execute(insert(check_results), [result_row(r) for r in cycle.results])
            last: dict[str, tuple[datetime, str]] = {}
            for stored in cycle.results:
                r = stored.result
                if r.key not in last or r.started_at >= last[r.key][0]:
                    last[r.key] = (r.started_at, r.status.value)
            # One executemany for the whole batch, not one statement per check.
            await connection.execute(
                _SET_LAST_STATUS,
                [{"key": key, "status": status} for key, (_, status) in last.items()],
            )
        await upsert(
            connection,
            incident_states,
            _last_by(cycle.incident_states, "check_key"),
            keys=("check_key",),
        )
        await upsert(
            connection, incidents, _last_by(cycle.incidents, "incident_id"), keys=("incident_id",)
        )
        await OutboxRepository.add(connection, cycle.outbox)
        if cycle.suppressions:
            await connection.execute(insert(suppressions), cycle.suppressions)
        await upsert(
            connection,
            observed_schemas,
            _last_by(cycle.observed_schemas, "check_key"),
            keys=("check_key",),
        )


def _last_by(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    # An upsert may not touch one row twice in a statement: keep each key's last value.
    return list({row[key]: row for row in rows}.values())
