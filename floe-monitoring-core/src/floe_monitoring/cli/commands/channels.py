"""`floe sla channels list|test`: installed channel types, configured channels, a test alert."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import click

from floe_monitoring.channels import ChannelRegistry, build_channel
from floe_monitoring.cli.context import CliContext, command, pass_cli, print_json
from floe_monitoring.cli.render import table
from floe_monitoring.errors import DeliveryError
from floe_monitoring.sdk import InMemoryChannelState
from floe_monitoring.sdk.enums import Severity, ViolationType
from floe_monitoring.sdk.event import ContractViolationEvent, now_utc

__all__ = ["channels", "synthetic_event"]


@click.group()
def channels() -> None:
    """Alert channels: what is installed and configured, and a test send."""


@channels.command("list")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@pass_cli
@command
async def channels_list(cli: CliContext, fmt: str) -> int:
    """Installed channel types (with versions), configured channels, load failures."""
    registry = ChannelRegistry()
    types = registry.available()
    loaded = registry.load_all()
    installed: list[dict[str, Any]] = [
        {
            "type": info.name,
            "distribution": info.distribution,
            "version": info.distribution_version,
            "loaded": info.name in loaded,
            "capabilities": sorted(c.value for c in loaded[info.name].capabilities)
            if info.name in loaded
            else [],
            "description": loaded[info.name].description if info.name in loaded else "",
        }
        for info in types
    ]
    failures = [
        {"type": f.name, "distribution": f.distribution, "reason": f.reason}
        for f in registry.failures
    ]
    configured = []
    try:
        config = cli.config()
        configured = [
            {"name": n, "type": e.type, "known": e.type in loaded}
            for n, e in config.channels.items()
        ]
    except Exception as exc:  # listing installed types must work without a config file
        cli.errors.print(f"no configured channels shown: {exc}", markup=False)
    if fmt == "json":
        print_json(cli, {"installed": installed, "failures": failures, "configured": configured})
        return 0
    cli.console.print(
        table(
            "installed channel types",
            ["type", "distribution", "version", "capabilities", "description"],
            [
                [
                    i["type"],
                    i["distribution"] or "",
                    i["version"] or "",
                    ", ".join(i["capabilities"]),
                    i["description"],
                ]
                for i in installed
            ],
        )
    )
    if configured:
        cli.console.print(
            table(
                "configured channels",
                ["name", "type", "installed"],
                [[c["name"], c["type"], "yes" if c["known"] else "no"] for c in configured],
            )
        )
    for failure in failures:
        cli.errors.print(
            f"channel type {failure['type']} not loaded: {failure['reason']}", markup=False
        )
    return 0


def synthetic_event() -> ContractViolationEvent:
    """A clearly marked test alert (it names itself a test everywhere a person looks)."""
    now = now_utc()
    return ContractViolationEvent.model_validate(
        {
            "contract_name": "floe-test-contract",
            "contract_version": "0.0.0",
            "contract_id": "urn:floe:channel-test",
            "violation_type": ViolationType.FRESHNESS,
            "severity": Severity.INFO,
            "message": "TEST ALERT from `floe sla channels test`: no data contract is broken.",
            "element": "test.updated_at",
            "expected_value": "PT1H",
            "actual_value": "PT0S",
            "timestamp": now,
            "dedup_key": f"floe-channel-test-{uuid.uuid4().hex[:12]}",
            "metadata": {"test": True},
        }
    )


@channels.command("test")
@click.argument("name")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(0.1, 600))
@pass_cli
@command
async def channels_test(cli: CliContext, name: str, fmt: str, timeout: float) -> int:  # noqa: ASYNC109
    """Send a synthetic test alert through configured channel NAME (one attempt)."""
    config = cli.config()
    entry = config.channels.get(name)
    if entry is None:
        known = ", ".join(sorted(config.channels)) or "none configured"
        raise ValueError(f"no configured channel named {name!r} (configured: {known})")
    channel = build_channel(
        entry.type,
        entry.settings(),
        instance_name=name,
        state=InMemoryChannelState(),
        base_dir=config.base_dir,
    )
    event = synthetic_event()
    async with channel:
        health = await channel.health_check(min(timeout, 10.0))
        try:
            async with asyncio.timeout(timeout):
                receipt = await channel.send_alert(event)
        except DeliveryError as error:
            outcome = {
                "channel": name,
                "delivered": False,
                "retryable": error.retryable,
                "reason": error.reason.value,
                "status_code": error.status_code,
                "error": channel.redact(str(error)),
                "health": health.state.value,
            }
        except TimeoutError:
            outcome = {
                "channel": name,
                "delivered": False,
                "retryable": True,
                "reason": "timeout",
                "error": f"no answer within {timeout:g}s",
                "health": health.state.value,
            }
        else:
            outcome = {
                "channel": name,
                "delivered": True,
                "event_id": str(event.event_id),
                "status_code": receipt.status_code,
                "remote_id": receipt.remote_id,
                "health": health.state.value,
            }
    if fmt == "json":
        print_json(cli, outcome)
    elif outcome["delivered"]:
        cli.console.print(
            f"test alert delivered through {name} "
            f"(event {outcome['event_id']}, status {outcome['status_code']})",
            markup=False,
        )
    else:
        kind = "retryable" if outcome["retryable"] else "permanent"
        cli.errors.print(
            f"test alert not delivered through {name}: "
            f"{kind} {outcome['reason']}: {outcome['error']}",
            markup=False,
        )
    return 0 if outcome["delivered"] else 2
