"""Retention of raw results and the singleton jobs that keep SLA history tidy.

Raw results are kept `DEFAULT_RETENTION` (90 days, configurable) and deleted in batches,
each batch its own short transaction, so neither backend holds a long lock and the
monitor keeps writing while the job runs. Rollups are never pruned: they are the SLA
history once raw results are gone. Before the first rows older than a cutoff go, the
cutoff is recorded (`RAW_PRUNED_MARK`, in the same transaction), so a rollup rebuild never
recomputes a day from raw results that are no longer complete.

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
from datetime import datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from floe_monitoring.store.database import Database
from floe_monitoring.store.rollups import RAW_PRUNED_MARK, RollupRepository
from floe_monitoring.store.schema import check_results, job_marks
from floe_monitoring.store.upsert import upsert

__all__ = [
    "DEFAULT_PRUNE_BATCH",
    "DEFAULT_RETENTION",
    "lock_id",
    "prune_raw_results",
    "retention_job",
    "rollup_rebuild_job",
    "singleton",
]

#: How long raw results are kept by default.
DEFAULT_RETENTION = timedelta(days=90)

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
                await _raise_mark(connection, older_than, now or older_than)
                marked = True
        deleted += result.rowcount
        if result.rowcount < batch_size:
            return deleted


async def _raise_mark(connection: AsyncConnection, mark: datetime, now: datetime) -> None:
    current = (
        await connection.execute(
            select(job_marks.c.mark).where(job_marks.c.name == RAW_PRUNED_MARK)
        )
    ).scalar_one_or_none()
    if current is None or current < mark:
        await upsert(
            connection,
            job_marks,
            [{"name": RAW_PRUNED_MARK, "mark": mark, "updated_at": now}],
            keys=("name",),
        )


async def retention_job(
    database: Database,
    *,
    now: datetime,
    retention: timedelta = DEFAULT_RETENTION,
    batch_size: int = DEFAULT_PRUNE_BATCH,
) -> int:
    """The retention job: prune raw results older than `retention`; returns the count."""
    if retention <= timedelta(0):
        raise ValueError("retention must be positive")
    return await prune_raw_results(
        database, older_than=now - retention, batch_size=batch_size, now=now
    )


async def rollup_rebuild_job(database: Database, *, since: datetime, until: datetime) -> int:
    """The rebuild job: recompute the rollups of ``[since, until)``; returns days rebuilt."""
    return await RollupRepository(database).rebuild(since, until)
