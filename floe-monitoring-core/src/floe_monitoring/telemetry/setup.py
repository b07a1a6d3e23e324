"""Building the OpenTelemetry SDK the service runs with, from the standard variables.

- ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or the ``_METRICS_``/``_TRACES_`` variants) set: metrics
  and spans go out over OTLP/HTTP (the exporters read the other ``OTEL_EXPORTER_OTLP_*``
  variables themselves); ``OTEL_METRICS_EXPORTER=none`` / ``OTEL_TRACES_EXPORTER=none``
  turn one signal off.
- ``prometheus=True``: a Prometheus reader on a registry of its own, rendered by
  `Telemetry.render_prometheus` for the service's ``/metrics``.
- neither (or ``OTEL_SDK_DISABLED=true``): no SDK at all. The global API providers are
  used, which are no-ops unless the host application configured OpenTelemetry itself.

The SDK and exporters are the ``telemetry`` extra; without it, asking for them logs one
warning and falls back to the API.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import TYPE_CHECKING

from opentelemetry import metrics, trace

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

__all__ = ["Providers", "providers_from_env"]

_log = logging.getLogger("floe_monitoring.telemetry")


@dataclass
class Providers:
    """The providers one monitor records through, and how to stop them.

    Attributes:
        meter_provider: Where the ``floe`` meter comes from.
        tracer_provider: Where the ``floe`` tracer comes from.
        prometheus_registry: The registry the Prometheus reader fills, when enabled.
        owned: Shutdown callbacks of providers built here (none for global ones).
    """

    meter_provider: metrics.MeterProvider
    tracer_provider: trace.TracerProvider
    prometheus_registry: CollectorRegistry | None = None
    owned: list[Callable[[], object]] = field(default_factory=list)


def _flag(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip().lower()


def _otlp_endpoint(env: Mapping[str, str], signal: str) -> str | None:
    """The OTLP/HTTP URL of one signal, or None when it is not exported.

    Resolved here (not left to the exporter) so that what decides and where it sends
    read the same mapping; the exporters still read headers, timeout and certificates.
    """
    if _flag(env, f"OTEL_{signal}_EXPORTER") == "none":
        return None
    specific = env.get(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
    if specific:
        return specific
    base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    return f"{base.rstrip('/')}/v1/{signal.lower()}" if base else None


def providers_from_env(
    service_name: str,
    *,
    prometheus: bool = False,
    environ: Mapping[str, str] | None = None,
) -> Providers:
    """Providers as the environment (and the ``prometheus`` switch) ask for.

    Args:
        service_name: ``service.name`` of the resource (``OTEL_SERVICE_NAME`` wins).
        prometheus: Also keep a Prometheus registry to scrape.
        environ: The environment (``os.environ`` by default).
    """
    env = os.environ if environ is None else environ
    fallback = Providers(metrics.get_meter_provider(), trace.get_tracer_provider())
    if _flag(env, "OTEL_SDK_DISABLED") == "true":
        return fallback
    otlp_metrics, otlp_traces = _otlp_endpoint(env, "METRICS"), _otlp_endpoint(env, "TRACES")
    if not (otlp_metrics or otlp_traces or prometheus):
        return fallback
    try:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        _log.warning(
            "telemetry was asked for, but the OpenTelemetry SDK is not installed: "
            "pip install 'floe-monitoring-core[telemetry]'"
        )
        return fallback

    resource = Resource.create(
        {"service.name": service_name, "service.version": version("floe-monitoring-core")}
    )
    providers = Providers(fallback.meter_provider, fallback.tracer_provider)
    readers: list[MetricReader] = []
    if otlp_metrics:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter(endpoint=otlp_metrics)))
    if prometheus:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from prometheus_client import CollectorRegistry

        # A registry of our own: the process-global one would mix in whatever else the
        # process registers, and a second monitor in the process would collide.
        providers.prometheus_registry = CollectorRegistry(auto_describe=True)
        readers.append(PrometheusMetricReader(registry=providers.prometheus_registry))
    if readers:
        meter_provider = MeterProvider(resource=resource, metric_readers=readers)
        providers.meter_provider = meter_provider
        providers.owned.append(meter_provider.shutdown)
    if otlp_traces:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        tracer_provider = TracerProvider(resource=resource)
        tracer_provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_traces))
        )
        providers.tracer_provider = tracer_provider
        providers.owned.append(tracer_provider.shutdown)
    return providers
