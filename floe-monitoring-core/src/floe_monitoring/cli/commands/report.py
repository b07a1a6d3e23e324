"""`floe sla report`: SLA compliance from the real store, as a table, JSON or an HTML page."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import click

from floe_monitoring.cli.commands._store import open_store
from floe_monitoring.cli.context import CliContext, command, pass_cli, print_json
from floe_monitoring.cli.html_report import render_html
from floe_monitoring.cli.render import table
from floe_monitoring.reports import SlaReport, build_report, build_reports_for_all
from floe_monitoring.sdk.event import now_utc

__all__ = ["report"]


def _when(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{option}: not an ISO-8601 date or time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.2f}%"


def _budget(value: float | None) -> str:
    if value is not None and value < 0:
        return "exhausted"
    return _pct(value)


@click.command()
@click.option("--contract", help="Contract id or name (default: every active contract).")
@click.option(
    "--window",
    default="daily",
    show_default=True,
    help="daily, weekly, monthly (calendar) or rolling-7d / rolling-30d / rolling-90d.",
)
@click.option("--since", help="Start (ISO-8601, UTC when no zone is given).")
@click.option("--until", help="End (ISO-8601; default now).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "html"]),
    default="table",
    show_default=True,
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, writable=True), help="Write to this file."
)
@pass_cli
@command
async def report(
    cli: CliContext,
    contract: str | None,
    window: str,
    since: str | None,
    until: str | None,
    fmt: str,
    output: str | None,
) -> int:
    """SLA compliance per check type, error budgets, burn rates and trends."""
    start, end = _when(since, "--since"), _when(until, "--until")
    async with open_store(cli) as store:
        now = now_utc()
        if contract:
            reports: list[SlaReport] = [
                await build_report(
                    store, contract=contract, window=window, now=now, since=start, until=end
                )
            ]
        else:
            reports = await build_reports_for_all(
                store, window=window, now=now, since=start, until=end
            )
    if fmt == "json":
        data = [r.model_dump(mode="json") for r in reports]
        payload = data[0] if contract else data
        if output:
            text = json.dumps(payload, indent=2) + "\n"
            await asyncio.to_thread(Path(output).write_text, text, encoding="utf-8")
        else:
            print_json(cli, payload)
        return 0
    if fmt == "html":
        page = render_html(reports)
        if output:
            await asyncio.to_thread(Path(output).write_text, page, encoding="utf-8")
            cli.console.print(f"report written to {output}", markup=False)
        else:
            click.echo(page, nl=False)
        return 0
    rows = [
        [
            r.contract_name,
            c.check_type,
            _pct(c.compliance),
            _pct(c.target),
            c.violations,
            c.trend.value,
            _budget(c.error_budget_remaining),
        ]
        for r in reports
        for c in r.check_types
    ]
    title = "SLA report"
    if reports:
        first = reports[0]
        span = f"{first.since:%Y-%m-%d %H:%M} → {first.until:%Y-%m-%d %H:%M} UTC"
        title += f" ({first.window_label}, {span})"
    cli.console.print(
        table(
            title,
            ["contract", "check", "compliance", "target", "violations", "trend", "budget left"],
            rows,
        )
    )
    for r in reports:
        cli.console.print(
            f"{r.contract_name}: overall compliance {_pct(r.compliance)}", markup=False
        )
    return 0
