"""With OTEL_EXPORTER_OTLP_ENDPOINT set, metrics and spans go out over OTLP/HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from floe_monitoring.checks.base import CheckResult
from floe_monitoring.contracts import Contract
from floe_monitoring.telemetry import Telemetry
from floe_testing_kit import FakeHTTPServer


def _result() -> CheckResult:
    return CheckResult.model_validate(
        {
            "contract_id": "urn:contract:orders",
            "contract_name": "orders",
            "contract_version": "2.0.0",
            "check_type": "freshness",
            "element": "orders.updated_at",
            "status": "fail",
            "severity": "error",
            "measured_value": 30000.0,
            "message": "stale",
            "started_at": datetime.now(UTC),
            "duration_seconds": 0.1,
        }
    )


async def test_metrics_and_spans_reach_an_otlp_collector(
    contract: Contract, receiver: FakeHTTPServer
) -> None:
    telemetry = Telemetry.from_env(
        "floe-otlp-test", environ={"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url}
    )
    with telemetry.check_span(contract, "freshness", "orders.updated_at") as span:
        span.set_result(_result())
        trace_id = span.trace_id
    telemetry.record_result(_result())
    await telemetry.aclose()  # flushes both exporters (off the event loop)

    by_path = {r.path: r for r in receiver.requests}
    assert set(by_path) == {"/v1/metrics", "/v1/traces"}
    assert by_path["/v1/metrics"].headers["content-type"] == "application/x-protobuf"

    metrics = ExportMetricsServiceRequest.FromString(by_path["/v1/metrics"].body)
    [resource] = metrics.resource_metrics
    service = {a.key: a.value.string_value for a in resource.resource.attributes}
    assert service["service.name"] == "floe-otlp-test"
    [scope] = resource.scope_metrics
    assert scope.scope.name == "floe"
    names = {m.name for m in scope.metrics}
    assert {"floe.check.executions", "floe.contract.violations", "floe.check.duration"} <= names
    units = {m.name: m.unit for m in scope.metrics}
    assert units["floe.check.duration"] == "s"
    assert units["floe.contract.violations"] == "{violation}"

    traces = ExportTraceServiceRequest.FromString(by_path["/v1/traces"].body)
    [exported] = [s for r in traces.resource_spans for ss in r.scope_spans for s in ss.spans]
    assert exported.name == "check freshness"
    assert exported.trace_id.hex() == trace_id


async def test_a_signal_specific_endpoint_wins(receiver: FakeHTTPServer) -> None:
    telemetry = Telemetry.from_env(
        environ={
            "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": f"{receiver.url}/collector/metrics",
            "OTEL_TRACES_EXPORTER": "none",
        }
    )
    telemetry.record_lag(0.5)
    await telemetry.aclose()
    assert [r.path for r in receiver.requests] == ["/collector/metrics"]
