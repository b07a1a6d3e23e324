"""Telemetry on the real OpenTelemetry SDK, read back in memory; results and contracts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    HistogramDataPoint,
    InMemoryMetricReader,
    NumberDataPoint,
)
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from floe_monitoring.checks.base import CheckResult
from floe_monitoring.contracts import Contract, parse_contract
from floe_monitoring.telemetry import Telemetry

NOW = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)

CONTRACT_YAML = """
apiVersion: v3.1.0
kind: DataContract
id: urn:contract:orders
name: orders
version: 1.2.0
status: active
servers:
  - server: lake
    type: iceberg
    catalog: lake
    namespace: shop
    warehouse: file:///lake/warehouse
schema:
  - name: orders
    properties:
      - name: id
        logicalType: integer
        physicalType: long
      - name: updated_at
        logicalType: timestamp
      - name: address
        logicalType: object
        properties:
          - name: city
            logicalType: string
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
    clock: list[datetime]

    def points(self, name: str) -> list[tuple[dict[str, Any], Any]]:
        """Every data point of metric `name`: (attributes, value or histogram point)."""
        data = self.reader.get_metrics_data()
        found: list[tuple[dict[str, Any], Any]] = []
        if data is None:
            return found
        for resource in data.resource_metrics:
            for scope in resource.scope_metrics:
                assert scope.scope.name == "floe"
                for metric in scope.metrics:
                    if metric.name != name:
                        continue
                    for point in metric.data.data_points:
                        attributes = dict(point.attributes or {})
                        if isinstance(point, HistogramDataPoint):
                            found.append((attributes, point))
                        else:
                            assert isinstance(point, NumberDataPoint)
                            found.append((attributes, point.value))
        return found

    def value(self, name: str, **attributes: str) -> Any:
        """The one point of `name` whose attributes include `attributes` (keys with dots)."""
        wanted = {k.replace("__", "."): v for k, v in attributes.items()}
        matches = [v for a, v in self.points(name) if all(a.get(k) == v for k, v in wanted.items())]
        assert len(matches) == 1, (name, wanted, self.points(name))
        return matches[0]

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
    clock = [NOW]
    telemetry = Telemetry(meter_provider=meters, tracer_provider=tracers, clock=lambda: clock[0])
    yield Recorded(telemetry, reader, exporter, clock)
    telemetry.shutdown()
    meters.shutdown()
    tracers.shutdown()


def make_result(**overrides: Any) -> CheckResult:
    """A freshness failure of orders.updated_at; keyword arguments replace fields."""
    fields: dict[str, Any] = {
        "contract_id": "urn:contract:orders",
        "contract_name": "orders",
        "contract_version": "1.2.0",
        "check_type": "freshness",
        "element": "orders.updated_at",
        "status": "fail",
        "severity": "error",
        "measured_value": 25200.0,
        "threshold": 21600.0,
        "unit": "s",
        "message": "orders is 7h old (SLA 6h)",
        "started_at": NOW,
        "duration_seconds": 0.2,
        "table": "lake:shop.orders",
        "snapshot_id": 4242,
    }
    fields.update(overrides)
    return CheckResult.model_validate(fields)


@pytest.fixture
def result_factory() -> Callable[..., CheckResult]:
    """Build results: ``result_factory(status="pass")``."""
    return make_result


@pytest.fixture
def contract() -> Contract:
    """The orders contract (catalog lake, namespace shop)."""
    return parse_contract(CONTRACT_YAML, source="orders.yaml")
