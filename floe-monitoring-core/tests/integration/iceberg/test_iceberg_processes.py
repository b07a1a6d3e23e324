"""Table reads in worker processes (`TableSourceConfig.processes`): same answers, same errors.

Real worker processes (forkserver) load real tables from the session's SQLite catalog and
from a fake REST catalog that hangs. Reads sent to them must be picklable, so these tests
use the checks' own reads and standard-library callables, never local functions (except
where a read that cannot be sent is the point).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import operator
import os
import pickle
import signal
from collections.abc import AsyncIterator, Callable
from datetime import datetime

import pytest
from pyiceberg.catalog import load_catalog
from pyiceberg.table import Table

from floe_monitoring.catalog import (
    CatalogConfig,
    CatalogLike,
    IcebergTableSource,
    TableRef,
    TableSourceConfig,
)
from floe_monitoring.checks import CheckResult, CheckStatus, checks_for_contract
from floe_monitoring.checks.freshness import _newest
from floe_monitoring.checks.iceberg_read import ColumnMissingError
from floe_monitoring.checks.schema_drift import _observe
from floe_monitoring.contracts import Contract
from floe_monitoring.errors import (
    CatalogTimeoutError,
    CatalogUnavailableError,
    TableNotFoundError,
)

from .conftest import FakeRest, Lake
from .test_iceberg_quality import ALL_HOLD

Build = Callable[..., Contract]
At = Callable[[datetime], Callable[[], datetime]]
ORDERS = TableRef.parse("shop.orders", catalog="lake")

ORDERS_BODY = """
schema:
  - name: orders
    properties:
      - name: id
        logicalType: integer
      - name: updated_at
        logicalType: timestamp
  - name: stale
    properties:
      - name: id
        logicalType: integer
  - name: missing_table
    properties:
      - name: id
        logicalType: integer
slaProperties:
  - property: latency
    value: 1
    unit: d
