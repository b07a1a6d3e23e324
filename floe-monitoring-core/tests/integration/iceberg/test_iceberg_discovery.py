"""Catalog table discovery on real tables in a temporary SQLite catalog."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from pyiceberg.catalog import Catalog, load_catalog
from pyiceberg.exceptions import NoSuchNamespaceError
from pyiceberg.table import Table

from floe_monitoring.catalog import (
    CatalogConfig,
    CatalogLike,
    DiscoveryResult,
    IcebergTableSource,
    TableRef,
    TableSourceConfig,
    discover_tables,
    list_catalog_tables,
)
from floe_monitoring.catalog.discovery import MAX_NAMESPACES
from floe_monitoring.catalog.local import create_local_catalog, write_table
from floe_monitoring.contracts import (
    Contract,
    ContractOverrides,
    ContractsConfig,
    TableOverride,
    map_tables,
    parse_contract,
)
from floe_monitoring.errors import CatalogUnavailableError

from .conftest import FakeRest

Identifier = tuple[str, ...]

TABLES = (
    "sales.orders",
    "archive.orders",  # a second "orders": existing tables must still be left alone
    "eu.sales.invoices",  # nested namespace: found only by walking recursively
    "crm.customers",
    "legacy.customers",  # two candidates: ambiguous
    "eu.PRODUCTS",  # matched case-insensitively
    "ops.shipments_v2",  # the physical name wins over ...
    "ops.shipments",  # ... the schema object's name
)


@pytest.fixture(scope="module")
def lake_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite catalog ``disc`` holding `TABLES` (one row each)."""
    directory = tmp_path_factory.mktemp("discovery")
    catalog = create_local_catalog(directory, name="disc")
    try:
        for identifier in TABLES:
            write_table(catalog, identifier, pa.table({"id": pa.array([1], pa.int64())}))
    finally:
        catalog.close()
    return directory


def _config(directory: Path, *extra: CatalogConfig) -> TableSourceConfig:
    disc = CatalogConfig.sqlite(directory, name="disc", max_concurrency=2)
    return TableSourceConfig(catalogs=(disc, *extra))


@pytest.fixture
async def source(lake_dir: Path) -> AsyncIterator[IcebergTableSource]:
    """A table source over catalog ``disc``."""
    async with IcebergTableSource(_config(lake_dir)) as table_source:
        yield table_source


def contract(
    *objects: str, namespace: str | None = "sales", catalog: str = "disc", **physical: str
) -> Contract:
    """A contract with one schema object per name (``physical[name]`` as its physicalName)."""
    schema = "".join(
        f"  - name: {name}\n"
        + (f"    physicalName: {physical[name]}\n" if name in physical else "")
        for name in objects
    )
    server = f"    namespace: {namespace}\n" if namespace else ""
    text = f"""
apiVersion: v3.1.0
kind: DataContract
id: discovery
name: discovery
version: 1.0.0
servers:
  - server: lake
    type: iceberg
    catalog: {catalog}
{server}schema:
{schema}"""
    return parse_contract(text, source="discovery.yaml")


def override(identifier: str) -> TableOverride:
    return TableOverride(identifier=identifier, catalog="disc")


class Wrapped:
    """A real catalog that records listing threads, hides tables or drops namespaces."""

    def __init__(
        self,
        inner: Catalog,
        *,
        hide: frozenset[str] = frozenset(),
        vanished: frozenset[Identifier] = frozenset(),
    ) -> None:
        self.inner = inner
        self.hide = hide
        self.vanished = vanished
        self.threads: list[str] = []

    def load_table(self, identifier: str) -> Table:
        return self.inner.load_table(identifier)

    def list_namespaces(self, namespace: str | Identifier = ()) -> list[Identifier]:
        self.threads.append(threading.current_thread().name)
        if namespace in self.vanished:
            raise NoSuchNamespaceError(f"Namespace does not exist: {namespace}")
        return self.inner.list_namespaces(namespace)

    def list_tables(self, namespace: str | Identifier) -> list[Identifier]:
        self.threads.append(threading.current_thread().name)
        tables = self.inner.list_tables(namespace)
        return [t for t in tables if ".".join(t) not in self.hide]

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()


def wrapping(
    *, hide: frozenset[str] = frozenset(), vanished: frozenset[Identifier] = frozenset()
) -> tuple[list[Wrapped], Callable[[CatalogConfig], CatalogLike]]:
    made: list[Wrapped] = []

    def factory(config: CatalogConfig) -> CatalogLike:
        inner = load_catalog(config.name, **config.properties)
        wrapped = Wrapped(inner, hide=hide, vanished=vanished)
        made.append(wrapped)
        return wrapped

    return made, factory


