"""`floe sla monitor`: the engine as a long-running service.

`/healthz` answers 200 while the process lives. `/readyz` answers 200 when the state
store is reachable, the scheduler runs and every channel is healthy, and 503 naming
the degraded parts otherwise; its body also counts the results dropped since start
(``overflow``) and the writes given up on (``refused_writes``). `/metrics` serves
Prometheus text when enabled. ``POST /contracts/reload`` (or SIGHUP) re-reads the
contract files; they are also re-read every `reload_interval`. SIGTERM and SIGINT stop
scheduling and drain in-flight work for the configured grace period; undelivered
notifications stay in the outbox for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable

from floe_monitoring.config.model import MonitorConfig
from floe_monitoring.engine import ContractMonitor
from floe_monitoring.service.http import HTTPResponse, ProbeServer
from floe_monitoring.telemetry import LineageConfig, Telemetry

__all__ = ["MonitorService", "service_telemetry"]

_log = logging.getLogger("floe_monitoring.service")


def service_telemetry(config: MonitorConfig) -> Telemetry:
    """The service's telemetry, as the environment and the config ask for.

    OTLP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set, Prometheus when `service.prometheus`
    is on, OpenLineage when `OPENLINEAGE_*` is set. Without the `telemetry` extra
    installed the OpenTelemetry API stays a no-op.
    """
    lineage = LineageConfig.from_env()
    if lineage is not None:
        lineage = lineage.with_catalogs(config.table_source_config())
    try:
        return Telemetry.from_env(prometheus=config.service.prometheus, lineage=lineage)
    except ImportError as exc:  # the SDK extra is optional
        _log.warning("telemetry disabled: %s (install floe-monitoring-core[telemetry])", exc.name)
        return Telemetry()


class MonitorService:
    """The monitor, its probe server and its signal handling.

    Args:
        config: The monitor config.
        host: Interface for the probes (default from the config).
        port: Port for the probes (default from the config; 0 picks one).
        metrics: Renders Prometheus text, or None when the scrape endpoint is off.
        on_ready: Called with the bound port once the service is up.
        reload_interval: Seconds between contract file re-reads (0 disables).
    """

    def __init__(
        self,
        config: MonitorConfig,
        *,
        host: str | None = None,
        port: int | None = None,
        metrics: Callable[[], bytes | None] | None = None,
        on_ready: Callable[[int], None] | None = None,
        reload_interval: float = 30.0,
        monitor: ContractMonitor | None = None,
    ) -> None:
        self.config = config
        self.monitor = monitor or ContractMonitor(config, telemetry=service_telemetry(config))
        self._metrics = metrics if metrics is not None else self.monitor.telemetry.render_prometheus
        self._on_ready = on_ready
        self._reload_interval = reload_interval
        self.server = ProbeServer(
            {
                ("GET", "/healthz"): self._healthz,
                ("GET", "/readyz"): self._readyz,
                ("GET", "/metrics"): self._metrics_page,
                ("POST", "/contracts/reload"): self._reload,
            },
            host=host or config.service.host,
            port=config.service.port if port is None else port,
        )
        self._stop = asyncio.Event()

    def request_stop(self) -> None:
        """Begin a graceful shutdown."""
        self._stop.set()

    async def run(self) -> None:
        """Start everything, serve until asked to stop, then drain and close."""
        await self.monitor.start()
        await self.server.start()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self._reload()))
        reloader = (
            asyncio.create_task(self._reload_periodically()) if self._reload_interval > 0 else None
        )
        runner = asyncio.create_task(self.monitor.run_forever(self._stop))
        _log.warning(
            "floe monitor %s serving probes on %s:%d",
            self.monitor.owner,
            self.server.host,
            self.server.port,
        )
        if self._on_ready is not None:
            self._on_ready(self.server.port)
        try:
            await self._stop.wait()
        finally:
            _log.warning("stopping: draining in-flight work")
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(sig)
            if reloader is not None:
                reloader.cancel()
            await runner
            await self.monitor.stop()
            await self.server.stop()

    async def _reload_periodically(self) -> None:
        while True:
            await asyncio.sleep(self._reload_interval)
            with contextlib.suppress(Exception):
                await self.monitor.reload_contracts()

    async def _healthz(self) -> HTTPResponse:
        return HTTPResponse.json(200, {"status": "alive", "owner": self.monitor.owner})

    async def _readyz(self) -> HTTPResponse:
        status = await self.monitor.status()
        problems = list(status.degraded)
        if not status.scheduler_running:
            problems.append("scheduler not running")
        body = {
            "status": "ready" if not problems else "degraded",
            "degraded": problems,
            "contracts": status.contracts,
            "checks": status.checks,
            "outbox_depth": status.outbox_depth,
            "dead_letters": status.dead_letters,
            "buffered_results": status.buffered_results,
            # Results dropped since start (full buffer during an outage, refused or
            # unprocessable): counted in the process, so shown where operators look.
            "overflow": status.overflow,
            "refused_writes": status.refused_writes,
        }
        # Only an unreachable store or a stopped scheduler takes the replica out of
        # rotation; a broken channel is reported but its notifications simply wait.
        fatal = not status.store_reachable or not status.scheduler_running
        return HTTPResponse.json(503 if fatal else 200, body)

    async def _metrics_page(self) -> HTTPResponse:
        text = self._metrics() if self._metrics is not None else None
        if text is None:
            return HTTPResponse.json(
                404, {"error": "the Prometheus endpoint is off (service.prometheus: true)"}
            )
        return HTTPResponse(200, text, "text/plain; version=0.0.4; charset=utf-8")

    async def _reload(self) -> HTTPResponse:
        report = await self.monitor.reload_contracts()
        return HTTPResponse.json(
            200,
            {
                "added": report.added,
                "changed": report.changed,
                "removed": report.removed,
                "errors": list(report.errors),
            },
        )
