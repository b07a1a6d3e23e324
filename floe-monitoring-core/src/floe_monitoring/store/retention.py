"""Retention tiers and the singleton jobs that keep SLA history tidy.

History is kept at three resolutions, coarser the older it gets (both periods
configurable; benchmarks/, scenario 5, has the bytes each tier costs):

- raw results: `DEFAULT_RETENTION` (3 days: the longest burn-rate window is evaluated
  on them, so the configuration allows no less);
- hourly rollups: `DEFAULT_HOURLY_RETENTION` (8 days: a rolling-7d report keeps hour
  precision at both ends);
- daily rollups: for ever. They are the SLA history.

Pruning deletes in batches (raw results) or one hour at a time (hourly rollups), each
its own short transaction, so neither backend holds a long lock and the monitor keeps
writing while the job runs. Before the first rows older than a cutoff go, the cutoff is
recorded in the same transaction (`RAW_PRUNED_MARK`, `HOURLY_PRUNED_MARK`): a rollup
rebuild never recomputes a day from raw results that are no longer complete, and a
report whose window reaches past a tier reads the next coarser one (`read_horizons`;
`floe_monitoring.reports.windows.Coverage`).

The jobs (`retention_job`, `rollup_rebuild_job`) are plain coroutines for the engine's job
runner. With several replicas on PostgreSQL run each inside `singleton`, which takes a
transaction-level advisory lock (``pg_try_advisory_xact_lock``; session-level locks break
under connection pooling) and reports whether this replica got it. SQLite has one
process, so there it always acquires.

Example:
    >>> async with singleton(database, "retention") as acquired:  # doctest: +SKIP
    ...     if acquired:
    ...         await retention_job(database, now=clock())
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from floe_monitoring.store.database import Database
from floe_monitoring.store.rollups import (
    HOURLY_PRUNED_MARK,
    RAW_PRUNED_MARK,
    RollupRepository,
    bucket_floor,
)
from floe_monitoring.store.schema import check_results, job_marks, sla_rollups
from floe_monitoring.store.upsert import upsert

__all__ = [
    "DEFAULT_HOURLY_RETENTION",
    "DEFAULT_PRUNE_BATCH",
    "DEFAULT_RETENTION",
    "Horizons",
    "PruneCounts",
    "lock_id",
    "prune_hourly_rollups",
    "prune_raw_results",
    "read_horizons",
    "retention_job",
    "rollup_rebuild_job",
    "singleton",
]

#: How long raw results are kept by default.
DEFAULT_RETENTION = timedelta(days=3)

#: How long hourly rollups are kept by default (daily rollups are kept for ever).
DEFAULT_HOURLY_RETENTION = timedelta(days=8)

_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Horizons:
    """How far back each tier is complete: data before a mark may have been pruned.

    Attributes:
        raw: Raw results before this may be gone (None: never pruned).
        hourly: Hourly rollups before this may be gone (None: never pruned).
    """

    raw: datetime | None = None
    hourly: datetime | None = None


@dataclass(frozen=True)
class PruneCounts:
    """What one run of the retention job deleted."""

    raw_results: int = 0
    hourly_rollups: int = 0


#: Rows deleted per transaction: small enough to keep each lock short.
DEFAULT_PRUNE_BATCH = 5_000


def lock_id(name: str) -> int:
    """A stable signed 64-bit advisory-lock id for a job name (the same on every replica)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@asynccontextmanager
async def singleton(database: Database, name: str) -> AsyncIterator[bool]:
    """Run a block on at most one replica at a time; yields whether the lock was acquired.

    On PostgreSQL a transaction is held open on its own connection for the block, with
    ``pg_try_advisory_xact_lock``: the lock goes with the transaction, also when the
    process dies. The block does its work on other connections.
    """
    if database.is_sqlite:
        yield True
        return
    async with database.begin() as connection:
        acquired = (
            await connection.execute(
                text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": lock_id(name)}
            )
        ).scalar_one()
        yield bool(acquired)


