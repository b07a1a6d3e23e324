"""What the monitor reports about itself: `status`, `/readyz`, `floe sla status`."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

__all__ = ["ChannelState", "MonitorStatus", "ReloadReport"]


class ChannelState(BaseModel):
    """One configured channel's health (never its settings)."""

    model_config = ConfigDict(frozen=True)

    name: str
    type: str
    state: str
    message: str = ""


class MonitorStatus(BaseModel):
    """A snapshot of the monitor.

    `overflow` counts check results never stored since start: dropped from the full
    buffer while the database was unreachable, refused by it, or unprocessable.
    `refused_writes` counts cycle writes given up on after the database refused the
    retry too (their notifications were lost; the log says which).
    """

    model_config = ConfigDict(frozen=True)

    owner: str
    contracts: int
    checks: int
    open_incidents: int
    outbox_depth: int
    oldest_pending_seconds: float | None
    dead_letters: int
    store_reachable: bool
    buffered_results: int
    overflow: int
    scheduler_running: bool
    refused_writes: int = 0
    channels: dict[str, ChannelState]
    contract_errors: tuple[str, ...] = ()

    @property
    def degraded(self) -> list[str]:
        """What is wrong, one phrase each (empty when all is well)."""
        problems = []
        if not self.store_reachable:
            problems.append(
                f"state database unreachable ({self.buffered_results} results buffered)"
            )
        problems += [
            f"channel {c.name} {c.state}: {c.message}"
            for c in self.channels.values()
            if c.state != "healthy"
        ]
        if self.contract_errors:
            problems.append(f"{len(self.contract_errors)} contract file(s) could not be loaded")
        return problems


@dataclass
class ReloadReport:
    """What a contract reload changed."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: tuple[str, ...] = ()