async def test_lists_every_namespace_recursively_sorted(source: IcebergTableSource) -> None:
    assert await list_catalog_tables(source, "disc") == sorted(TABLES)


async def test_wrong_namespace_finds_the_table_in_another_namespace(
    source: IcebergTableSource,
) -> None:
    wrong = contract("invoices", namespace="finance")
    assert wrong.objects[0].table == TableRef.parse("finance.invoices", catalog="disc")

    result = await discover_tables(wrong, source, catalog="disc")

    assert result == DiscoveryResult(
        overrides={"invoices": override("eu.sales.invoices")}, listed=len(TABLES)
    )
    assert result.ok
    # The override is what the monitor config's `tables` takes: the remapped table loads.
    config = ContractsConfig(contracts={"discovery": ContractOverrides(tables=result.overrides)})
    remapped = map_tables(wrong, config)
    ref = remapped.objects[0].table
    assert ref == TableRef.parse("eu.sales.invoices", catalog="disc")
    assert await source.probe(ref) >= 0


async def test_two_candidates_are_ambiguous_and_get_no_override(
    source: IcebergTableSource,
) -> None:
    result = await discover_tables(contract("customers"), source, catalog="disc")
    assert result.ambiguous == {"customers": ["crm.customers", "legacy.customers"]}
    assert result.overrides == {}
    assert result.missing == []


async def test_no_candidate_is_missing(source: IcebergTableSource) -> None:
    result = await discover_tables(contract("returns", "refunds"), source, catalog="disc")
    assert result.missing == ["returns", "refunds"]  # contract order
    assert result.overrides == {}
    assert result.ambiguous == {}
    assert result.listed == len(TABLES)


async def test_existing_tables_are_left_alone(source: IcebergTableSource) -> None:
    # sales.orders exists; archive.orders would be a candidate if it did not.
    result = await discover_tables(contract("orders"), source, catalog="disc")
    assert result == DiscoveryResult(listed=len(TABLES))


async def test_case_insensitive_and_physical_name_first(source: IcebergTableSource) -> None:
    mixed = contract("products", "shipments", "orders", shipments="shipments_v2")
    result = await discover_tables(mixed, source, catalog="disc")
    assert result.overrides == {
        "products": override("eu.PRODUCTS"),
        "shipments": override("ops.shipments_v2"),  # not ops.shipments (its name)
    }
    assert result.ambiguous == {}
    assert result.missing == []


async def test_a_mapped_table_in_another_case_is_found(source: IcebergTableSource) -> None:
    # The SQLite catalog is case-sensitive: "eu.sales.INVOICES" does not load.
    upper = contract("INVOICES", namespace="eu.sales")
    result = await discover_tables(upper, source, catalog="disc")
    assert result.overrides == {"INVOICES": override("eu.sales.invoices")}


async def test_unmapped_objects_are_discovered(source: IcebergTableSource) -> None:
    # No namespace anywhere: the object has no table at all, discovery still finds it.
    unmapped = contract("invoices", namespace=None)
    assert unmapped.objects[0].table is None
    result = await discover_tables(unmapped, source, catalog="disc")
    assert result.overrides == {"invoices": override("eu.sales.invoices")}


async def test_objects_mapped_to_another_catalog_are_left_alone(
    source: IcebergTableSource,
) -> None:
    elsewhere = contract("invoices", "returns", catalog="other")
    result = await discover_tables(elsewhere, source, catalog="disc")
    assert result == DiscoveryResult(listed=len(TABLES))


async def test_an_unlisted_table_that_loads_is_left_alone(lake_dir: Path) -> None:
    # A catalog may hide tables from listings; loading decides whether the table exists.
    made, factory = wrapping(hide=frozenset({"sales.orders"}))
    async with IcebergTableSource(_config(lake_dir), catalog_factory=factory) as hiding:
        result = await discover_tables(contract("orders"), hiding, catalog="disc")
    assert result == DiscoveryResult(listed=len(TABLES) - 1)
    assert made


async def test_listing_runs_in_the_pool_within_the_permits(lake_dir: Path) -> None:
    made, factory = wrapping()
    async with IcebergTableSource(_config(lake_dir), catalog_factory=factory) as counted:
        assert await list_catalog_tables(counted, "disc") == sorted(TABLES)
        stats = counted.stats("disc")
    (wrapped,) = made
    assert wrapped.threads
    assert all(name.startswith("floe-iceberg") for name in wrapped.threads)
    assert stats.peak_in_flight <= 2  # the catalog's max_concurrency
    # One open, one call for the top level, one per namespace (archive crm eu eu.sales legacy
    # ops sales).
    assert stats.calls == 1 + 1 + 7


