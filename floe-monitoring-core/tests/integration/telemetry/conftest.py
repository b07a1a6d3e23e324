"""Telemetry on the real SDK, a real Iceberg table, and loopback receivers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from floe_monitoring.catalog import CatalogConfig, IcebergTableSource, TableSourceConfig
from floe_monitoring.catalog.local import create_local_catalog, write_table
from floe_monitoring.contracts import Contract, parse_contract
from floe_monitoring.telemetry import Telemetry
from floe_testing_kit import FakeHTTPServer

NOW = datetime.now(UTC)

ORDERS = pa.schema(
    [
        pa.field("id", pa.int64(), nullable=False),
        pa.field("updated_at", pa.timestamp("us", tz="UTC")),
        pa.field("email", pa.string()),
    ]
)

# Fresh within 6 h? No: the newest row is 8 h old. Emails: one null of four (25%).
CONTRACT_YAML = """
apiVersion: v3.1.0
kind: DataContract
id: urn:contract:orders
name: orders
version: 2.0.0
status: active
servers:
  - server: lake
    type: iceberg
    catalog: lake
    namespace: shop
schema:
  - name: orders
    properties:
      - name: id
        logicalType: integer
        physicalType: long
        required: true
      - name: updated_at
        logicalType: timestamp
      - name: email
        logicalType: string
        quality:
          - id: email_nulls
            metric: nullValues
            unit: percent
            mustBeLessOrEqualTo: 50
slaProperties:
  - property: latency
    value: 6
    unit: h
    element: orders.updated_at
"""


@dataclass
class Recorded:
    """A `Telemetry` on SDK providers whose output tests read back."""

    telemetry: Telemetry
    reader: InMemoryMetricReader
    exporter: InMemorySpanExporter

    def points(self, name: str) -> list[tuple[dict[str, Any], Any]]:
        """Every data point of metric `name`: (attributes, value or histogram point)."""
        data = self.reader.get_metrics_data()
        found: list[tuple[dict[str, Any], Any]] = []
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        for point in metric.data.data_points:
                            value = point.value if isinstance(point, NumberDataPoint) else point
                            found.append((dict(point.attributes or {}), value))
        return found

    def spans(self) -> tuple[ReadableSpan, ...]:
        """Finished spans, oldest first."""
        return self.exporter.get_finished_spans()


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    """Telemetry recording into an in-memory metric reader and span exporter."""
    reader = InMemoryMetricReader()
    exporter = InMemorySpanExporter()
    meters = MeterProvider(metric_readers=[reader])
    tracers = TracerProvider()
    tracers.add_span_processor(SimpleSpanProcessor(exporter))
    telemetry = Telemetry(meter_provider=meters, tracer_provider=tracers)
    yield Recorded(telemetry, reader, exporter)
    telemetry.shutdown()
    meters.shutdown()
    tracers.shutdown()


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite catalog ``lake`` with one table, shop.orders, last written 8 h of data ago."""
    directory = tmp_path_factory.mktemp("telemetry-lake")
    catalog = create_local_catalog(directory, name="lake")
    try:
        rows = pa.table(
            {
                "id": [1, 2, 3, 4],
                "updated_at": [NOW - timedelta(hours=h) for h in (12, 10, 9, 8)],
                "email": ["a@x.io", None, "c@x.io", "d@x.io"],
            },
            schema=ORDERS,
        )
        write_table(catalog, "shop.orders", rows)
    finally:
        catalog.close()
    return directory


@pytest.fixture
async def source(lake: Path) -> AsyncIterator[IcebergTableSource]:
    """A table source over the lake."""
    config = TableSourceConfig(catalogs=(CatalogConfig.sqlite(lake, name="lake"),))
    async with IcebergTableSource(config) as table_source:
        yield table_source


@pytest.fixture
def contract() -> Contract:
    """The orders contract: latency 6 h on updated_at, at most 50% null emails."""
    return parse_contract(CONTRACT_YAML, source="orders.yaml")


@pytest.fixture
async def receiver() -> AsyncIterator[FakeHTTPServer]:
    """A loopback HTTP receiver that answers 200 and records every request."""
    async with FakeHTTPServer() as server:
        yield server
