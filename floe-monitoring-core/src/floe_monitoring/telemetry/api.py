"""`Telemetry`: the one object through which a monitor emits metrics, spans and lineage.

Example::

    telemetry = Telemetry.from_env(service_name="floe-monitoring", prometheus=True)
    with telemetry.check_span(contract, check.check_type, check.element) as span:
        result = await check.run(contract, source, clock)
        span.set_result(result)
    telemetry.record_result(result)
    ...
    await telemetry.aclose()
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from importlib.metadata import version
from typing import TYPE_CHECKING

from opentelemetry import metrics as metrics_api
from opentelemetry import trace as trace_api

from floe_monitoring.checks.base import CheckResult, CheckType
from floe_monitoring.contracts.model import Contract
from floe_monitoring.sdk.event import ContractViolationEvent, now_utc
from floe_monitoring.telemetry.lineage_config import LineageConfig
from floe_monitoring.telemetry.metrics import MonitorMetrics
from floe_monitoring.telemetry.names import INSTRUMENTATION_NAME
from floe_monitoring.telemetry.setup import Providers, providers_from_env
from floe_monitoring.telemetry.tracing import CheckSpan, DeliverySpan, MonitorTracer

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from floe_monitoring.delivery.dispatcher import DeliveryOutcome
    from floe_monitoring.telemetry.lineage import LineageEmitter

__all__ = ["PROMETHEUS_CONTENT_TYPE", "Telemetry"]

_log = logging.getLogger("floe_monitoring.telemetry")

#: The ``Content-Type`` of `Telemetry.render_prometheus` (Prometheus text format 0.0.4).
PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Telemetry:
    """Metrics, spans and lineage of one monitor.

    Without arguments it records through the global OpenTelemetry API: a no-op unless
    the application configured the SDK. Tests pass their own SDK providers.

    Args:
        meter_provider: Where the ``floe`` meter comes from.
        tracer_provider: Where the ``floe`` tracer comes from.
        lineage: An OpenLineage config (an emitter is built) or a ready emitter; None
            sends no lineage.
        prometheus_registry: The registry `render_prometheus` renders, if any.
        on_shutdown: Callbacks `shutdown` runs (provider shutdowns).
        clock: Now, in UTC (for the availability window).
    """

    def __init__(
        self,
        *,
        meter_provider: metrics_api.MeterProvider | None = None,
        tracer_provider: trace_api.TracerProvider | None = None,
        lineage: LineageConfig | LineageEmitter | None = None,
        prometheus_registry: CollectorRegistry | None = None,
        on_shutdown: Sequence[Callable[[], object]] = (),
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        scope_version = version("floe-monitoring-core")
        meters = meter_provider or metrics_api.get_meter_provider()
        tracers = tracer_provider or trace_api.get_tracer_provider()
        self.metrics = MonitorMetrics(
            meters.get_meter(INSTRUMENTATION_NAME, scope_version), clock=clock
        )
        self.tracer = MonitorTracer(tracers.get_tracer(INSTRUMENTATION_NAME, scope_version))
        self.lineage: LineageEmitter | None = None
        if isinstance(lineage, LineageConfig):
            from floe_monitoring.telemetry.lineage import LineageEmitter

            self.lineage = LineageEmitter(lineage, metrics=self.metrics)
        else:
            self.lineage = lineage
        self._registry = prometheus_registry
        self._on_shutdown = list(on_shutdown)
        self._closed = False

    @classmethod
    def from_env(
        cls,
        service_name: str = "floe-monitoring",
        *,
        prometheus: bool = False,
        lineage: LineageConfig | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> Telemetry:
        """The service's telemetry, as the environment and its config ask for.

        Args:
            service_name: The resource's ``service.name`` (``OTEL_SERVICE_NAME`` wins).
            prometheus: Keep a Prometheus registry for `render_prometheus` (``/metrics``).
            lineage: OpenLineage settings; None uses ``OPENLINEAGE_*`` when they are set.
            environ: The environment (``os.environ`` by default).
        """
        providers: Providers = providers_from_env(
            service_name, prometheus=prometheus, environ=environ
        )
        wanted = lineage if lineage is not None else LineageConfig.from_env(environ)
        emitter: LineageEmitter | None = None
        telemetry = cls(
            meter_provider=providers.meter_provider,
            tracer_provider=providers.tracer_provider,
            prometheus_registry=providers.prometheus_registry,
            on_shutdown=providers.owned,
        )
        if wanted is not None:
            emitter = _lineage_emitter(wanted, telemetry.metrics)
        telemetry.lineage = emitter
        return telemetry

    @classmethod
    def disabled(cls) -> Telemetry:
        """Telemetry that records nothing, whatever the global providers are."""
        return cls(
            meter_provider=metrics_api.NoOpMeterProvider(),
            tracer_provider=trace_api.NoOpTracerProvider(),
        )

    # -- checks ----------------------------------------------------------------------

    def check_span(
        self, contract: Contract, check_type: CheckType | str, element: str | None = None
    ) -> AbstractContextManager[CheckSpan]:
        """A span around one check run; call ``set_result`` on what it yields."""
        return self.tracer.check_span(contract, check_type, element)

    def record_result(self, result: CheckResult) -> None:
        """Count a check result (executions, duration, violations) and update gauges."""
        self.metrics.record_result(result)

    def record_lag(self, seconds: float) -> None:
        """Record how late a scheduled check started (the scheduler's ``on_lag``)."""
        self.metrics.record_lag(seconds)

    def forget_contract(self, contract_id: str) -> None:
        """Stop reporting gauges of a retired contract."""
        self.metrics.forget_contract(contract_id)

    def seed_availability(
        self,
        check_key: str,
        contract_id: str,
        contract_name: str,
        samples: Iterable[tuple[datetime, bool]],
    ) -> None:
        """Load stored availability probes ``(started_at, available)`` after a restart."""
        self.metrics.seed_availability(check_key, contract_id, contract_name, samples)

    # -- delivery --------------------------------------------------------------------

    def delivery_span(
        self,
        channel: str,
        events: Sequence[ContractViolationEvent],
        *,
        delivery_id: str | None = None,
        attempt: int | None = None,
    ) -> AbstractContextManager[DeliverySpan]:
        """A span around one send, child of the check span named in the events' metadata."""
        return self.tracer.delivery_span(channel, events, delivery_id=delivery_id, attempt=attempt)

    def record_delivery(self, outcome: DeliveryOutcome) -> None:
        """Count a delivery attempt's outcome (pass it as the dispatcher's ``on_outcome``)."""
        self.metrics.record_delivery(outcome)

    def observe_outbox(
        self, depth: int, oldest_age_seconds: float | None, dead_letters: int
    ) -> None:
        """Set the outbox gauges from the store's figures (call it periodically)."""
        self.metrics.observe_outbox(depth, oldest_age_seconds, dead_letters)

    # -- state database ----------------------------------------------------------------

    def record_dropped(self, count: int, reason: str) -> None:
        """Count check results that will never be stored (`metrics.DropReason`)."""
        self.metrics.record_dropped(count, reason)

    # -- lineage ---------------------------------------------------------------------

    def emit_evaluation(
        self,
        contract: Contract,
        results: Sequence[CheckResult],
        events: Sequence[ContractViolationEvent] = (),
    ) -> bool:
        """Queue one contract evaluation's OpenLineage run; never blocks.

        Returns:
            True when queued; False when lineage is off or the queue is full.
        """
        if self.lineage is None:
            return False
        return self.lineage.emit_evaluation(contract, results, events)

    def emit_cycle(
        self,
        results: Iterable[CheckResult],
        events: Iterable[ContractViolationEvent],
        contract_of: Callable[[str], Contract | None],
    ) -> int:
        """Queue one run per contract for a batch of results; returns how many were queued.

        Args:
            results: The results written in one cycle.
            events: The notifications that cycle raised.
            contract_of: Looks up a loaded contract by id (None when retired).
        """
        if self.lineage is None:
            return 0
        grouped: dict[str, list[CheckResult]] = defaultdict(list)
        for result in results:
            grouped[result.contract_id].append(result)
        raised: dict[str, list[ContractViolationEvent]] = defaultdict(list)
        for event in events:
            raised[event.contract_id or event.contract_name].append(event)
        queued = 0
        for contract_id, rows in grouped.items():
            contract = contract_of(contract_id)
            if contract is not None and self.emit_evaluation(
                contract, rows, raised.get(contract_id, [])
            ):
                queued += 1
        return queued

    # -- export ----------------------------------------------------------------------

    @property
    def prometheus_enabled(self) -> bool:
        """True when `render_prometheus` has something to render."""
        return self._registry is not None

    def render_prometheus(self) -> bytes | None:
        """The Prometheus text exposition of every metric, or None when not enabled.

        Collection runs the gauge callbacks, which only read memory: cheap enough for a
        request handler on the event loop.
        """
        if self._registry is None:
            return None
        from prometheus_client import generate_latest

        return generate_latest(self._registry)

    def shutdown(self) -> None:
        """Flush and stop exporters and the lineage worker (blocking; idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self.lineage is not None:
            self.lineage.close()
        for stop in self._on_shutdown:
            try:
                stop()
            except Exception as exc:  # one exporter's failure must not stop the others
                _log.warning("telemetry shutdown step failed: %s", type(exc).__name__)

    async def aclose(self) -> None:
        """`shutdown` in a worker thread, for async callers."""
        await asyncio.to_thread(self.shutdown)


def _lineage_emitter(config: LineageConfig, metrics: MonitorMetrics) -> LineageEmitter | None:
    # Lineage is optional: a missing client or a bad transport config is reported and
    # lineage stays off; monitoring itself never depends on it.
    try:
        import openlineage.client  # noqa: F401  only to tell "not installed" apart
    except ImportError:
        _log.warning(
            "OpenLineage was asked for, but openlineage-python is not installed: "
            "pip install 'floe-monitoring-core[lineage]'"
        )
        return None
    from floe_monitoring.telemetry.lineage import LineageEmitter

    try:
        return LineageEmitter(config, metrics=metrics)
    except Exception as exc:  # the message may quote the config, which may hold a key
        _log.error(
            "OpenLineage disabled: its transport could not be built (%s); check the "
            "lineage transport settings or OPENLINEAGE_* variables",
            type(exc).__name__,
        )
        return None
