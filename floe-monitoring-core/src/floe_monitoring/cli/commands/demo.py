"""`floe sla demo`: the quickstart, end to end, on this machine alone."""

from __future__ import annotations

from pathlib import Path

import click

from floe_monitoring.cli.context import CliContext, command, pass_cli
from floe_monitoring.errors import FloeError

__all__ = ["demo"]

_NEEDS = "pip install 'floe-monitoring-core[iceberg]' floe-alert-webhook"


@click.command()
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(".floe/demo"),
    show_default=True,
    help="The demo's folder (lake, contracts, config, state, receiver log); wiped first.",
)
@click.option(
    "--setup-only",
    is_flag=True,
    help="Create the lake, contracts and config, then stop (to try the commands by hand).",
)
@pass_cli
@command
async def demo(cli: CliContext, workdir: Path, setup_only: bool) -> int:
    """Run the quickstart: a local Iceberg lake, three contracts, a monitor and a webhook.

    Data goes stale, the schema drifts, a quality rule breaks, everything recovers and a
    silence mutes one alert; each notification is printed as the receiver gets it. No
    network and no server needed. Exit code 0 when every step went as told.
    """
    try:
        from floe_monitoring.demo import run_demo
    except ModuleNotFoundError as exc:
        # PyIceberg and PyArrow come with the `iceberg` extra, which the demo needs.
        if (exc.name or "").split(".")[0] not in ("pyiceberg", "pyarrow"):
            raise
        raise FloeError(
            f"the demo needs the iceberg extra ({exc.name} is missing): {_NEEDS}"
        ) from None
    return await run_demo(cli.console, workdir, setup_only=setup_only)