async def test_a_namespace_dropped_while_walking_is_skipped(lake_dir: Path) -> None:
    _, factory = wrapping(vanished=frozenset({("eu",)}))
    async with IcebergTableSource(_config(lake_dir), catalog_factory=factory) as dropping:
        tables = await list_catalog_tables(dropping, "disc")
    assert "eu.PRODUCTS" not in tables
    assert "eu.sales.invoices" not in tables
    assert "sales.orders" in tables


async def test_unreachable_catalog_gives_an_error_not_an_exception(
    lake_dir: Path, unreachable_catalog: CatalogConfig
) -> None:
    secret = "client-id:s3cr3t-value"
    down = unreachable_catalog.model_copy(
        update={"properties": {**unreachable_catalog.properties, "credential": secret}}
    )
    async with IcebergTableSource(_config(lake_dir, down)) as source:
        result = await discover_tables(contract("orders", catalog="down"), source, catalog="down")
        with pytest.raises(CatalogUnavailableError, match="cannot be opened"):
            await list_catalog_tables(source, "down")
    assert not result.ok
    assert result.error is not None
    assert "catalog 'down' cannot be opened" in result.error
    assert "s3cr3t" not in result.error
    assert (result.overrides, result.ambiguous, result.missing, result.listed) == ({}, {}, [], 0)


async def test_unconfigured_catalog_gives_an_error(source: IcebergTableSource) -> None:
    result = await discover_tables(contract("orders"), source, catalog="nowhere")
    assert result.error == "catalog 'nowhere' is not configured in the monitor"


async def test_catalog_that_fails_listing_gives_an_error(
    lake_dir: Path, failing_rest: FakeRest
) -> None:
    async with IcebergTableSource(_config(lake_dir, failing_rest.config("rest"))) as source:
        result = await discover_tables(contract("orders", catalog="rest"), source, catalog="rest")
    assert result.error is not None
    assert result.error.startswith("catalog 'rest' cannot list the top level: ")
    assert "ServiceUnavailableError" in result.error


async def test_catalog_that_hangs_gives_a_timeout_error(
    lake_dir: Path, hanging_rest: FakeRest
) -> None:
    rest = hanging_rest.config("rest", timeout_seconds=0.2)
    async with IcebergTableSource(_config(lake_dir, rest)) as source:
        result = await discover_tables(contract("orders", catalog="rest"), source, catalog="rest")
        hanging_rest.release.set()
    assert result.error == "catalog 'rest' did not answer within 0.2 s"


class Fake:
    """An in-memory catalog that misbehaves (no PyIceberg behind it)."""

    def __init__(self, children: Callable[[Identifier], list[Identifier]]) -> None:
        self.children = children

    def load_table(self, identifier: str) -> Table:
        raise AssertionError("discovery should not load tables here")

    def list_namespaces(self, namespace: str | Identifier = ()) -> list[Identifier]:
        assert isinstance(namespace, tuple)
        return self.children(namespace)

    def list_tables(self, namespace: str | Identifier) -> list[Identifier]:
        assert isinstance(namespace, tuple)
        return [(*namespace, "t")]


def fake_source(catalog: CatalogLike) -> IcebergTableSource:
    config = TableSourceConfig(catalogs=(CatalogConfig(name="fake"),))
    return IcebergTableSource(config, catalog_factory=lambda _: catalog)


async def test_cycles_and_descendant_listings_are_walked_once() -> None:
    def children(namespace: Identifier) -> list[Identifier]:
        # The root lists every descendant; "a" lists itself and its parent's sibling.
        return {(): [("a",), ("a", "b")], ("a",): [("a",), ("a", "b"), ("c",)]}.get(namespace, [])

    async with fake_source(Fake(children)) as source:
        tables = await list_catalog_tables(source, "fake")
    assert tables == ["a.b.t", "a.t", "c.t"]


async def test_a_catalog_inventing_namespaces_is_stopped() -> None:
    def children(namespace: Identifier) -> list[Identifier]:
        return [(*namespace, str(n)) for n in range(100)] if len(namespace) < 3 else []

    async with fake_source(Fake(children)) as source:
        result = await discover_tables(contract("t", catalog="fake"), source, catalog="fake")
    assert result.error == (
        f"catalog 'fake' has more than {MAX_NAMESPACES} namespaces; discovery stopped"
    )


async def test_a_catalog_that_cannot_list_gives_an_error() -> None:
    class LoadOnly:
        def load_table(self, identifier: str) -> Table:
            raise AssertionError("not reached")

    async with fake_source(LoadOnly()) as source:
        result = await discover_tables(contract("t", catalog="fake"), source, catalog="fake")
    assert result.error == "catalog 'fake' cannot list namespaces and tables"
