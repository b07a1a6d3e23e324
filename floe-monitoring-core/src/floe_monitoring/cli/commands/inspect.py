"""`floe sla status` and `floe sla history`: what the monitor knows, from the real store."""

from __future__ import annotations

from typing import Any

import click

from floe_monitoring.cli.commands._store import open_store
from floe_monitoring.cli.context import CliContext, command, pass_cli, print_json
from floe_monitoring.cli.render import table
from floe_monitoring.engine import ContractMonitor

__all__ = ["history", "status"]

FORMAT = click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)


@click.command()
@FORMAT
@pass_cli
@command
async def status(cli: CliContext, fmt: str) -> int:
    """Contracts, last results, open incidents, outbox depth and channel health."""
    config = cli.config()
    monitor = ContractMonitor(config)
    async with monitor:
        await monitor.check_channels()
        snapshot = await monitor.status()
        latest = await monitor.store.latest_results()
        incidents = await monitor.store.incidents(status="firing")
    names = {cid: c.name for cid, c in monitor.contracts.items()}
    data: dict[str, Any] = {
        "contracts": [
            {"id": cid, "name": name, "checks": sum(1 for r in latest if r["contract_id"] == cid)}
            for cid, name in sorted(names.items(), key=lambda kv: kv[1])
        ],
        "last_results": [
            {
                k: r[k]
                for k in (
                    "contract_id",
                    "check_type",
                    "element",
                    "status",
                    "severity",
                    "message",
                    "started_at",
                )
            }
            for r in sorted(
                latest, key=lambda r: (r["contract_id"], r["check_type"], r["element"] or "")
            )
        ],
        "open_incidents": [
            {
                k: i[k]
                for k in (
                    "incident_id",
                    "contract_id",
                    "check_type",
                    "element",
                    "severity",
                    "opened_at",
                    "occurrences",
                )
            }
            for i in incidents
        ],
        "outbox": {
            "pending": snapshot.outbox_depth,
            "oldest_pending_seconds": snapshot.oldest_pending_seconds,
            "dead_letters": snapshot.dead_letters,
        },
        "channels": [c.model_dump() for c in snapshot.channels.values()],
        "degraded": snapshot.degraded,
    }
    if fmt == "json":
        print_json(cli, data)
        return 0
    out = cli.console
    out.print(
        table(
            "last results",
            ["contract", "check", "element", "status", "severity", "at", "message"],
            [
                [
                    names.get(r["contract_id"], r["contract_id"]),
                    r["check_type"],
                    r["element"] or "",
                    r["status"],
                    r["severity"] or "",
                    r["started_at"],
                    r["message"],
                ]
                for r in data["last_results"]
            ],
            status_column="status",
        )
    )
    out.print(
        table(
            "open incidents",
            ["incident", "contract", "check", "element", "severity", "since", "occurrences"],
            [
                [
                    i["incident_id"],
                    names.get(i["contract_id"], i["contract_id"]),
                    i["check_type"],
                    i["element"] or "",
                    i["severity"],
                    i["opened_at"],
                    i["occurrences"],
                ]
                for i in data["open_incidents"]
            ],
        )
    )
    out.print(
        table(
            "channels",
            ["channel", "type", "state", "message"],
            [[c["name"], c["type"], c["state"], c["message"]] for c in data["channels"]],
            status_column="state",
        )
    )
    box = data["outbox"]
    out.print(
        f"{len(names)} contracts; outbox: {box['pending']} pending"
        + (
            f" (oldest {box['oldest_pending_seconds']:.0f}s)"
            if box["oldest_pending_seconds"]
            else ""
        )
        + f", {box['dead_letters']} dead letters",
        markup=False,
    )
    for problem in snapshot.degraded:
        cli.errors.print(f"degraded: {problem}", markup=False)
    return 0


@click.command()
@click.option("--contract", required=True, help="Contract id or name.")
@click.option("--check", "check_type", help="Only this check type.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@FORMAT
@pass_cli
@command
async def history(
    cli: CliContext, contract: str, check_type: str | None, limit: int, fmt: str
) -> int:
    """Recent results and incidents of one contract."""
    async with open_store(cli) as store:
        known = {c["contract_id"]: c["name"] for c in await store.contracts(active_only=False)}
        contract_id = (
            contract
            if contract in known
            else next((k for k, v in known.items() if v == contract), None)
        )
        if contract_id is None:
            raise ValueError(f"no such contract: {contract}")
        results = await store.results(contract_id=contract_id, check_type=check_type, limit=limit)
        incidents = await store.incidents(contract_id=contract_id, limit=limit)
    fields = (
        "started_at",
        "check_type",
        "element",
        "status",
        "severity",
        "measured_value",
        "threshold",
        "unit",
        "message",
    )
    rows = [{k: r[k] for k in fields} for r in results]
    if check_type:
        incidents = [i for i in incidents if i["check_type"] == check_type]
    if fmt == "json":
        print_json(cli, {"contract": contract_id, "results": rows, "incidents": incidents})
        return 0
    cli.console.print(
        table(
            f"history of {known[contract_id]}",
            ["at", "check", "element", "status", "severity", "measured", "threshold", "message"],
            [
                [
                    r["started_at"],
                    r["check_type"],
                    r["element"] or "",
                    r["status"],
                    r["severity"] or "",
                    r["measured_value"] if r["measured_value"] is not None else "",
                    r["threshold"] if r["threshold"] is not None else "",
                    r["message"],
                ]
                for r in rows
            ],
            status_column="status",
        )
    )
    cli.console.print(
        table(
            "incidents",
            ["incident", "check", "status", "severity", "opened", "resolved", "occurrences"],
            [
                [
                    i["incident_id"],
                    i["check_type"],
                    i["status"],
                    i["severity"],
                    i["opened_at"],
                    i["resolved_at"] or "",
                    i["occurrences"],
                ]
                for i in incidents
            ],
            status_column="status",
        )
    )
    return 0