"""


def _config(lake: Lake, *extra: CatalogConfig, processes: int = 1) -> TableSourceConfig:
    return TableSourceConfig(catalogs=(lake.catalog_config, *extra), processes=processes)


@pytest.fixture
async def in_process(lake: Lake) -> AsyncIterator[IcebergTableSource]:
    """A table source whose reads run in one worker process."""
    async with IcebergTableSource(_config(lake)) as table_source:
        yield table_source


async def _run_reads(
    source: IcebergTableSource, contract: Contract, clock: Callable[[], datetime]
) -> list[CheckResult]:
    """Every check but availability (a probe of the monitor's own connection, in a thread)."""
    checks = [c for c in checks_for_contract(contract) if c.check_type.value != "availability"]
    return list(await asyncio.gather(*(c.run(contract, source, clock) for c in checks)))


def _comparable(results: list[CheckResult]) -> list[tuple[object, ...]]:
    return sorted(
        (r.check_type.value, r.table, r.status.value, r.message, r.measured_value) for r in results
    )


async def test_checks_give_the_same_results_in_worker_processes_as_in_threads(
    lake: Lake, build_contract: Build, at: At
) -> None:
    loads_here: list[str] = []

    class Counting:
        """The parent's own catalog: with processes, tables are loaded elsewhere."""

        def __init__(self, inner: CatalogLike) -> None:
            self.inner = inner

        def load_table(self, identifier: str) -> Table:
            loads_here.append(identifier)
            return self.inner.load_table(identifier)

    def factory(config: CatalogConfig) -> CatalogLike:
        return Counting(load_catalog(config.name, **config.properties))

    contracts = [build_contract(ORDERS_BODY), build_contract(ALL_HOLD)]
    clock = at(lake.commits["shop.orders"])  # as the table was written: no clock skew
    async with IcebergTableSource(_config(lake, processes=0)) as threads:
        expected = [r for c in contracts for r in await _run_reads(threads, c, clock)]
    async with IcebergTableSource(_config(lake), catalog_factory=factory) as processes:
        await processes.catalog("lake")  # opened first, as in a running monitor
        got = [r for c in contracts for r in await _run_reads(processes, c, clock)]
        stats = processes.stats("lake")
    assert _comparable(got) == _comparable(expected)
    statuses = {(r.check_type.value, r.table): r.status for r in got}
    assert statuses[("freshness", "lake:shop.orders")] is CheckStatus.PASS
    assert statuses[("freshness", "lake:shop.missing_table")] is CheckStatus.FAIL
    assert statuses[("schema_drift", "lake:shop.missing_table")] is CheckStatus.FAIL
    assert statuses[("quality", "lake:shop.quality")] is CheckStatus.PASS
    assert loads_here == []  # every table was loaded in the worker process
    # One call per table (its checks share the load), and the parent opened the catalog.
    tables = {r.table for r in got}
    assert stats.calls == len(tables) + 1


async def test_one_call_to_a_process_carries_the_tables_waiting_for_it(lake: Lake) -> None:
    tables = ["orders", "stale", "never_written", "emptied", "one_commit", "purged", "quality"]
    one_lane = CatalogConfig.sqlite(lake.directory, name="lake", max_concurrency=1)
    config = TableSourceConfig(catalogs=(one_lane,), processes=1)
    async with IcebergTableSource(config) as source:
        await source.catalog("lake")  # one call: opening the catalog
        observed = await asyncio.gather(
            *(
                source.with_table(TableRef.parse(f"shop.{t}", catalog="lake"), _observe)
                for t in tables
            )
        )
        stats = source.stats("lake")
    assert all(o.fields for o in observed)
    # Every table was queued before the catalog's only lane sent its call: one call.
    assert stats.calls == 2


async def test_errors_cross_the_process_boundary_with_their_fields(
    in_process: IcebergTableSource,
) -> None:
    missing = TableRef.parse("shop.no_such_table", catalog="lake")
    with pytest.raises(TableNotFoundError) as caught:
        await in_process.with_table(missing, _observe)
    assert (caught.value.catalog, caught.value.table) == ("lake", "shop.no_such_table")
    with pytest.raises(ColumnMissingError, match="no column 'nope'"):
        await in_process.with_table(ORDERS, functools.partial(_newest, "nope"))
    observed = await in_process.with_table(ORDERS, _observe)
    assert [f.path for f in observed.fields][:2] == ["id", "updated_at"]


async def test_a_read_that_cannot_be_pickled_runs_in_a_thread_and_says_so_once(
    in_process: IcebergTableSource, caplog: pytest.LogCaptureFixture
) -> None:
    def local_read(table: Table) -> int:  # a local function cannot be pickled
        return len(table.schema().fields)

    with caplog.at_level(logging.WARNING, logger="floe_monitoring.catalog.source"):
        first = await in_process.with_table(ORDERS, local_read)
        second = await in_process.with_table(ORDERS, local_read)
    assert first == second == 4
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "runs in a worker thread instead" in warnings[0]
    assert "local_read" in warnings[0]


async def test_a_table_with_a_read_that_cannot_be_pickled_leaves_its_call_alone(
    lake: Lake, caplog: pytest.LogCaptureFixture
) -> None:
    def local_read(table: Table) -> int:
        return len(table.schema().fields)

    one_lane = CatalogConfig.sqlite(lake.directory, name="lake", max_concurrency=1)
    async with IcebergTableSource(TableSourceConfig(catalogs=(one_lane,), processes=1)) as source:
        await source.catalog("lake")
        refs = [TableRef.parse(f"shop.{t}", catalog="lake") for t in ("orders", "stale", "quality")]
        with caplog.at_level(logging.WARNING, logger="floe_monitoring.catalog.source"):
            local_call = asyncio.ensure_future(source.with_table(refs[1], local_read))
            observed = await asyncio.gather(*(source.with_table(ref, _observe) for ref in refs))
            local = await local_call
        calls = source.stats("lake").calls
    assert all(o.fields for o in observed)
    assert local == 4
    # The open, one call to the process for the sendable tables, one thread call for stale.
    assert calls == 3
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1


async def test_a_result_that_cannot_be_sent_back_is_an_error_naming_its_type(
    in_process: IcebergTableSource,
) -> None:
    with pytest.raises(RuntimeError, match=r"result \(\w+\) cannot be sent back"):
        await in_process.with_table(ORDERS, operator.attrgetter("catalog"))
    # The process is still fine.
    assert (await in_process.with_table(ORDERS, _observe)).schema_id == 0


async def test_a_hung_catalog_times_out_and_closing_ends_the_process(
    lake: Lake, hanging_rest: FakeRest
) -> None:
    ref = TableRef.parse("shop.orders", catalog="rest")
    config = _config(lake, hanging_rest.config("rest", timeout_seconds=0.5))
    source = IcebergTableSource(config)
    try:
        with pytest.raises(CatalogTimeoutError, match=r"did not answer within 0\.5 s"):
            await source.with_table(ref, _observe)
        assert source.stats("rest").in_flight == 1  # the hung call still holds its permit
        pids = _worker_pids(source)
        assert pids
    finally:
        await source.aclose()
    for pid in pids:  # ended by aclose, not left behind waiting for the catalog
        for _ in range(200):
            if not _alive(pid):
                break
            await asyncio.sleep(0.01)
        assert not _alive(pid)


async def test_a_worker_process_that_dies_fails_its_call_and_is_replaced(
    lake: Lake, hanging_rest: FakeRest
) -> None:
    hung = TableRef.parse("shop.orders", catalog="rest")
    async with IcebergTableSource(_config(lake, hanging_rest.config("rest"))) as source:
        await source.with_table(ORDERS, _observe)  # the process is up
        call = asyncio.ensure_future(source.with_table(hung, _observe))
        for _ in range(500):
            if source.stats("rest").calls:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # the call has reached the process
        for pid in _worker_pids(source):
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(CatalogUnavailableError, match="worker process ended unexpectedly"):
            await asyncio.wait_for(call, 30)
        # The next call gets a new process.
        observed = await source.with_table(ORDERS, _observe)
    assert observed.schema_id == 0


def test_catalog_errors_survive_pickling() -> None:
    error = TableNotFoundError("table lake.shop.x does not exist", catalog="lake", table="shop.x")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes
    assert type(copy) is TableNotFoundError
    assert (str(copy), copy.catalog, copy.table) == (str(error), "lake", "shop.x")
    timeout = pickle.loads(pickle.dumps(CatalogTimeoutError("slow", catalog="rest")))  # noqa: S301
    assert isinstance(timeout, CatalogUnavailableError)
    assert (timeout.catalog, timeout.table) == ("rest", None)


def _worker_pids(source: IcebergTableSource) -> list[int]:
    # ProcessPoolExecutor has no public list of its processes; the test reaches in.
    processes = source._processes
    assert processes is not None
    pool = processes._pool
    assert pool is not None
    return [p.pid for p in pool._processes.values() if p.pid is not None]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child of the forkserver may linger as a zombie until reaped: read its state.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False
