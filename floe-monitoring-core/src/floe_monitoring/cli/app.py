"""The command tree: `floe` → `sla` → commands."""

from __future__ import annotations

import click

from floe_monitoring.cli.commands.channels import channels
from floe_monitoring.cli.commands.check import check
from floe_monitoring.cli.commands.config_cmd import config
from floe_monitoring.cli.commands.demo import demo
from floe_monitoring.cli.commands.inspect import history, status
from floe_monitoring.cli.commands.manage import db, deliveries, incidents, silence
from floe_monitoring.cli.commands.monitor import monitor
from floe_monitoring.cli.commands.report import report
from floe_monitoring.cli.context import CliContext, configure_logging

__all__ = ["floe", "sla"]


@click.group()
@click.version_option(package_name="floe-monitoring-core", prog_name="floe")
def floe() -> None:
    """Floe monitoring: data-contract monitoring for Apache Iceberg."""


@floe.group()
@click.option(
    "--config",
    "config_path",
    envvar="FLOE_MONITOR_CONFIG",
    metavar="PATH",
    help="Config file (default: ./floe-monitor.yaml).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.pass_context
def sla(ctx: click.Context, config_path: str | None, debug: bool) -> None:
    """Check data contracts, run the monitor, report SLAs."""
    configure_logging(debug)
    ctx.obj = CliContext(config_path=config_path, debug=debug)


for _command in (
    check,
    monitor,
    status,
    report,
    history,
    incidents,
    channels,
    deliveries,
    silence,
    db,
    config,
    demo,
):
    sla.add_command(_command)
