"""What the environment turns on: OTLP, Prometheus, OpenLineage, or nothing."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider

from floe_monitoring.catalog import CatalogConfig, TableSourceConfig
from floe_monitoring.telemetry import LineageConfig, Telemetry, providers_from_env
from floe_monitoring.telemetry.lineage_config import lineage_configured_in_env


@pytest.fixture
def restore_environ() -> Iterator[None]:
    """Put os.environ back as it was (the OpenLineage client writes aliases into it)."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def test_nothing_configured_means_the_global_api() -> None:
    providers = providers_from_env("floe", environ={})
    assert providers.meter_provider is metrics.get_meter_provider()
    assert providers.tracer_provider is trace.get_tracer_provider()
    assert providers.prometheus_registry is None
    assert providers.owned == []


def test_prometheus_gets_an_sdk_meter_and_a_registry_of_its_own() -> None:
    first = providers_from_env("floe", prometheus=True, environ={})
    second = providers_from_env("floe", prometheus=True, environ={})
    try:
        assert isinstance(first.meter_provider, MeterProvider)
        assert first.prometheus_registry is not None
        assert first.prometheus_registry is not second.prometheus_registry
        # Prometheus is metrics only: spans stay on the global API.
        assert first.tracer_provider is trace.get_tracer_provider()
        assert len(first.owned) == 1
    finally:
        for stop in (*first.owned, *second.owned):
            stop()


def test_the_sdk_can_be_disabled_whatever_else_is_set() -> None:
    environ = {"OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"}
    providers = providers_from_env("floe", prometheus=True, environ=environ)
    assert providers.prometheus_registry is None
    assert providers.owned == []


def test_each_otlp_signal_can_be_turned_off() -> None:
    environ = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_TRACES_EXPORTER": "none",
    }
    providers = providers_from_env("floe", environ=environ)
    assert providers.owned == []
    assert not isinstance(providers.tracer_provider, TracerProvider)


def test_a_missing_sdk_warns_once_and_falls_back(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.metrics", None)
    with caplog.at_level(logging.WARNING, logger="floe_monitoring.telemetry"):
        providers = providers_from_env("floe", prometheus=True, environ={})
    assert providers.prometheus_registry is None
    assert "floe-monitoring-core[telemetry]" in caplog.text


def test_telemetry_from_an_empty_environment_records_nothing_anywhere() -> None:
    telemetry = Telemetry.from_env(environ={})
    assert telemetry.lineage is None
    assert not telemetry.prometheus_enabled
    assert telemetry.render_prometheus() is None
    telemetry.shutdown()
    telemetry.shutdown()  # idempotent


def test_telemetry_with_prometheus_renders_the_floe_metrics() -> None:
    telemetry = Telemetry.from_env("floe-test", prometheus=True, environ={})
    try:
        telemetry.record_lag(0.2)
        text = telemetry.render_prometheus()
        assert text is not None
        assert b"floe_schedule_lag_seconds_count" in text
        assert b'service_name="floe-test"' in text  # target_info carries the resource
    finally:
        telemetry.shutdown()


def test_lineage_is_on_when_the_standard_variables_configure_it() -> None:
    assert not lineage_configured_in_env({})
    assert lineage_configured_in_env({"OPENLINEAGE_URL": "http://127.0.0.1:5000"})
    assert lineage_configured_in_env({"OPENLINEAGE__TRANSPORT__TYPE": "console"})
    assert lineage_configured_in_env({"OPENLINEAGE_CONFIG": "/etc/openlineage.yml"})
    assert not lineage_configured_in_env(
        {"OPENLINEAGE_URL": "http://127.0.0.1:5000", "OPENLINEAGE_DISABLED": "TRUE"}
    )
    config = LineageConfig.from_env(
        {"OPENLINEAGE_URL": "http://127.0.0.1:5000", "OPENLINEAGE_NAMESPACE": "prod-monitor"}
    )
    assert config is not None
    assert config.namespace == "prod-monitor"
    assert LineageConfig.from_env({}) is None


def test_telemetry_from_env_builds_the_lineage_transport_from_the_variables(
    restore_environ: None,
) -> None:
    os.environ["OPENLINEAGE_URL"] = "http://127.0.0.1:9"
    telemetry = Telemetry.from_env()
    try:
        assert telemetry.lineage is not None
        assert telemetry.lineage.config.namespace == "floe-monitoring"
        assert type(telemetry.lineage.client).__name__ == "OpenLineageClient"
    finally:
        telemetry.shutdown()


def test_an_explicit_transport_config_wins(restore_environ: None) -> None:
    config = LineageConfig(transport={"type": "http", "url": "http://127.0.0.1:9"})
    telemetry = Telemetry.from_env(lineage=config, environ={})
    try:
        assert telemetry.lineage is not None
        transport = getattr(telemetry.lineage.client, "transport", None)
        assert getattr(transport, "kind", None) == "http"
    finally:
        telemetry.shutdown()


def test_a_broken_transport_config_disables_lineage_not_the_monitor(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = LineageConfig(transport={"type": "no-such-transport"})
    with caplog.at_level(logging.ERROR, logger="floe_monitoring.telemetry"):
        telemetry = Telemetry.from_env(lineage=config, environ={})
    assert telemetry.lineage is None
    assert "OpenLineage disabled" in caplog.text


def test_catalogs_describe_type_and_warehouse_never_the_uri(tmp_path: Path) -> None:
    source = TableSourceConfig(
        catalogs=(
            CatalogConfig.sqlite(tmp_path, name="lake"),
            CatalogConfig(name="prod", properties={"uri": "https://rest.example/api"}),
        )
    )
    config = LineageConfig(catalog_types={"prod": "polaris"}).with_catalogs(source)
    assert config.catalog_types == {"lake": "sql", "prod": "polaris"}
    assert config.catalog_warehouses == {"lake": (tmp_path / "warehouse").as_uri()}
    assert "sqlite" not in repr(config)
    assert config.dataset_namespace("lake") == "iceberg://lake"
