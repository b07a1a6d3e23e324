"""`floe sla monitor`: run the service."""

from __future__ import annotations

import click

from floe_monitoring.cli.context import CliContext, command, pass_cli
from floe_monitoring.service import MonitorService

__all__ = ["monitor"]


@click.command()
@click.option("--host", help="Interface for /healthz, /readyz, /metrics (default from the config).")
@click.option(
    "--port", type=click.IntRange(0, 65535), help="Port for the probes (default from the config)."
)
@click.option(
    "--reload-interval",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0, 86400),
    help="Seconds between contract file re-reads (0: only on SIGHUP or POST /contracts/reload).",
)
@pass_cli
@command
async def monitor(
    cli: CliContext, host: str | None, port: int | None, reload_interval: float
) -> int:
    """Run the monitor until SIGTERM (which drains in-flight work)."""
    config = cli.config()

    def ready(bound: int) -> None:
        cli.console.print(
            f"floe monitor ready: http://{host or config.service.host}:{bound}/readyz", markup=False
        )

    service = MonitorService(
        config, host=host, port=port, on_ready=ready, reload_interval=reload_interval
    )
    await service.run()
    return 0
