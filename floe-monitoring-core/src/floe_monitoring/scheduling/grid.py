"""The interval grid: deterministic phase offsets and the slots ``epoch + phase + k*interval``.

Every schedule key gets a phase derived from SHA-256 of the key (never Python's `hash`,
which is randomised per process), so the same key lands on the same second in every
process and replica, and 10,000 keys spread evenly over their interval instead of firing
together. Slots are fixed points on that grid: a slow run does not push later runs back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

__all__ = ["EPOCH", "Grid", "phase_offset"]

#: The grid's origin: every slot is ``EPOCH + phase + k * interval``.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_MICROSECOND = timedelta(microseconds=1)


def phase_offset(key: str, interval: timedelta) -> timedelta:
    """The key's deterministic offset into its interval, in ``[0, interval)``.

    Args:
        key: The schedule key, such as ``urn:x:freshness:orders.updated_at``.
        interval: The schedule's period; must be positive.

    Raises:
        ValueError: If `interval` is not positive.

    """
    if interval <= timedelta(0):
        raise ValueError("interval must be positive")
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    # 64 bits of the digest: the modulo bias is below 1e-9 even for a year-long interval.
    span = interval // _MICROSECOND
    return timedelta(microseconds=int.from_bytes(digest[:8], "big") % span)


@dataclass(frozen=True)
class Grid:
    """The slots of a fixed-interval schedule.

    Attributes:
        interval: Time between slots (positive).
        phase: Offset of the slots from `EPOCH`, in ``[0, interval)``.

    """

    interval: timedelta
    phase: timedelta

    def __post_init__(self) -> None:
        if self.interval <= timedelta(0):
            raise ValueError("interval must be positive")
        if not timedelta(0) <= self.phase < self.interval:
            raise ValueError("phase must be in [0, interval)")

    def latest_at_or_before(self, when: datetime) -> datetime:
        """The last slot not after `when`."""
        anchor = EPOCH + self.phase
        return anchor + ((when - anchor) // self.interval) * self.interval

    def first_at_or_after(self, when: datetime) -> datetime:
        """The first slot not before `when`."""
        latest = self.latest_at_or_before(when)
        return latest if latest == when else latest + self.interval

    def after(self, when: datetime) -> datetime:
        """The first slot strictly after `when` (``slot + interval`` for a slot)."""
        return self.latest_at_or_before(when) + self.interval
