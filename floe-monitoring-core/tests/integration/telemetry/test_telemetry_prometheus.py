"""A Prometheus scrape, parsed: every declared metric appears under its derived name."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from floe_monitoring.checks.base import CheckResult
from floe_monitoring.delivery.dispatcher import DeliveryOutcome
from floe_monitoring.telemetry import (
    ALL_METRICS,
    PROMETHEUS_CONTENT_TYPE,
    LineageOutcome,
    Telemetry,
    prometheus_names,
)
from floe_monitoring.telemetry.metrics import DropReason
from floe_monitoring.telemetry.names import prometheus_base_name


def _result(check_type: str, status: str, value: float | None) -> CheckResult:
    return CheckResult.model_validate(
        {
            "contract_id": "urn:contract:orders",
            "contract_name": "orders",
            "contract_version": "1.0.0",
            "check_type": check_type,
            "element": "orders",
            "status": status,
            "severity": "error" if status == "fail" else None,
            "measured_value": value,
            "message": "m",
            "started_at": datetime.now(UTC),
            "duration_seconds": 0.05,
        }
    )


@pytest.fixture
def scraped() -> Iterator[Telemetry]:
    """Telemetry with Prometheus on, every metric recorded at least once."""
    telemetry = Telemetry.from_env("floe-monitoring", prometheus=True, environ={})
    telemetry.record_result(_result("freshness", "fail", 7200.0))
    telemetry.record_result(_result("quality", "pass", 0.9))
    telemetry.record_result(_result("availability", "pass", 0.01))
    telemetry.record_lag(0.3)
    telemetry.record_delivery(DeliveryOutcome("slack", "d1", "retry", 1, "server_error"))
    telemetry.observe_outbox(2, 30.0, 1)
    telemetry.metrics.record_lineage(LineageOutcome.EMITTED)
    telemetry.record_dropped(1, DropReason.BUFFER_FULL)
    yield telemetry
    telemetry.shutdown()


def _scrape(telemetry: Telemetry) -> dict[str, set[str]]:
    text = telemetry.render_prometheus()
    assert text is not None
    families: dict[str, set[str]] = {}
    for family in text_string_to_metric_families(text.decode("utf-8")):
        families[family.name] = {sample.name for sample in family.samples}
    return families


def test_every_metric_is_exported_under_the_name_the_rules_derive(scraped: Telemetry) -> None:
    families = _scrape(scraped)
    samples = set().union(*families.values())
    for spec in ALL_METRICS:
        assert prometheus_names(spec) <= samples, spec.name
    declared = set().union(*(prometheus_names(s) for s in ALL_METRICS))
    floe_samples = {s for s in samples if s.startswith("floe_")}
    assert floe_samples == declared


def test_the_specification_s_names(scraped: Telemetry) -> None:
    samples = set().union(*_scrape(scraped).values())
    assert {
        "floe_contract_violations_total",
        "floe_check_duration_seconds_bucket",
        "floe_data_staleness_seconds",
        "floe_availability_ratio",
        "floe_quality_score",
        "floe_schedule_lag_seconds_bucket",
        "floe_notifications_total",
        "floe_delivery_failures_total",
        "floe_outbox_depth",
    } <= samples


def test_labels_are_the_sanitized_attribute_keys(scraped: Telemetry) -> None:
    text = scraped.render_prometheus()
    assert text is not None
    families = {f.name: f for f in text_string_to_metric_families(text.decode("utf-8"))}
    violations = families[prometheus_base_name(ALL_METRICS[0])]
    [sample] = violations.samples
    assert sample.labels["floe_contract_name"] == "orders"
    assert sample.labels["floe_violation_type"] == "freshness"
    assert sample.labels["floe_violation_severity"] == "error"
    failures = next(f for n, f in families.items() if n == "floe_delivery_failures")
    assert failures.samples[0].labels["error_type"] == "server_error"
    assert failures.type == "counter"


async def test_the_scrape_is_served_over_http(scraped: Telemetry) -> None:
    # What the service's /metrics does: the rendered bytes with Prometheus' content type.
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        body = scraped.render_prometheus() or b""
        head = (
            "HTTP/1.1 200 OK\r\n"
            f"Content-Type: {PROMETHEUS_CONTENT_TYPE}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        await writer.drain()
        response = await reader.read()
        writer.close()
    finally:
        server.close()
        await server.wait_closed()
    head, _, body = response.partition(b"\r\n\r\n")
    assert b"text/plain; version=0.0.4" in head
    names = {f.name for f in text_string_to_metric_families(body.decode("utf-8"))}
    assert "floe_contract_violations" in names  # the family; samples end in _total
