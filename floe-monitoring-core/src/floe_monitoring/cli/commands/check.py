"""`floe sla check`: one pass over the contracts, CI-friendly exit codes."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from floe_monitoring.checks.base import CheckResult, CheckStatus, CheckType
from floe_monitoring.cli.context import EXIT_INPUT, CliContext, command, pass_cli, print_json
from floe_monitoring.cli.render import table
from floe_monitoring.engine import ContractMonitor

__all__ = ["check", "exit_code"]


def exit_code(results: list[CheckResult]) -> int:
    """0 all pass, 1 only warnings, 2 any failure, 3 any error (and no failure)."""
    statuses = {r.status for r in results}
    if CheckStatus.FAIL in statuses:
        return 2
    if CheckStatus.ERROR in statuses:
        return 3
    if CheckStatus.WARN in statuses:
        return 1
    return 0


class _ReportedByCheck(logging.Filter):
    """Drops the engine's "contract skipped" records: `check` reports them itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name.startswith("floe_monitoring.engine")
            and record.getMessage().startswith("contract skipped: ")
        )


@contextmanager
def _skipped_contracts_reported_once() -> Iterator[None]:
    # The engine logs each unusable contract file, and `check` prints it too (and puts it
    # in the JSON summary): without this, stderr would say everything twice.
    handlers = list(logging.getLogger().handlers)
    quiet = _ReportedByCheck()
    for handler in handlers:
        handler.addFilter(quiet)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(quiet)


def _row(result: CheckResult) -> dict[str, Any]:
    return {
        "contract": result.contract_name,
        "contract_id": result.contract_id,
        "check_type": result.check_type.value,
        "status": result.status.value,
        "severity": result.severity.value if result.severity else None,
        "element": result.element,
        "expected": result.threshold,
        "actual": result.measured_value,
        "unit": result.unit,
        "message": result.message,
        "reason": result.reason,
        "duration_seconds": round(result.duration_seconds, 6),
    }


@click.command()
@click.option(
    "--contract", "contracts", multiple=True, help="Only this contract (id or name); repeatable."
)
@click.option(
    "--check",
    "checks",
    multiple=True,
    # A choice, so a misspelt type is a usage error instead of a run of no checks.
    type=click.Choice([t.value for t in CheckType]),
    help="Only this check type; repeatable.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option(
    "--notify", is_flag=True, help="Record results and send notifications as the service would."
)
@pass_cli
@command
async def check(
    cli: CliContext, contracts: tuple[str, ...], checks: tuple[str, ...], fmt: str, notify: bool
) -> int:
    """Run every check once and print the results.

    Exit code: 0 all pass, 1 only warnings, 2 any failure, 3 any check could not be
    evaluated (and no failure), 4 bad input (including any contract file that cannot be
    used, whatever the other contracts' checks found).
    """
    config = cli.config()
    monitor = ContractMonitor(config, channels=None if notify else {})
    with _skipped_contracts_reported_once():
        async with monitor:
            unknown = [
                c
                for c in contracts
                if not any(c in (k, v.name) for k, v in monitor.contracts.items())
            ]
            if unknown:
                raise ValueError(f"no such contract: {', '.join(unknown)}")
            results = await monitor.run_once(
                contracts=list(contracts) or None,
                check_types=list(checks) or None,
                deliver=notify,
                record=notify,
            )
            contract_errors = list(monitor.contract_errors)
    for error in contract_errors:
        cli.errors.print(f"contract skipped: {error}", markup=False)
    rows = [_row(r) for r in results]
    counts = Counter(r.status.value for r in results)
    code = exit_code(results)
    if contract_errors:
        # A contract that cannot be read was not checked: CI must not pass on it.
        code = EXIT_INPUT
    summary = {
        "checks": len(results),
        **{s.value: counts.get(s.value, 0) for s in CheckStatus},
        "contracts": len({r.contract_id for r in results}),
        "contract_errors": contract_errors,
        "exit_code": code,
    }
    if fmt == "json":
        print_json(cli, {"results": rows, "summary": summary})
    else:
        cli.console.print(
            table(
                "floe sla check",
                [
                    "contract",
                    "check",
                    "element",
                    "status",
                    "severity",
                    "expected",
                    "actual",
                    "message",
                ],
                [
                    [
                        r["contract"],
                        r["check_type"],
                        r["element"] or "",
                        r["status"],
                        r["severity"] or "",
                        _num(r["expected"], r["unit"]),
                        _num(r["actual"], r["unit"]),
                        r["message"],
                    ]
                    for r in rows
                ],
                status_column="status",
            )
        )
        cli.console.print(
            f"{len(results)} checks: "
            + ", ".join(f"{counts.get(s.value, 0)} {s.value}" for s in CheckStatus)
            + (f"; {len(contract_errors)} contract file(s) skipped" if contract_errors else ""),
            markup=False,
        )
    return code


def _num(value: float | None, unit: str | None) -> str:
    if value is None:
        return ""
    text = f"{value:g}"
    return f"{text} {unit}" if unit and unit != "1" else text
