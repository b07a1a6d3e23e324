"""Flapping: the share of pass/fail flips over the last results, with hysteresis.

The history is a string, oldest first, of ``F`` (a failing result) and ``P`` (a passing
or warning one), so it stays tiny in the stored state. Like Nagios, the share divides
the flips by the flips a *full* window could hold (20 for 21 results), so a short
history cannot look like flapping: with the defaults a check needs at least 11 flips
before it counts as flapping. Unlike Nagios, recent flips weigh the same as old ones,
which keeps the numbers easy to reason about.
"""

from __future__ import annotations

from itertools import pairwise

__all__ = ["FAILED", "PASSED", "is_flapping", "push_outcome", "state_change_ratio"]

#: A failing result in the history.
FAILED = "F"
#: A passing (or warning) result in the history.
PASSED = "P"


def push_outcome(history: str, *, failed: bool, window: int) -> str:
    """Append one outcome to ``history`` and keep only the last ``window`` outcomes."""
    return (history + (FAILED if failed else PASSED))[-window:]


def state_change_ratio(history: str, *, window: int) -> float:
    """Flips between consecutive outcomes, as a share of the ``window - 1`` possible."""
    recent = history[-window:]
    flips = sum(1 for older, newer in pairwise(recent) if older != newer)
    return flips / (window - 1)


def is_flapping(was_flapping: bool, ratio: float, *, high: float, low: float) -> bool:
    """Whether a check flaps now, given whether it flapped before (hysteresis).

    A check starts flapping when ``ratio`` is above ``high`` and stops only when it falls
    below ``low``; in between it keeps its previous state, so a ratio hovering around
    one threshold does not toggle flapping on every result.
    """
    if was_flapping:
        return ratio >= low
    return ratio > high
