"""`floe sla config validate|schema`: check a config file; print its JSON Schema."""

from __future__ import annotations

import json

import click

from floe_monitoring.channels import ChannelRegistry, build_channel
from floe_monitoring.cli.context import CliContext, command, pass_cli
from floe_monitoring.config import config_json_schema, load_config
from floe_monitoring.errors import FloeError
from floe_monitoring.sdk import InMemoryChannelState

__all__ = ["config"]


@click.group()
def config() -> None:
    """The monitor's configuration file."""


@config.command("validate")
@click.argument("path", required=False)
@pass_cli
@command
async def config_validate(cli: CliContext, path: str | None) -> int:
    """Check a config file (default: --config, $FLOE_MONITOR_CONFIG, ./floe-monitor.yaml).

    Every channel's settings are validated by the channel itself; nothing is sent.
    """
    loaded = load_config(path or cli.config_path)
    registry = ChannelRegistry()
    problems = []
    for name, entry in loaded.channels.items():
        try:
            build_channel(
                entry.type,
                entry.settings(),
                instance_name=name,
                registry=registry,
                state=InMemoryChannelState(),
                base_dir=loaded.base_dir,
            )
        except FloeError as error:
            problems.append(str(error))
    known = {r.channel for r in loaded.routing} - set(loaded.channels)
    problems += [f"routing names channel '{c}', which is not configured" for c in sorted(known)]
    for problem in problems:
        cli.errors.print(f"error: {problem}", markup=False)
    if problems:
        return 4
    cli.console.print(
        f"{path or cli.config_path or 'config'} is valid: "
        f"{len(loaded.contracts)} contract pattern(s), {len(loaded.channels)} channel(s), "
        f"{len(loaded.routing)} routing rule(s)",
        markup=False,
    )
    return 0


@config.command("schema")
def config_schema() -> None:
    """Print the JSON Schema of floe-monitor.yaml."""
    click.echo(json.dumps(config_json_schema(), indent=2, sort_keys=True))
