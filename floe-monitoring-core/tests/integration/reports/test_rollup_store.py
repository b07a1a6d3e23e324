"""Rollups in the real store (SQLite and PostgreSQL): incremental, rebuilt, pruned, guarded."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from floe_monitoring import ContractViolationEvent
from floe_monitoring.checks import CheckResult
from floe_monitoring.store import CycleWrite, OutboxEntry, StateStore, StoredResult
from floe_monitoring.store.retention import (
    DEFAULT_RETENTION,
    Horizons,
    PruneCounts,
    lock_id,
    prune_raw_results,
    read_horizons,
    retention_job,
    rollup_rebuild_job,
    singleton,
)
from floe_monitoring.store.rollups import (
    HOURLY_PRUNED_MARK,
    RAW_PRUNED_MARK,
    RollupRepository,
    RollupRow,
)
from floe_monitoring.store.schema import job_marks, sla_rollups

ResultFactory = Callable[..., CheckResult]
Register = Callable[..., Awaitable[None]]
EventFactory = Callable[..., ContractViolationEvent]
T0 = datetime(2026, 3, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
MIN = timedelta(minutes=1)


def _by_bucket(rows: list[RollupRow]) -> dict[Any, dict[str, Any]]:
    return {
        (r.granularity, r.bucket_start, r.check_type): r.totals.as_row()
        | {"measured_sum": round(r.totals.measured_sum, 6)}
        for r in rows
        if not r.totals.is_empty
    }


async def _all_rollups(store: StateStore, contract_id: str = "urn:orders") -> dict[Any, Any]:
    repository = RollupRepository(store.database)
    rows = await repository.series(contract_id, None, "hour", T0 - HOUR * 48, T0 + HOUR * 200)
    rows += await repository.series(contract_id, None, "day", T0 - HOUR * 48, T0 + HOUR * 200)
    return _by_bucket(rows)


async def test_incremental_rollups_equal_a_rebuild(
    store: StateStore, result_factory: ResultFactory
) -> None:
    rnd = random.Random(7)
    stored = [
        StoredResult(
            result_factory(
                rnd.choice(["freshness", "availability", "quality"]),
                rnd.choice(["pass", "warn", "fail", "error", "skipped"]),
                T0 + timedelta(seconds=rnd.randrange(2 * 86_400)),
                measured=rnd.choice([None, rnd.uniform(0, 10)]),
            ),
            in_maintenance=rnd.random() < 0.1,
        )
        for _ in range(250)
    ]
    rnd.shuffle(stored)  # late and out-of-order writes included
    for start in range(0, len(stored), 9):
        await store.write(CycleWrite(results=stored[start : start + 9]))
    incremental = await _all_rollups(store)
    assert await RollupRepository(store.database).rebuild(T0 - HOUR, T0 + 3 * 24 * HOUR) == 4
    assert await _all_rollups(store) == incremental
    daily = [k for k in incremental if k[0] == "day"]
    assert {k[1] for k in daily} <= {T0, T0 + 24 * HOUR, T0 + 48 * HOUR}
    total = sum(
        v["pass_count"] + v["maintenance_count"] for k, v in incremental.items() if k[0] == "day"
    )
    assert total == sum(1 for s in stored if s.in_maintenance or s.result.status.value == "pass")


async def test_a_new_result_shortens_the_span_of_the_previous_one(
    store: StateStore, result_factory: ResultFactory
) -> None:
    await store.write(CycleWrite(results=[StoredResult(result_factory("freshness", "fail", T0))]))
    (alone,) = await RollupRepository(store.database).series(
        "urn:orders", "freshness", "day", T0, T0 + 24 * HOUR
    )
    assert (alone.totals.observed_seconds, alone.totals.good_seconds) == (900.0, 0.0)
    later = result_factory("freshness", "pass", T0 + 5 * MIN)
    await store.write(CycleWrite(results=[StoredResult(later)]))
    (both,) = await RollupRepository(store.database).series(
        "urn:orders", "freshness", "day", T0, T0 + 24 * HOUR
    )
    assert (both.totals.observed_seconds, both.totals.good_seconds) == (1_200.0, 900.0)
    assert (both.totals.fail_count, both.totals.pass_count) == (1, 1)


async def test_the_scheduled_interval_caps_a_span(
    store: StateStore, result_factory: ResultFactory, register: Register
) -> None:
    result = result_factory("availability", "pass", T0 + 10 * MIN)
    await register(store, "urn:orders", "orders", now=T0)
    await store.save_schedules(
        [
            {
                "check_key": result.key,
                "contract_id": "urn:orders",
                "check_type": "availability",
                "interval_seconds": 60.0,
                "next_due_at": T0,
            }
        ]
    )
    await store.write(CycleWrite(results=[StoredResult(result)]))
    (row,) = await RollupRepository(store.database).series(
        "urn:orders", "availability", "hour", T0, T0 + HOUR
    )
    assert row.totals.good_seconds == 60.0
    assert row.bucket_end == T0 + HOUR


async def test_a_failed_cycle_leaves_the_rollups_untouched(
    store: StateStore, result_factory: ResultFactory, event_factory: EventFactory
) -> None:
    entry = OutboxEntry(
        channel="ops", events=(event_factory(),), created_at=T0, deadline_at=T0 + HOUR
    )
    first = StoredResult(result_factory("quality", "pass", T0, measured=0.9))
    await store.write(CycleWrite(results=[first], outbox=[entry]))
    before = await _all_rollups(store)
    second = StoredResult(result_factory("quality", "fail", T0 + MIN, measured=0.1))
    with pytest.raises(IntegrityError):
        await store.write(CycleWrite(results=[second], outbox=[entry]))  # duplicate outbox row
    assert await _all_rollups(store) == before
    assert before[("day", T0, "quality")]["measured_min"] == 0.9


async def test_series_filters_by_type_granularity_and_range(
    store: StateStore, result_factory: ResultFactory
) -> None:
    results = [
        StoredResult(result_factory("quality", "pass", T0 + 30 * MIN, measured=0.5)),
        StoredResult(result_factory("quality", "fail", T0 + 90 * MIN, measured=0.25)),
        StoredResult(result_factory("schema_drift", "warn", T0 + 90 * MIN)),
    ]
    await store.write(CycleWrite(results=results))
    repository = RollupRepository(store.database)
    hours = await repository.series("urn:orders", "quality", "hour", T0, T0 + 24 * HOUR)
    assert [(r.bucket_start, r.totals.pass_count, r.totals.fail_count) for r in hours] == [
        (T0, 1, 0),
        (T0 + HOUR, 0, 1),
    ]
    (day,) = await repository.series("urn:orders", "quality", "day", T0, T0 + HOUR)
    assert (day.totals.measured_min, day.totals.measured_max) == (0.25, 0.5)
    assert day.totals.measured_avg == pytest.approx(0.375)
    everything = await repository.series("urn:orders", None, "day", T0, T0 + HOUR)
    assert [r.check_type for r in everything] == ["quality", "schema_drift"]
    assert await repository.series("urn:other", None, "day", T0, T0 + HOUR) == []
    with pytest.raises(ValueError, match="granularity"):
        await repository.series("urn:orders", None, "week", T0, T0 + HOUR)  # type: ignore[arg-type]


async def test_pruning_deletes_in_batches_and_keeps_the_rollups(
    store: StateStore, result_factory: ResultFactory
) -> None:
    results = [
        StoredResult(result_factory("availability", "pass", T0 + i * 5 * MIN)) for i in range(24)
    ]
    await store.write(CycleWrite(results=results))
    rollups = await _all_rollups(store)
    cutoff = T0 + HOUR + 30 * MIN  # 18 results before it
    deleted = await prune_raw_results(store.database, older_than=cutoff, batch_size=5, now=T0)
    assert deleted == 18
    assert len(await store.results(limit=None)) == 6
    assert await _all_rollups(store) == rollups
    async with store.database.connect() as connection:
        mark = (await connection.execute(select(job_marks.c.mark))).scalar_one()
    assert mark == cutoff
    assert await prune_raw_results(store.database, older_than=cutoff, batch_size=5) == 0


async def test_a_rebuild_never_recomputes_days_whose_raw_results_are_gone(
    store: StateStore, result_factory: ResultFactory
) -> None:
    for day in range(3):
        at = T0 + day * 24 * HOUR + 12 * HOUR
        await store.write(CycleWrite(results=[StoredResult(result_factory("quality", "pass", at))]))
    rollups = await _all_rollups(store)
    await prune_raw_results(store.database, older_than=T0 + 30 * HOUR)  # day 1 partly gone
    rebuilt = await rollup_rebuild_job(store.database, since=T0, until=T0 + 3 * 24 * HOUR)
    assert rebuilt == 1  # only day 2 is whole in raw results
    assert await _all_rollups(store) == rollups


async def test_the_retention_job_keeps_each_tier_its_period(
    store: StateStore, result_factory: ResultFactory
) -> None:
    # One quality result every 6 hours for 10 days; the job runs at 12:00 on day 10.
    results = [
        StoredResult(result_factory("quality", "pass", T0 + i * 6 * HOUR)) for i in range(40)
    ]
    await store.write(CycleWrite(results=results))
    days = await RollupRepository(store.database).series(
        "urn:orders", None, "day", T0, T0 + 10 * DAY
    )
    now = T0 + 10 * DAY + 12 * HOUR
    counts = await retention_job(store.database, now=now)
    raw_cutoff = now - DEFAULT_RETENTION
    hourly_cutoff = T0 + 2 * DAY  # the day holding now - 8 days, from its start
    assert counts == PruneCounts(raw_results=30, hourly_rollups=8)
    assert {r["started_at"] for r in await store.results(limit=None)} == {
        r.result.started_at for r in results if r.result.started_at >= raw_cutoff
    }
    hours = await RollupRepository(store.database).series("urn:orders", None, "hour", T0 - DAY, now)
    assert min(h.bucket_start for h in hours) == hourly_cutoff
    assert len(hours) == 32
    # Daily rollups are the history: all kept, unchanged.
    assert (
        await RollupRepository(store.database).series("urn:orders", None, "day", T0, T0 + 10 * DAY)
        == days
    )
    async with store.database.connect() as connection:
        assert await read_horizons(connection) == Horizons(raw=raw_cutoff, hourly=hourly_cutoff)
    # A second run finds nothing more to do and moves no mark back.
    assert await retention_job(store.database, now=now) == PruneCounts()
    with pytest.raises(ValueError, match="retention must be positive"):
        await retention_job(store.database, now=now, retention=timedelta(0))
    with pytest.raises(ValueError, match="hourly_retention"):
        await retention_job(store.database, now=now, hourly_retention=timedelta(days=1))
    with pytest.raises(ValueError, match="batch_size"):
        await prune_raw_results(store.database, older_than=now, batch_size=0)
    async with store.database.connect() as connection:
        names = (await connection.execute(select(job_marks.c.name))).scalars().all()
    assert sorted(names) == sorted([RAW_PRUNED_MARK, HOURLY_PRUNED_MARK])


async def test_singleton_lets_one_holder_in(store: StateStore) -> None:
    async with singleton(store.database, "rollups") as first:
        assert first
        if store.database.is_sqlite:
            return  # one process: always acquired
        async with singleton(store.database, "rollups") as second:
            assert not second
        async with singleton(store.database, "retention") as other:
            assert other
    async with singleton(store.database, "rollups") as again:
        assert again


async def test_singleton_releases_the_lock_when_the_block_fails(store: StateStore) -> None:
    async def failing_job() -> None:
        async with singleton(store.database, "retention") as acquired:
            assert acquired
            raise RuntimeError("job failed")

    with pytest.raises(RuntimeError, match="job failed"):
        await failing_job()
    async with singleton(store.database, "retention") as acquired:
        assert acquired
    assert lock_id("retention") == lock_id("retention") != lock_id("rollups")


async def test_concurrent_cycles_of_different_checks_add_up(
    store: StateStore, result_factory: ResultFactory
) -> None:
    elements = [f"orders_{i}" for i in range(6)]
    cycles = [
        CycleWrite(
            results=[
                StoredResult(result_factory("quality", "pass", T0 + i * MIN, element=e))
                for i in range(5)
            ]
        )
        for e in elements
    ]
    await asyncio.gather(*(store.write(c) for c in cycles))
    async with store.database.connect() as connection:
        total = (
            await connection.execute(
                select(func.sum(sla_rollups.c.pass_count)).where(sla_rollups.c.granularity == "day")
            )
        ).scalar_one()
    assert total == 30
