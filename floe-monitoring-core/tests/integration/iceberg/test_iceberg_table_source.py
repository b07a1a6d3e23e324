"""`IcebergTableSource`: error classification, timeouts, caching, and the worker threads."""

from __future__ import annotations

import asyncio
import threading

import pytest
from pyiceberg.table import Table

from floe_monitoring.catalog import (
    CatalogConfig,
    CatalogLike,
    IcebergTableSource,
    TableRef,
    TableSourceConfig,
)
from floe_monitoring.errors import (
    CatalogNotConfiguredError,
    CatalogTimeoutError,
    CatalogUnavailableError,
    TableNotFoundError,
)

from .conftest import FakeRest, Lake

ORDERS = TableRef.parse("shop.orders", catalog="lake")


async def test_fn_runs_in_a_worker_thread_and_returns_its_result(
    source: IcebergTableSource,
) -> None:
    def read(table: Table) -> tuple[str, int]:
        return threading.current_thread().name, len(table.schema().fields)

    thread, columns = await source.with_table(ORDERS, read)
    assert thread.startswith("floe-iceberg")
    assert columns == 4


async def test_missing_table_and_namespace_are_table_not_found(source: IcebergTableSource) -> None:
    for identifier in ("shop.no_such_table", "no_such_ns.orders"):
        with pytest.raises(TableNotFoundError) as caught:
            await source.probe(TableRef.parse(identifier, catalog="lake"))
        assert caught.value.table == identifier
        assert caught.value.catalog == "lake"


async def test_unconfigured_catalog(source: IcebergTableSource) -> None:
    with pytest.raises(CatalogNotConfiguredError, match="'elsewhere' is not configured"):
        await source.probe(TableRef.parse("shop.orders", catalog="elsewhere"))


async def test_unreachable_catalog_is_unavailable_and_retried_next_time(
    lake: Lake, unreachable_catalog: CatalogConfig
) -> None:
    ref = TableRef.parse("shop.orders", catalog="down")
    async with IcebergTableSource(lake.source_config(unreachable_catalog)) as down:
        for attempt in (1, 2):
            with pytest.raises(CatalogUnavailableError, match="cannot be opened: ConnectionError"):
                await down.probe(ref)
            assert down.stats("down").calls == attempt  # a failed open is not cached


async def test_catalog_errors_are_unavailable_not_missing(
    lake: Lake, failing_rest: FakeRest
) -> None:
    ref = TableRef.parse("shop.orders", catalog="rest")
    async with IcebergTableSource(lake.source_config(failing_rest.config("rest"))) as rest:
        with pytest.raises(CatalogUnavailableError) as caught:
            await rest.probe(ref)
    assert not isinstance(caught.value, TableNotFoundError)
    assert "ServiceUnavailableError" in str(caught.value)


async def test_timeout_keeps_the_permit_until_the_thread_ends(
    lake: Lake, hanging_rest: FakeRest
) -> None:
    ref = TableRef.parse("shop.orders", catalog="rest")
    config = TableSourceConfig(
        catalogs=(
            CatalogConfig(
                name="rest",
                properties={"type": "rest", "uri": hanging_rest.url},
                max_concurrency=1,
                timeout_seconds=0.2,
            ),
        )
    )
    async with IcebergTableSource(config) as rest:
        with pytest.raises(CatalogTimeoutError, match=r"did not answer within 0\.2 s"):
            await rest.probe(ref)
        assert rest.stats("rest").in_flight == 1  # the hung call still holds its permit
        hanging_rest.release.set()
        for _ in range(200):
            if rest.stats("rest").in_flight == 0:
                break
            await asyncio.sleep(0.01)
        assert rest.stats("rest").in_flight == 0
        assert rest.stats("rest").timeouts == 1


async def test_storage_errors_are_unavailable_and_others_propagate(
    source: IcebergTableSource,
) -> None:
    def unreadable(table: Table) -> None:
        raise FileNotFoundError("data file vanished")

    def buggy(table: Table) -> None:
        raise ValueError("a bug in the check")

    with pytest.raises(CatalogUnavailableError, match="FileNotFoundError"):
        await source.with_table(ORDERS, unreadable)
    with pytest.raises(ValueError, match="a bug in the check"):
        await source.with_table(ORDERS, buggy)


async def test_each_catalog_is_loaded_once(lake: Lake) -> None:
    from pyiceberg.catalog import load_catalog

    opened: list[str] = []

    def factory(config: CatalogConfig) -> CatalogLike:
        opened.append(config.name)
        return load_catalog(config.name, **config.properties)

    async with IcebergTableSource(lake.source_config(), catalog_factory=factory) as counted:
        await asyncio.gather(*(counted.probe(ORDERS) for _ in range(10)))
    assert opened == ["lake"]


def test_config_rejects_duplicate_catalog_names(lake: Lake) -> None:
    with pytest.raises(ValueError, match="repeated: lake"):
        TableSourceConfig(catalogs=(lake.catalog_config, lake.catalog_config))
    assert "catalog.db" not in repr(lake.catalog_config)  # properties stay out of repr
