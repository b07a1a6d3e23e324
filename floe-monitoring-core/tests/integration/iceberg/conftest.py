"""Real Iceberg tables in a temporary SQLite catalog, and catalogs that misbehave.

The lake is written once per session (tables are cheap but not free); every test gets its
own `IcebergTableSource` because asyncio primitives belong to the test's event loop.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.types import IntegerType, LongType, StringType

from floe_monitoring.catalog import CatalogConfig, IcebergTableSource, TableSourceConfig
from floe_monitoring.catalog.local import create_local_catalog, write_table
from floe_monitoring.checks.iceberg_read import newest_data_snapshot, snapshot_time
from floe_monitoring.contracts import Contract, ContractsConfig, parse_contract

NOW = datetime.now(UTC)

ORDERS = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("updated_at", pa.timestamp("us", tz="UTC")),
        pa.field("status", pa.string()),
        pa.field("amount", pa.float64()),
    ]
)

# The schema every drift table starts from (and the contract DRIFT_PROPERTIES describes).
DRIFT = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("name", pa.string()),
        pa.field("age", pa.int32()),
        pa.field("score", pa.float32()),
        pa.field("addr", pa.struct([pa.field("city", pa.string()), pa.field("zip", pa.string())])),
        pa.field("tags", pa.list_(pa.string())),
        pa.field("attrs", pa.map_(pa.string(), pa.int64())),
    ]
)

DRIFT_PROPERTIES = """
    properties:
      - name: id
        logicalType: integer
        physicalType: long
        required: true
      - name: name
        logicalType: string
      - name: age
        logicalType: integer
        physicalType: int
      - name: score
        logicalType: number
        physicalType: float
      - name: addr
        logicalType: object
        properties:
          - name: city
            logicalType: string
          - name: zip
            logicalType: string
      - name: tags
        logicalType: array
        items:
          name: tag
          logicalType: string
      - name: attrs
        logicalType: object
"""


@dataclass
class Lake:
    """The session's catalog: where it lives and when each table was last written."""

    directory: Path
    commits: dict[str, datetime] = field(default_factory=dict)

    @property
    def catalog_config(self) -> CatalogConfig:
        return CatalogConfig.sqlite(self.directory, name="lake")

    def source_config(
        self, *extra: CatalogConfig, max_workers: int = 8, call_timeout_seconds: float = 30.0
    ) -> TableSourceConfig:
        return TableSourceConfig(
            catalogs=(self.catalog_config, *extra),
            max_workers=max_workers,
            call_timeout_seconds=call_timeout_seconds,
        )


def _orders(hours_old: list[float], start_id: int = 1) -> pa.Table:
    return pa.table(
        {
            "id": list(range(start_id, start_id + len(hours_old))),
            "updated_at": [NOW - timedelta(hours=h) for h in hours_old],
            "status": ["ok"] * len(hours_old),
            "amount": [10.0] * len(hours_old),
        },
        schema=ORDERS,
    )


def _drift_rows() -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "id": 1,
                "name": "a",
                "age": 30,
                "score": 1.5,
                "addr": {"city": "x", "zip": "1"},
                "tags": ["t"],
                "attrs": [("k", 1)],
            }
        ],
        schema=DRIFT,
    )


def _write_drift_tables(catalog: SqlCatalog) -> None:
    for name in ("same", "added", "dropped", "widened", "narrowed", "renamed", "nullable"):
        write_table(catalog, f"drift.{name}", _drift_rows())
    with catalog.load_table("drift.added").update_schema() as update:
        update.add_column("extra", StringType())
    with catalog.load_table("drift.dropped").update_schema() as update:
        update.delete_column("name")
    with catalog.load_table("drift.widened").update_schema() as update:
        update.update_column("age", field_type=LongType())
    # Narrowing is impossible in place: drop the column and add it back narrower (new id).
    with catalog.load_table("drift.narrowed").update_schema() as update:
        update.delete_column("id")
    with catalog.load_table("drift.narrowed").update_schema() as update:
        update.add_column("id", IntegerType())
    with catalog.load_table("drift.renamed").update_schema() as update:
        update.rename_column("name", "full_name")
    with catalog.load_table("drift.nullable").update_schema() as update:
        update.make_column_optional("id")
    write_table(catalog, "drift.nested", _drift_rows())
    with catalog.load_table("drift.nested").update_schema() as update:
        update.delete_column(("addr", "zip"))
        update.add_column(("addr", "country"), StringType())


