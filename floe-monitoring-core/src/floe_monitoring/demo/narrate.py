"""What the demo prints: steps, check results, notifications as they arrive."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.text import Text

from floe_monitoring.checks.base import CheckResult, CheckStatus
from floe_monitoring.cli.render import STATUS_STYLE, table
from floe_monitoring.demo.receiver import ReceivedEvent

__all__ = ["Narrator"]

_SEVERITY_STYLE = {
    "info": "cyan",
    "warning": "yellow",
    "error": "red",
    "critical": "bold red",
}


class Narrator:
    """Prints the story of the demo on a rich console (plain text when not a terminal).

    Args:
        console: Where to print.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.problems: list[str] = []

    def step(self, number: int, title: str, story: str) -> None:
        """Start a step: a rule with its title and one paragraph of what happens."""
        self.console.print()
        self.console.rule(Text(f"{number}. {title}", style="bold"), align="left")
        self.console.print(Text(story, style="dim"))

    def clock(self, now: datetime, moved: str | None = None) -> None:
        """Show the demo's simulated time (and how far it just jumped)."""
        text = Text("  clock ", style="dim")
        text.append(now.strftime("%Y-%m-%d %H:%M UTC"), style="bold")
        if moved:
            text.append(f"  (+{moved}, simulated: nothing waits)", style="dim")
        self.console.print(text)

    def say(self, message: str, style: str = "") -> None:
        """One line of narration."""
        self.console.print(Text(f"  {message}", style=style))

    def ok(self, message: str) -> None:
        """Something the demo expected happened."""
        self.console.print(Text("  ✓ ", style="green") + Text(message))

    def problem(self, message: str) -> None:
        """Something the demo expected did not happen (the demo then exits 1)."""
        self.problems.append(message)
        self.console.print(Text("  ✗ ", style="bold red") + Text(message, style="red"))

    def results(self, results: Sequence[CheckResult], *, everything: bool = False) -> None:
        """A table of results: all of them, or only those that did not pass."""
        shown = [r for r in results if everything or r.status is not CheckStatus.PASS]
        counts: dict[str, int] = {}
        for result in results:
            counts[result.status.value] = counts.get(result.status.value, 0) + 1
        summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        if shown:
            self.console.print(
                table(
                    f"{len(results)} checks: {summary}",
                    ["contract", "check", "status", "severity", "message"],
                    [
                        [
                            r.contract_name,
                            r.check_type.value,
                            r.status.value,
                            r.severity.value if r.severity else "",
                            r.message,
                        ]
                        for r in shown
                    ],
                    status_column="status",
                )
            )
        else:
            self.say(f"{len(results)} checks: {summary}")

    def changes(self, result: CheckResult) -> None:
        """The schema changes a schema-drift result found, with each one's severity."""
        changes: Any = result.details.get("changes", [])
        for change in changes if isinstance(changes, list) else []:
            if not isinstance(change, dict):
                continue
            severity = str(change.get("severity", ""))
            line = Text("    · ")
            line.append(f"{severity:<8}", style=_SEVERITY_STYLE.get(severity, ""))
            line.append(f" {change.get('kind', '')}: {change.get('message', '')}")
            self.console.print(line)

    def notification(self, received: ReceivedEvent) -> None:
        """One notification, printed by the receiver as it arrives."""
        status = received.get("status")
        severity = received.get("severity")
        line = Text("  → webhook received ", style="dim")
        line.append(f"{received.notification.upper():<9}", style=STATUS_STYLE.get(status, "bold"))
        line.append(f" {received.get('contractName'):<10}", style="bold")
        line.append(f" {received.get('violationType'):<13}")
        line.append(f" {severity:<8}", style=_SEVERITY_STYLE.get(severity, ""))
        line.append(f" {received.get('message')}")
        if received.verified:
            line.append("  (signature ✓)", style="dim green")
        self.console.print(line)
