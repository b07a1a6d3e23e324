"""A 200-table catalog checked concurrently: the per-catalog and global bounds hold."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from pyiceberg.catalog import Catalog, load_catalog
from pyiceberg.table import Table

from floe_monitoring.catalog import (
    CatalogConfig,
    CatalogLike,
    IcebergTableSource,
    TableRef,
    TableSourceConfig,
)
from floe_monitoring.catalog.local import create_local_catalog, write_table
from floe_monitoring.checks import CheckStatus, CheckType, checks_for_contract
from floe_monitoring.contracts import Contract, contract_from_dict

TABLES = 200


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalog with 200 one-row tables (written as cheaply as PyIceberg allows)."""
    directory = tmp_path_factory.mktemp("wide")
    catalog = create_local_catalog(directory, name="wide")
    row = pa.table({"id": pa.array([1], pa.int64())})
    try:
        for index in range(TABLES):
            write_table(catalog, f"many.t{index:03d}", row)
    finally:
        catalog.close()
    return directory


def _contract(*, columns: bool = False) -> Contract:
    """One contract over every table; with ``columns``, each table's schema too."""
    properties = [{"name": "id", "logicalType": "integer"}] if columns else []
    return contract_from_dict(
        {
            "apiVersion": "v3.2.0",
            "kind": "DataContract",
            "id": "wide",
            "version": "1.0.0",
            "servers": [{"server": "w", "type": "iceberg", "catalog": "wide", "namespace": "many"}],
            "schema": [
                {"name": f"t{index:03d}", **({"properties": properties} if columns else {})}
                for index in range(TABLES)
            ],
            "slaProperties": [{"property": "latency", "value": "PT1H"}],
        }
    )


class CountingCatalog:
    """Wraps a catalog; records how many `load_table` calls overlap, across all instances."""

    lock = threading.Lock()
    active = 0
    peak = 0

    def __init__(self, inner: Catalog) -> None:
        self.inner = inner

    def close(self) -> None:
        self.inner.close()

    def load_table(self, identifier: str) -> Table:
        cls = type(self)
        with cls.lock:
            cls.active += 1
            cls.peak = max(cls.peak, cls.active)
        try:
            time.sleep(0.002)  # widen the window in which calls can overlap
            return self.inner.load_table(identifier)
        finally:
            with cls.lock:
                cls.active -= 1


def _now() -> datetime:
    return datetime.now(UTC)


def _new_counter() -> type[CountingCatalog]:
    """A counter class of its own, so tests do not share peaks."""

    class Counter(CountingCatalog):
        lock = threading.Lock()
        active = 0
        peak = 0

    return Counter


def _counting_factory(counter: type[CountingCatalog]) -> Callable[[CatalogConfig], CatalogLike]:
    def factory(config: CatalogConfig) -> CatalogLike:
        # Every configured name opens the same SQLite catalog, whose tables live under "wide".
        return counter(load_catalog("wide", **config.properties))

    return factory


async def test_200_tables_checked_concurrently_within_the_catalog_limit(wide: Path) -> None:
    counter = _new_counter()
    config = TableSourceConfig(
        catalogs=(CatalogConfig.sqlite(wide, name="wide", max_concurrency=4),), max_workers=8
    )
    contract = _contract()
    checks = [c for c in checks_for_contract(contract) if c.check_type is CheckType.FRESHNESS]
    assert len(checks) == TABLES
    async with IcebergTableSource(config, catalog_factory=_counting_factory(counter)) as source:
        # The clock of the moment the tables were written (not the session's start: the
        # session may be long, and data "from the future" is flagged as clock skew).
        results = await asyncio.gather(*(c.run(contract, source, _now) for c in checks))
        stats = source.stats("wide")
    assert {r.status for r in results} == {CheckStatus.PASS}
    assert len({r.table for r in results}) == TABLES
    assert 2 <= counter.peak <= 4  # concurrent, and never more than the catalog allows
    assert stats.peak_in_flight <= 4
    # Every table loaded and read in one call, plus opening the catalog once.
    assert stats.calls == TABLES + 1


async def test_checks_of_one_table_share_a_load_in_progress(wide: Path) -> None:
    """Freshness and schema drift of the same tables, at once: one load per table."""
    loads: list[str] = []

    class Recording(CountingCatalog):
        def load_table(self, identifier: str) -> Table:
            loads.append(identifier)
            return super().load_table(identifier)

    def factory(config: CatalogConfig) -> CatalogLike:
        return Recording(load_catalog("wide", **config.properties))

    config = TableSourceConfig(
        catalogs=(CatalogConfig.sqlite(wide, name="wide", max_concurrency=4),), max_workers=8
    )
    contract = _contract(columns=True)
    wanted = {CheckType.FRESHNESS, CheckType.SCHEMA_DRIFT}
    checks = [c for c in checks_for_contract(contract) if c.check_type in wanted]
    assert len(checks) == 2 * TABLES
    # Each table's two checks side by side, as the monitor runs a contract of one table.
    checks.sort(key=lambda check: check.key.rsplit(":", 1)[-1])
    async with IcebergTableSource(config, catalog_factory=factory) as source:
        results = await asyncio.gather(*(c.run(contract, source, _now) for c in checks))
        # A later check loads again: only a load in progress is shared, never a finished one.
        again = await checks[0].run(contract, source, _now)
    assert {r.status for r in results} | {again.status} == {CheckStatus.PASS}
    assert len(loads) == TABLES + 1
    assert sorted(set(loads)) == sorted(f"many.t{i:03d}" for i in range(TABLES))


async def test_a_shared_load_that_fails_fails_every_check_waiting_for_it(wide: Path) -> None:
    config = TableSourceConfig(catalogs=(CatalogConfig.sqlite(wide, name="wide"),), max_workers=4)
    contract = contract_from_dict(
        {
            "apiVersion": "v3.2.0",
            "kind": "DataContract",
            "id": "missing",
            "version": "1.0.0",
            "servers": [{"server": "w", "type": "iceberg", "catalog": "wide", "namespace": "many"}],
            "schema": [
                {"name": "absent", "properties": [{"name": "id", "logicalType": "integer"}]}
            ],
            "slaProperties": [{"property": "latency", "value": "PT1H"}],
        }
    )
    wanted = {CheckType.FRESHNESS, CheckType.SCHEMA_DRIFT}
    checks = [c for c in checks_for_contract(contract) if c.check_type in wanted]
    assert len(checks) == 2
    async with IcebergTableSource(config) as source:
        results = await asyncio.gather(*(c.run(contract, source, _now) for c in checks))
    assert [r.status for r in results] == [CheckStatus.FAIL, CheckStatus.FAIL]
    assert all("does not exist" in r.message for r in results)


async def test_the_global_pool_bounds_all_catalogs_together(wide: Path) -> None:
    counter = _new_counter()
    catalogs = tuple(
        CatalogConfig(
            name=name, properties=CatalogConfig.sqlite(wide).properties, max_concurrency=5
        )
        for name in ("left", "right")
    )
    config = TableSourceConfig(catalogs=catalogs, max_workers=3)
    async with IcebergTableSource(config, catalog_factory=_counting_factory(counter)) as source:
        refs = [(name, f"many.t{index:03d}") for index in range(40) for name in ("left", "right")]
        await asyncio.gather(
            *(source.probe(TableRef.parse(ident, catalog=name)) for name, ident in refs)
        )
    assert 2 <= counter.peak <= 3
