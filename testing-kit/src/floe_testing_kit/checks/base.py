"""The check catalog: every conformance check has a stable ID, a group and a rule."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from floe_monitoring import ChannelCapability
from floe_testing_kit.harness import KitContext
from floe_testing_kit.profile import Transport

__all__ = ["CATALOG", "Check", "check", "checks_by_id"]

CheckFn = Callable[[KitContext], Awaitable[None]]
_BOTH = frozenset({Transport.HTTP, Transport.SMTP})


@dataclass(frozen=True)
class Check:
    """One conformance rule.

    Attributes:
        id: Stable identifier (public API: used in bypasses and reports).
        title: What it verifies, in one line.
        run: The coroutine that raises `ConformanceFailure` when the rule is broken.
        declared: Runs only when the channel declares this capability.
        undeclared: Runs only when the channel does NOT declare this capability.
        transports: The transports it applies to.
        timeout: Seconds before the check fails as hung.
    """

    id: str
    title: str
    run: CheckFn
    declared: ChannelCapability | None = None
    undeclared: ChannelCapability | None = None
    transports: frozenset[Transport] = _BOTH
    timeout: float = 60.0

    @property
    def group(self) -> str:
        """The group, the part of the ID before the first dot."""
        return self.id.split(".", 1)[0]


#: Every behavioural check, in the order they run (packaging checks run before these).
CATALOG: list[Check] = []


def check(
    check_id: str,
    title: str,
    *,
    declared: ChannelCapability | None = None,
    undeclared: ChannelCapability | None = None,
    transports: frozenset[Transport] = _BOTH,
    timeout: float = 60.0,
) -> Callable[[CheckFn], CheckFn]:
    """Register a check function in the catalog under a stable ID."""

    def register(fn: CheckFn) -> CheckFn:
        if any(c.id == check_id for c in CATALOG):
            raise ValueError(f"duplicate check id {check_id}")
        CATALOG.append(Check(check_id, title, fn, declared, undeclared, transports, timeout))
        return fn

    return register


def checks_by_id() -> dict[str, Check]:
    """The catalog keyed by check ID."""
    return {c.id: c for c in CATALOG}