async def prune_raw_results(
    database: Database,
    *,
    older_than: datetime,
    batch_size: int = DEFAULT_PRUNE_BATCH,
    now: datetime | None = None,
) -> int:
    """Delete raw results that started before `older_than`, `batch_size` rows at a time.

    Args:
        database: The state database.
        older_than: Results with ``started_at`` before this go.
        batch_size: Rows per transaction.
        now: When the prune ran (recorded with the mark; defaults to `older_than`).

    Returns:
        How many results were deleted.

    Raises:
        ValueError: If `batch_size` is not positive.

    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    oldest = (
        select(check_results.c.id)
        .where(check_results.c.started_at < older_than)
        .limit(batch_size)
        .scalar_subquery()
    )
    deleted = 0
    marked = False
    while True:
        async with database.begin() as connection:
            result = await connection.execute(
                delete(check_results).where(check_results.c.id.in_(oldest))
            )
            if result.rowcount and not marked:
                # Same transaction as the first deletion: no gap without a mark, ever.
                await _raise_mark(connection, RAW_PRUNED_MARK, older_than, now or older_than)
                marked = True
        deleted += result.rowcount
        if result.rowcount < batch_size:
            return deleted


async def prune_hourly_rollups(
    database: Database, *, older_than: datetime, now: datetime | None = None
) -> int:
    """Delete the hourly rollups of the UTC days before the day holding `older_than`.

    Whole days go, one hour bucket per transaction: the days' daily rollups keep their
    totals. Returns how many rows were deleted.
    """
    cutoff = bucket_floor(older_than, "day")
    hourly = sla_rollups.c.granularity == "hour"
    oldest_query = select(func.min(sla_rollups.c.bucket_start)).where(hourly)
    deleted = 0
    marked = False
    while True:
        async with database.begin() as connection:
            oldest = (await connection.execute(oldest_query)).scalar_one_or_none()
            if oldest is None or oldest >= cutoff:
                return deleted
            if not marked:
                await _raise_mark(connection, HOURLY_PRUNED_MARK, cutoff, now or older_than)
                marked = True
            result = await connection.execute(
                delete(sla_rollups).where(
                    hourly,
                    sla_rollups.c.bucket_start >= oldest,
                    sla_rollups.c.bucket_start < bucket_floor(oldest, "hour") + _HOUR,
                )
            )
        deleted += result.rowcount


async def read_horizons(connection: AsyncConnection) -> Horizons:
    """The marks of both prunes (see `Horizons`)."""
    rows = dict(
        (
            await connection.execute(
                select(job_marks.c.name, job_marks.c.mark).where(
                    job_marks.c.name.in_([RAW_PRUNED_MARK, HOURLY_PRUNED_MARK])
                )
            )
        ).all()
    )
    return Horizons(raw=rows.get(RAW_PRUNED_MARK), hourly=rows.get(HOURLY_PRUNED_MARK))


async def _raise_mark(
    connection: AsyncConnection, name: str, mark: datetime, now: datetime
) -> None:
    current = (
        await connection.execute(select(job_marks.c.mark).where(job_marks.c.name == name))
    ).scalar_one_or_none()
    if current is None or current < mark:
        await upsert(
            connection,
            job_marks,
            [{"name": name, "mark": mark, "updated_at": now}],
            keys=("name",),
        )


async def retention_job(
    database: Database,
    *,
    now: datetime,
    retention: timedelta = DEFAULT_RETENTION,
    hourly_retention: timedelta = DEFAULT_HOURLY_RETENTION,
    batch_size: int = DEFAULT_PRUNE_BATCH,
) -> PruneCounts:
    """The retention job: prune raw results and hourly rollups past their periods.

    Raises:
        ValueError: If a period is not positive, or hourly rollups would go before the
            raw results they summarise.

    """
    if retention <= timedelta(0):
        raise ValueError("retention must be positive")
    if hourly_retention < retention:
        raise ValueError("hourly_retention must be at least retention")
    raw = await prune_raw_results(
        database, older_than=now - retention, batch_size=batch_size, now=now
    )
    hourly = await prune_hourly_rollups(database, older_than=now - hourly_retention, now=now)
    return PruneCounts(raw_results=raw, hourly_rollups=hourly)


async def rollup_rebuild_job(database: Database, *, since: datetime, until: datetime) -> int:
    """The rebuild job: recompute the rollups of ``[since, until)``; returns days rebuilt."""
    return await RollupRepository(database).rebuild(since, until)
