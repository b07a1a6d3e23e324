"""Observability of the monitor: OpenTelemetry metrics and spans, OpenLineage runs.

`Telemetry` is the one object the engine talks to (one per monitor). Metric names, units
and attribute keys are declared in `floe_monitoring.telemetry.names`; docs/observability.md
lists them with their Prometheus names. The OpenTelemetry API is a base dependency (a
no-op until the SDK is configured); the SDK and exporters are the ``telemetry`` extra,
the OpenLineage client the ``lineage`` extra.
"""

from floe_monitoring.telemetry.api import PROMETHEUS_CONTENT_TYPE, Telemetry
from floe_monitoring.telemetry.lineage_config import LineageConfig
from floe_monitoring.telemetry.metrics import LineageOutcome, MonitorMetrics
from floe_monitoring.telemetry.names import ALL_METRICS, Attr, MetricSpec, prometheus_names
from floe_monitoring.telemetry.setup import Providers, providers_from_env
from floe_monitoring.telemetry.tracing import (
    TRACE_ID_KEY,
    TRACEPARENT_KEY,
    CheckSpan,
    DeliverySpan,
    MonitorTracer,
    trace_metadata_from,
)

__all__ = [
    "ALL_METRICS",
    "PROMETHEUS_CONTENT_TYPE",
    "TRACEPARENT_KEY",
    "TRACE_ID_KEY",
    "Attr",
    "CheckSpan",
    "DeliverySpan",
    "LineageConfig",
    "LineageOutcome",
    "MetricSpec",
    "MonitorMetrics",
    "MonitorTracer",
    "Providers",
    "Telemetry",
    "prometheus_names",
    "providers_from_env",
    "trace_metadata_from",
]
