"""Commands that manage state: incidents, deliveries, silences and the database schema."""

from __future__ import annotations

import uuid
from datetime import timedelta

import click

from floe_monitoring.cli.commands._store import open_store
from floe_monitoring.cli.context import CliContext, command, pass_cli, print_json
from floe_monitoring.cli.render import table
from floe_monitoring.config.model import to_duration
from floe_monitoring.routing import Silence
from floe_monitoring.sdk.enums import ViolationType
from floe_monitoring.sdk.event import now_utc
from floe_monitoring.store import OutboxStatus, StateStore, head_revision

__all__ = ["db", "deliveries", "incidents", "silence"]

FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)


@click.group()
def incidents() -> None:
    """List, acknowledge and resolve incidents."""


@incidents.command("list")
@click.option(
    "--status",
    "state",
    type=click.Choice(["firing", "acknowledged", "resolved"]),
    help="Only this status.",
)
@click.option("--contract", help="Only this contract id.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@FORMAT
@pass_cli
@command
async def incidents_list(
    cli: CliContext, state: str | None, contract: str | None, limit: int, fmt: str
) -> int:
    """Incidents, newest first."""
    async with open_store(cli) as store:
        rows = await store.incidents(status=state, contract_id=contract, limit=limit)
    if fmt == "json":
        print_json(cli, rows)
        return 0
    cli.console.print(
        table(
            "incidents",
            [
                "incident",
                "contract",
                "check",
                "element",
                "status",
                "severity",
                "opened",
                "resolved",
            ],
            [
                [
                    r["incident_id"],
                    r["contract_id"],
                    r["check_type"],
                    r["element"] or "",
                    r["status"],
                    r["severity"],
                    r["opened_at"],
                    r["resolved_at"] or "",
                ]
                for r in rows
            ],
            status_column="status",
        )
    )
    return 0


async def _set(cli: CliContext, incident_id: str, status: str, by: str | None) -> int:
    async with open_store(cli) as store:
        if not await store.set_incident_status(incident_id, status=status, now=now_utc(), by=by):
            raise ValueError(f"no such incident: {incident_id}")
    cli.console.print(f"incident {incident_id} {status}", markup=False)
    return 0


@incidents.command("ack")
@click.argument("incident_id")
@click.option("--by", help="Who acknowledges it.")
@pass_cli
@command
async def incidents_ack(cli: CliContext, incident_id: str, by: str | None) -> int:
    """Acknowledge an incident (it stays open until its check passes)."""
    return await _set(cli, incident_id, "acknowledged", by)


@incidents.command("resolve")
@click.argument("incident_id")
@pass_cli
@command
async def incidents_resolve(cli: CliContext, incident_id: str) -> int:
    """Mark an incident resolved by hand."""
    return await _set(cli, incident_id, "resolved", None)


@click.group()
def deliveries() -> None:
    """Inspect the outbox and replay dead letters."""


@deliveries.command("list")
@click.option("--dead", is_flag=True, help="Only dead letters.")
@click.option("--pending", is_flag=True, help="Only pending notifications.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@FORMAT
@pass_cli
@command
async def deliveries_list(cli: CliContext, dead: bool, pending: bool, limit: int, fmt: str) -> int:
    """Notifications, newest first."""
    if dead and pending:
        raise ValueError("--dead and --pending exclude each other")
    state = OutboxStatus.DEAD if dead else OutboxStatus.PENDING if pending else None
    async with open_store(cli) as store:
        rows = await store.outbox.rows(status=state, limit=limit)
    data = [
        {
            "delivery_id": r.delivery_id,
            "channel": r.channel,
            "contract_id": r.contract_id,
            "status": r.status,
            "event_status": r.event_status,
            "severity": r.severity,
            "events": len(r.events),
            "attempts": r.attempts,
            "created_at": r.created_at,
            "last_error": r.last_error,
        }
        for r in rows
    ]
    if fmt == "json":
        print_json(cli, data)
        return 0
    cli.console.print(
        table(
            "deliveries",
            [
                "delivery",
                "channel",
                "contract",
                "status",
                "event",
                "attempts",
                "created",
                "last error",
            ],
            [
                [
                    d["delivery_id"],
                    d["channel"],
                    d["contract_id"],
                    d["status"],
                    d["event_status"],
                    d["attempts"],
                    d["created_at"],
                    d["last_error"] or "",
                ]
                for d in data
            ],
            status_column="status",
        )
    )
    return 0


@deliveries.command("replay")
@click.argument("delivery_id", required=False)
@click.option("--all-dead", is_flag=True, help="Replay every dead letter.")
@pass_cli
@command
async def deliveries_replay(cli: CliContext, delivery_id: str | None, all_dead: bool) -> int:
    """Send dead letters again (the running monitor picks them up)."""
    if bool(delivery_id) == all_dead:
        raise ValueError("give one DELIVERY_ID or --all-dead")
    config = cli.config()
    async with open_store(cli) as store:
        count = await store.outbox.replay(
            now=now_utc(), deadline=config.monitoring.delivery.deadline, delivery_id=delivery_id
        )
    if delivery_id and not count:
        raise ValueError(f"no dead letter with id {delivery_id}")
    cli.console.print(f"{count} notification(s) requeued", markup=False)
    return 0


@click.group()
def silence() -> None:
    """Silence notifications for a while (checks still run and are stored)."""


@silence.command("add")
@click.option(
    "--contract", "contracts", multiple=True, required=True, help="Contract glob; repeatable."
)
@click.option(
    "--channel", "channels", multiple=True, help="Only these channels (glob); repeatable."
)
@click.option("--type", "types", multiple=True, help="Only these violation types; repeatable.")
@click.option("--duration", default="1h", show_default=True, help="How long, e.g. 30m, 2h, PT1H.")
@click.option("--comment", required=True, help="Why (shown in status and suppressions).")
@click.option("--by", "created_by", help="Who.")
@pass_cli
@command
async def silence_add(
    cli: CliContext,
    contracts: tuple[str, ...],
    channels: tuple[str, ...],
    types: tuple[str, ...],
    duration: str,
    comment: str,
    created_by: str | None,
) -> int:
    """Add a silence starting now."""
    length = to_duration(duration)
    if not isinstance(length, timedelta) or length <= timedelta(0):
        raise ValueError(f"--duration: not a positive duration: {duration}")
    start = now_utc()
    item = Silence(
        id=str(uuid.uuid4()),
        contracts=contracts,
        channels=channels,
        violation_types=tuple(ViolationType(t) for t in types),
        starts_at=start,
        ends_at=start + length,
        created_by=created_by or "floe-cli",
        comment=comment,
    )
    async with open_store(cli) as store:
        await store.add_silence(silence_row(item))
    cli.console.print(f"silence {item.id} until {item.ends_at.isoformat()}", markup=False)
    return 0


def silence_row(item: Silence) -> dict[str, object]:
    """A silence as a `silences` row."""
    return {
        "silence_id": item.id,
        "matchers": item.model_dump(
            mode="json", include={"contracts", "channels", "violation_types"}
        ),
        "starts_at": item.starts_at,
        "ends_at": item.ends_at,
        "created_by": item.created_by,
        "comment": item.comment,
        "created_at": now_utc(),
    }


@silence.command("list")
@FORMAT
@pass_cli
@command
async def silence_list(cli: CliContext, fmt: str) -> int:
    """Stored silences."""
    async with open_store(cli) as store:
        rows = await store.silences()
    if fmt == "json":
        print_json(cli, rows)
        return 0
    now = now_utc()
    cli.console.print(
        table(
            "silences",
            ["silence", "contracts", "channels", "from", "until", "active", "comment"],
            [
                [
                    r["silence_id"],
                    ",".join(r["matchers"].get("contracts", [])),
                    ",".join(r["matchers"].get("channels", [])),
                    r["starts_at"],
                    r["ends_at"],
                    "yes" if r["starts_at"] <= now < r["ends_at"] else "no",
                    r["comment"] or "",
                ]
                for r in rows
            ],
        )
    )
    return 0


@silence.command("remove")
@click.argument("silence_id")
@pass_cli
@command
async def silence_remove(cli: CliContext, silence_id: str) -> int:
    """Remove a silence."""
    async with open_store(cli) as store:
        if not await store.remove_silence(silence_id):
            raise ValueError(f"no such silence: {silence_id}")
    cli.console.print(f"silence {silence_id} removed", markup=False)
    return 0


@click.group()
def db() -> None:
    """The state database."""


@db.command("upgrade")
@pass_cli
@command
async def db_upgrade(cli: CliContext) -> int:
    """Apply pending migrations (the monitor also does this on start)."""
    config = cli.config()
    store = StateStore(config.state_url(), pool_size=1)
    try:
        revision = await store.database.migrate()
    finally:
        await store.close()
    cli.console.print(
        f"state database at revision {revision} (newest {head_revision()})", markup=False
    )
    return 0
