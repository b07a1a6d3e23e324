"""The demo's last word: what the state store now knows, per contract.

`print_final_report` reads the real store the demo wrote (results, incidents,
notifications, suppressions). When the ``floe_monitoring.reports`` package is installed
and offers ``build_report``, its report (what ``floe sla report`` prints) follows.
"""

from __future__ import annotations

import asyncio
import importlib
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from floe_monitoring.cli.render import table
from floe_monitoring.config import load_config
from floe_monitoring.store.state_store import StateStore

__all__ = ["print_final_report"]

_STATUSES = ("pass", "warn", "fail", "error")


async def print_final_report(console: Console, config_path: Path) -> None:
    """Print per-contract results, incidents and deliveries from the monitor's store.

    Args:
        console: Where to print.
        config_path: The monitor config whose state database to read.

    """
    config = await asyncio.to_thread(load_config, config_path)
    store = StateStore(config.state_url(), pool_size=config.state.pool_size)
    await store.open()
    try:
        contracts = await store.contracts()
        results = await store.results(limit=None)
        incidents = await store.incidents(limit=10_000)
        deliveries = await store.outbox.rows(limit=None)
        suppressions = await store.suppressions(limit=10_000)
        builder = _report_builder()
        now = datetime.now(UTC)
        reports = [
            await builder(store, contract=row["contract_id"], window="daily", now=now)
            for row in contracts
            if builder is not None
        ]
    finally:
        await store.close()

    names = {c["contract_id"]: c["name"] for c in contracts}
    versions = {c["contract_id"]: c["version"] for c in contracts}
    by_status: dict[str, Counter[str]] = defaultdict(Counter)
    for row in results:
        by_status[row["contract_id"]][row["status"]] += 1
    by_incident: dict[str, Counter[str]] = defaultdict(Counter)
    for row in incidents:
        by_incident[row["contract_id"]]["resolved" if row["status"] == "resolved" else "open"] += 1
    sent = Counter(d.contract_id for d in deliveries if d.status == "delivered")
    muted = Counter(s["contract_id"] for s in suppressions)
    console.print(
        table(
            "Per contract: check results, incidents, notifications",
            ["contract", "version", "results", "incidents", "notifications"],
            [
                [
                    names[cid],
                    versions[cid],
                    _counts(by_status[cid], _STATUSES),
                    _counts(by_incident[cid], ("open", "resolved")),
                    f"{sent[cid]} sent, {muted[cid]} suppressed",
                ]
                for cid in sorted(names, key=lambda c: names[c])
            ],
        )
    )
    console.print(
        table(
            "Incidents",
            ["contract", "check", "severity", "status", "seen", "opened", "resolved"],
            [
                [
                    names.get(row["contract_id"], row["contract_id"]),
                    row["check_type"],
                    row["severity"],
                    row["status"],
                    f"{row['occurrences']}x",
                    _hhmm(row["opened_at"]),
                    _hhmm(row["resolved_at"]),
                ]
                for row in sorted(incidents, key=lambda r: r["opened_at"])
            ],
            status_column="status",
        )
    )
    if reports:
        _print_sla_reports(console, reports)


def _report_builder() -> Callable[..., Any] | None:
    """`floe_monitoring.reports.build_report`, or None while that package is absent."""
    try:
        module = importlib.import_module("floe_monitoring.reports")
    except ModuleNotFoundError as exc:
        # The reports package (behind `floe sla report`) is written alongside the demo;
        # until it is installed, the tables above are the demo's report. Any other
        # missing module is a real error and propagates.
        if exc.name != "floe_monitoring.reports":
            raise
        return None
    builder = getattr(module, "build_report", None)
    return builder if callable(builder) else None


def _counts(counts: Counter[str], order: tuple[str, ...]) -> str:
    return ", ".join(f"{counts[name]} {name}" for name in order if counts[name]) or "none"


def _hhmm(value: datetime | None) -> str:
    return "" if value is None else f"{value:%H:%M}"


def _pct(value: Any) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def _print_sla_reports(console: Console, reports: list[Any]) -> None:
    """`SlaReport`s (from `floe_monitoring.reports`) as one table of check types."""
    rows = []
    for report in sorted(reports, key=lambda r: r.contract_name):
        for kind in report.check_types:
            budget = kind.error_budget_remaining
            rows.append(
                [
                    report.contract_name,
                    kind.check_type,
                    _pct(kind.compliance) + {True: " ✓", False: " ✗", None: ""}[kind.meets_target],
                    _pct(kind.target),
                    str(kind.violations),
                    str(getattr(kind.trend, "value", kind.trend)),
                    "" if budget is None else f"{100 * budget:.0f}%",
                ]
            )
    label = reports[0].window_label if reports else ""
    console.print(
        table(
            f"SLA report ({label} window, as `floe sla report` computes it)",
            ["contract", "check", "compliance", "target", "violations", "trend", "budget"],
            rows,
        )
    )