@pytest.fixture(scope="session")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Lake:
    """A catalog with fresh, stale, empty, evolved and quality tables (namespace shop/drift)."""
    lake = Lake(tmp_path_factory.mktemp("lake"))
    catalog = create_local_catalog(lake.directory, name="lake")
    try:
        write_table(catalog, "shop.orders", _orders([3, 2]))
        write_table(catalog, "shop.orders", _orders([0.5, 0.1], start_id=3))
        write_table(catalog, "shop.stale", _orders([240, 250]))
        write_table(catalog, "shop.never_written", _orders([]), mode="create")
        write_table(catalog, "shop.emptied", _orders([1]))
        write_table(catalog, "shop.emptied", _orders([]), mode="overwrite")
        write_table(catalog, "shop.one_commit", _orders([1]))
        # Rows stamped 3 days after the commit: seen from 5 days on, only 2 days of history
        # remain in a table that has existed for 5 (as if older rows had been purged).
        write_table(catalog, "shop.purged", _orders([-72, -73]))
        iso = pa.table({"id": [1, 2], "ts": [(NOW - timedelta(hours=5)).isoformat(), None]})
        write_table(catalog, "shop.text_time", iso)
        _write_drift_tables(catalog)
        write_table(catalog, "shop.quality", QUALITY_ROWS)
        for name in ("shop.orders", "shop.stale", "shop.one_commit", "shop.emptied"):
            snapshot = newest_data_snapshot(catalog.load_table(name))
            assert snapshot is not None
            lake.commits[name] = snapshot_time(snapshot)
    finally:
        catalog.close()
    return lake


QUALITY_ROWS = pa.table(
    {
        "id": pa.array([1, 2, 3, 4, 5, 5], pa.int64()),
        "email": ["a@x.io", "b@x.io", "bad", None, "", "e@x.io"],
        "status": ["ok", "ok", "late", "ok", "??", "ok"],
        "country": ["FR", "FR", "DE", "DE", "FR", "FR"],
        "amount": [1.0, 2.0, 3.0, None, 5.0, 5.0],
    }
)


@pytest.fixture
async def source(lake: Lake) -> AsyncIterator[IcebergTableSource]:
    """A table source over the lake."""
    async with IcebergTableSource(lake.source_config()) as table_source:
        yield table_source


@pytest.fixture
def build_contract() -> Callable[..., Contract]:
    """Build a contract around a YAML body (schema/slaProperties), catalog lake, ns shop."""

    def build(
        body: str, *, namespace: str = "shop", config: ContractsConfig | None = None
    ) -> Contract:
        header = f"""
apiVersion: v3.1.0
kind: DataContract
id: test-contract
name: test_contract
version: 1.0.0
status: active
servers:
  - server: lake
    type: iceberg
    catalog: lake
    namespace: {namespace}
"""
        return parse_contract(header + body, source="test.yaml", config=config)

    return build


def clock_at(moment: datetime) -> Callable[[], datetime]:
    """A clock frozen at ``moment``."""
    return lambda: moment


@pytest.fixture
def at() -> Callable[[datetime], Callable[[], datetime]]:
    """Make a frozen clock: ``at(moment)``."""
    return clock_at


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def unreachable_catalog() -> CatalogConfig:
    """A REST catalog on a port nobody listens on: the catalog cannot be reached."""
    return CatalogConfig(
        name="down", properties={"type": "rest", "uri": f"http://127.0.0.1:{_free_port()}"}
    )


class _RestHandler(BaseHTTPRequestHandler):
    """A REST catalog that answers its config, then 503s (or hangs) on every table."""

    release: threading.Event
    hang: bool

    def do_GET(self) -> None:
        if self.path.startswith("/v1/config"):
            self._send(200, {"defaults": {}, "overrides": {}})
        elif self.hang:
            self.release.wait(10)
            self._send(503, _rest_error(503, "hung"))
        else:
            self._send(503, _rest_error(503, "catalog overloaded"))

    def _send(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


def _rest_error(code: int, message: str) -> dict[str, object]:
    return {"error": {"message": message, "type": "ServiceUnavailableException", "code": code}}


@dataclass
class FakeRest:
    """A running fake REST catalog."""

    url: str
    release: threading.Event

    def config(self, name: str, *, timeout_seconds: float | None = None) -> CatalogConfig:
        return CatalogConfig(
            name=name,
            properties={"type": "rest", "uri": self.url},
            timeout_seconds=timeout_seconds,
        )


def _serve(hang: bool) -> Iterator[FakeRest]:
    release = threading.Event()
    handler = type("Handler", (_RestHandler,), {"release": release, "hang": hang})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield FakeRest(f"http://127.0.0.1:{server.server_address[1]}", release)
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def failing_rest() -> Iterator[FakeRest]:
    """A REST catalog that is up but answers 503 for every table."""
    yield from _serve(hang=False)


@pytest.fixture
def hanging_rest() -> Iterator[FakeRest]:
    """A REST catalog that never answers table requests (until the test ends)."""
    yield from _serve(hang=True)
