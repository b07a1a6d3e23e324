"""The engine's telemetry end to end: a check's trace reaches the stored result, the
event's metadata and the webhook receiver; metrics count what happened."""

from __future__ import annotations

from datetime import timedelta

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from floe_monitoring.engine import ContractMonitor
from floe_monitoring.telemetry import Telemetry

from .conftest import World


async def test_trace_ids_flow_from_check_to_store_to_receiver(world: World) -> None:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    telemetry = Telemetry(
        meter_provider=MeterProvider(metric_readers=[reader]), tracer_provider=tracer_provider
    )

    await world.clock.advance(timedelta(hours=2).total_seconds())
    async with ContractMonitor(world.config, clock=world.clock, telemetry=telemetry) as monitor:
        await monitor.run_once(check_types=["freshness"])
        [stored] = await monitor.store.results(check_type="freshness")
        data = reader.get_metrics_data()

    [event] = world.received()
    [request] = world.receiver.requests
    trace_id = stored["trace_id"]
    assert isinstance(trace_id, str)
    assert len(trace_id) == 32
    assert event["metadata"]["trace_id"] == trace_id
    assert request.headers["traceparent"].split("-")[1] == trace_id  # the receiver joins the trace
    finished = {s.name: s for s in spans.get_finished_spans()}
    check_spans = [
        s
        for s in finished.values()
        if s.attributes and s.attributes.get("floe.check.type") == "freshness"
    ]
    assert check_spans
    attributes = check_spans[0].attributes
    assert attributes is not None
    assert attributes["floe.check.status"] == "fail"
    delivery = [
        s
        for s in spans.get_finished_spans()
        if s.parent is not None and s.context.trace_id == int(trace_id, 16)
    ]
    assert delivery, "the delivery attempt is a span in the check's trace"
    assert data is not None
    names = {m.name for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
    assert {"floe.contract.violations", "floe.check.executions", "floe.notifications"} <= names
