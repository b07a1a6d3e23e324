"""Error-budget burn rates and multiwindow burn alerts (the SRE workbook's method).

Burn rate = error rate / error budget, where the budget is ``1 − target``: a burn rate
of 1 spends exactly the budget over the SLO period, 14.4 spends a 30-day budget's 2% in
one hour. An alert needs *both* windows of a rule above the threshold: the long window
shows the burn is significant, the short one that it is still going on (so the alert
resets soon after the burn stops). The default rules, for a 30-day SLO:

=======  ===========  ============  =========
level    long window  short window  threshold
=======  ===========  ============  =========
page     1 h          5 min         14.4
page     6 h          30 min        6
ticket   3 d          6 h           1
=======  ===========  ============  =========

A window without a verdict has no burn rate and cannot fire; a check that runs less
often than a rule's short window (quality, every 6 h by default) is therefore only
ticketed. Burn alerts are plain values: the engine turns them into notifications of
kind `BUDGET_BURN` (dedup per contract, check type and level).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from floe_monitoring.reports.compliance import Tally

__all__ = [
    "BUDGET_BURN",
    "BURN_WINDOWS",
    "DEFAULT_BURN_RULES",
    "BurnAlert",
    "BurnLevel",
    "BurnRule",
    "burn_alerts",
    "burn_alerts_from_samples",
    "burn_rate",
    "burn_rates",
    "tallies_from_samples",
    "window_label",
]

#: The notification kind of a budget burn (what the engine's events should carry).
BUDGET_BURN: Final = "error_budget_burn"

BurnLevel = Literal["page", "ticket"]


class BurnRule(BaseModel):
    """Fire at `level` when both windows burn faster than `threshold`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    level: BurnLevel
    long_window: timedelta
    short_window: timedelta
    threshold: float


#: The multiwindow rules for a 30-day SLO (see the module docstring).
DEFAULT_BURN_RULES: tuple[BurnRule, ...] = (
    BurnRule(
        level="page",
        long_window=timedelta(hours=1),
        short_window=timedelta(minutes=5),
        threshold=14.4,
    ),
    BurnRule(
        level="page",
        long_window=timedelta(hours=6),
        short_window=timedelta(minutes=30),
        threshold=6.0,
    ),
    BurnRule(
        level="ticket",
        long_window=timedelta(days=3),
        short_window=timedelta(hours=6),
        threshold=1.0,
    ),
)

#: Every window the default rules look at, shortest first.
BURN_WINDOWS: tuple[timedelta, ...] = tuple(
    sorted({w for r in DEFAULT_BURN_RULES for w in (r.long_window, r.short_window)})
)


class BurnAlert(BaseModel):
    """A multiwindow burn-rate rule that fires: the budget burns too fast.

    Attributes:
        kind: Always `BUDGET_BURN`.
        level: ``page`` (act now) or ``ticket`` (act soon).
        long_window: The rule's long window.
        short_window: The rule's short window.
        long_rate: Burn rate over the long window.
        short_rate: Burn rate over the short window.
        threshold: The rule's threshold (both rates exceed it).
        target: The SLO target (a fraction).
        contract_id: The contract, when known.
        check_type: The check type, when known.

    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["error_budget_burn"] = BUDGET_BURN
    level: BurnLevel
    long_window: timedelta
    short_window: timedelta
    long_rate: float
    short_rate: float
    threshold: float
    target: float
    contract_id: str | None = None
    check_type: str | None = None


def window_label(window: timedelta) -> str:
    """``5m``, ``1h``, ``3d``: the compact name of a window."""
    seconds = int(window.total_seconds())
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def burn_rate(tally: Tally, target: float) -> float | None:
    """Error rate / budget; None without a verdict or with no budget (target 100%)."""
    error_rate = tally.error_rate
    if error_rate is None or not 0.0 <= target < 1.0:
        return None
    return error_rate / (1.0 - target)


def burn_rates(tallies: Mapping[timedelta, Tally], target: float) -> dict[timedelta, float | None]:
    """The burn rate of each window."""
    return {window: burn_rate(t, target) for window, t in tallies.items()}


def burn_alerts(
    tallies: Mapping[timedelta, Tally],
    *,
    target: float,
    rules: Sequence[BurnRule] = DEFAULT_BURN_RULES,
    contract_id: str | None = None,
    check_type: str | None = None,
) -> list[BurnAlert]:
    """The rules that fire, pages first.

    Args:
        tallies: Good and total amounts per window, each window ending now.
        target: The SLO target, a fraction (0.999).
        rules: The multiwindow rules.
        contract_id: Copied into the alerts.
        check_type: Copied into the alerts.

    """
    alerts: list[BurnAlert] = []
    for rule in rules:
        long_tally, short_tally = tallies.get(rule.long_window), tallies.get(rule.short_window)
        if long_tally is None or short_tally is None:
            continue
        long_rate, short_rate = burn_rate(long_tally, target), burn_rate(short_tally, target)
        if long_rate is None or short_rate is None:
            continue
        if long_rate > rule.threshold and short_rate > rule.threshold:
            alerts.append(
                BurnAlert(
                    level=rule.level,
                    long_window=rule.long_window,
                    short_window=rule.short_window,
                    long_rate=long_rate,
                    short_rate=short_rate,
                    threshold=rule.threshold,
                    target=target,
                    contract_id=contract_id,
                    check_type=check_type,
                )
            )
    return sorted(alerts, key=lambda a: a.level != "page")


def tallies_from_samples(
    samples: Iterable[tuple[datetime, bool]],
    *,
    now: datetime,
    windows: Iterable[timedelta] = BURN_WINDOWS,
) -> dict[timedelta, Tally]:
    """Count samples ``(timestamp, ok)`` in ``(now - window, now]`` for each window.

    The sample form the engine already keeps for availability (`StateStore.
    availability_samples`): each sample counts once.
    """
    ordered = sorted(samples)
    out: dict[timedelta, Tally] = {}
    for window in windows:
        inside = [ok for at, ok in ordered if now - window < at <= now]
        out[window] = Tally(float(sum(inside)), float(len(inside)))
    return out


def burn_alerts_from_samples(
    samples: Iterable[tuple[datetime, bool]],
    *,
    target: float,
    now: datetime,
    rules: Sequence[BurnRule] = DEFAULT_BURN_RULES,
    contract_id: str | None = None,
    check_type: str | None = None,
) -> list[BurnAlert]:
    """`burn_alerts` over samples ``(timestamp, ok)``, windows ending at `now`."""
    windows = {w for r in rules for w in (r.long_window, r.short_window)}
    tallies = tallies_from_samples(samples, now=now, windows=windows)
    return burn_alerts(
        tallies, target=target, rules=rules, contract_id=contract_id, check_type=check_type
    )
